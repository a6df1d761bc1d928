import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { Context } from './context'
import type { ErrorFactories, NoErrors } from './errors'
import { middleware as declare, type AddsOf, type AnyMiddleware, type Middleware, type Next, type Outcome } from './middleware'
import { defineOperation, type Access, type Operation, type OperationConfig } from './operation'

/** A middleware whose needs `Locals` does not meet: the type error names what is missing. */
type NeedsMet<Locals extends object, Needs extends object> = Locals extends Needs
  ? unknown
  : { '~missing in ctx.locals': Exclude<keyof Needs, keyof Locals> extends never ? keyof Needs : Exclude<keyof Needs, keyof Locals> }

/**
 * Middleware composed once, to define many operations with: `const authed = base.use(session)`, then
 * `authed.operation({ … })`. Each `use` returns a new base; `Locals` is what its middleware add to
 * `ctx.locals`, `Errors` the codes they may answer, and `Decided` its auth decision.
 */
export interface Base<Locals extends object = object, Errors extends ErrorFactories = NoErrors> {
  readonly kind: 'base'
  /** Its middleware, outermost first. */
  readonly layers: readonly AnyMiddleware[]
  /** Its auth decision: `public()`, `authenticated` once an `authenticate()` middleware is in, else `undecided`. */
  readonly access: Access
  /** A base that runs `layer` after this one's middleware; using it where what it needs is not in `ctx.locals` is a type error. */
  use<Needs extends object, Adds extends object, MoreErrors extends ErrorFactories>(
    layer: Middleware<Needs, Adds, MoreErrors> & NeedsMet<Locals, Needs>,
  ): Base<Locals & Adds, Errors & MoreErrors>
  /** …or an inline middleware function, which sees this base's `ctx.locals`. */
  use<Returned extends Outcome<unknown>>(run: (ctx: Context<Locals>, next: Next) => Promise<Returned>): Base<Locals & AddsOf<Returned>, Errors>
  /** This base's operations are open to anyone, on purpose: the inventory says so, and `authenticate()` cannot follow. */
  public(): Base<Locals, Errors>
  /** Defines an operation that runs in this base's middleware: its handler's `ctx.locals` has what they added. */
  operation<Schema extends StandardSchemaV1, Output, const OwnErrors extends ErrorFactories = NoErrors>(
    config: OperationConfig<Schema, Output, Locals, OwnErrors>,
  ): Operation<Schema, Output, Errors & OwnErrors>
}

function makeBase(layers: readonly AnyMiddleware[], access: Access): Base {
  return {
    kind: 'base',
    layers,
    access,
    use(layer: AnyMiddleware | ((ctx: Context, next: Next) => Promise<Outcome<unknown>>)) {
      const added = typeof layer === 'function' ? declare(layer) : layer
      if (added.authenticates && access === 'public') {
        throw new TypeError(`base.use(${added.name}): this base is public(); an operation is either public or needs a principal, not both.`)
      }
      return makeBase([...layers, added], added.authenticates ? 'authenticated' : access)
    },
    public() {
      if (access === 'authenticated') throw new TypeError('base.public(): this base already authenticates its callers; an operation is either public or needs a principal, not both.')
      return makeBase(layers, 'public')
    },
    operation: (config: OperationConfig<StandardSchemaV1, unknown, never, ErrorFactories>) => defineOperation(config, layers, access),
  } as Base
}

/** The base with no middleware and no auth decision yet: `base.use(…)`, `base.public()`. */
export const base: Base = makeBase([], 'undecided')
