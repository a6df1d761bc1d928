import type { Context } from './context'
import type { OperationError, ErrorFactories, NoErrors } from './errors'

export type Outcome<Output> = { ok: true; data: Output } | { ok: false; error: OperationError }

/** An empty set of locals. */
export type Nothing = Record<never, never>

declare const added: unique symbol
/** What `next()` resolves to: the outcome of the rest of the chain, marked (in types only) with what was added. */
export type Passed<Adds extends object> = Outcome<unknown> & { readonly [added]: Adds }

/** Goes on with the chain, adding `adds` to `ctx.locals` for the middleware after and the handler. */
export type Next = <Adds extends object = Nothing>(adds?: Adds) => Promise<Passed<Adds>>

/** What a middleware function adds: read from the `next(…)` results it returns; nothing when it never passes one on. */
export type AddsOf<Returned> = [Returned extends Passed<infer Adds> ? Adds : never] extends [never]
  ? Nothing
  : Returned extends Passed<infer Adds>
    ? Adds
    : never

/** The function a middleware runs: call `next()` to go on, return or throw an error to refuse. */
export type MiddlewareFunction<Needs extends object = object> = (ctx: Context<Needs>, next: Next) => Promise<Outcome<unknown>>

/** What declares how a caller is authenticated, for OpenAPI (`securitySchemes`) and the inventory. */
export interface SecurityScheme {
  /** The scheme's name in `components.securitySchemes`, e.g. `ApiKey`. */
  name: string
  /** The OpenAPI security scheme object. */
  scheme: Record<string, unknown>
}

export interface MiddlewareOptions<Errors extends ErrorFactories> {
  /** A name for error messages about it (a second `next()` call, a base it does not fit); the function's own name by default. */
  name?: string
  /** The errors it may answer, from `defineErrors()`: they join the code union of every operation it runs on, and its OpenAPI responses. */
  errors?: Errors
  /** Request parameters it reads (OpenAPI parameter objects), e.g. a header. */
  parameters?: readonly Record<string, unknown>[]
  /**
   * Set by middleware that refuses a call without a principal (`authenticate()`): the ways a caller can
   * prove who they are, any one of which is enough. An operation behind it counts as authenticated.
   */
  authenticates?: readonly SecurityScheme[]
  /** The policy it applies, shown in the inventory, e.g. `60 per 60 s per client`. */
  policy?: { kind: string; summary: string }
}

/**
 * Runs around an operation on both doors, with the same context. `Needs` is what must be in `ctx.locals`
 * before it runs, `Adds` what it puts there, `Errors` the codes it may answer. Made by `middleware()`.
 */
export interface Middleware<Needs extends object = object, Adds extends object = Nothing, Errors extends ErrorFactories = NoErrors> {
  readonly kind: 'middleware'
  readonly name: string
  readonly run: MiddlewareFunction<Needs>
  readonly errors: Errors
  readonly parameters: readonly Record<string, unknown>[]
  readonly authenticates?: readonly SecurityScheme[]
  readonly policy?: { kind: string; summary: string }
  /** Types only: what it adds. */
  readonly '~adds'?: Adds
}

/** Any middleware, whatever it needs and adds. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- `Needs` sits in a parameter: only `any` accepts every middleware
export type AnyMiddleware = Middleware<any, object, ErrorFactories>

/**
 * Declares a middleware. What it needs is the type of its `ctx` (annotate it: `ctx: Context<{ user: User }>`),
 * what it adds is what it passes to `next(…)`, and the errors it may answer are `options.errors`:
 *
 * ```ts
 * const signIn = defineErrors({ UNAUTHORIZED: { status: 401, message: 'Sign in first.' } })
 * const session = middleware(async (ctx, next) => {
 *   const user = await userOf(ctx.cookies)
 *   if (!user) throw signIn.UNAUTHORIZED()
 *   return next({ user })
 * }, { errors: signIn })
 * ```
 */
export function middleware<Needs extends object = object, Returned extends Outcome<unknown> = Outcome<unknown>, const Errors extends ErrorFactories = NoErrors>(
  run: (ctx: Context<Needs>, next: Next) => Promise<Returned>,
  options: MiddlewareOptions<Errors> = {},
): Middleware<Needs, AddsOf<Returned>, Errors> {
  return {
    kind: 'middleware',
    name: options.name ?? (run.name || 'middleware'),
    run,
    errors: options.errors ?? ({} as Errors),
    parameters: options.parameters ?? [],
    ...(options.authenticates ? { authenticates: options.authenticates } : {}),
    ...(options.policy ? { policy: options.policy } : {}),
  }
}

/**
 * Runs `layers` around `last`, in order, each with the context the one before passed on; what a layer
 * gives `next()` is added to `ctx.locals`, never to the request's own fields. `guard` turns whatever a step
 * throws into an outcome. A layer that calls `next()` a second time gets a rejected promise: it would
 * validate and run the handler again (two inserts for one request).
 */
export function compose(
  layers: readonly AnyMiddleware[],
  last: (ctx: Context) => Promise<Outcome<unknown>>,
  guard: (step: () => Promise<Outcome<unknown>>) => Promise<Outcome<unknown>>,
  name: string,
): (ctx: Context) => Promise<Outcome<unknown>> {
  const dispatch = (index: number, ctx: Context): Promise<Outcome<unknown>> => {
    const layer = layers[index]
    if (!layer) return last(ctx)
    let called = false
    const next = ((adds?: object) => {
      if (called) return Promise.reject(new Error(`Middleware ${layer.name} (#${index + 1} of ${name}) called next() more than once; call it at most once.`))
      called = true
      return dispatch(index + 1, adds ? { ...ctx, locals: { ...ctx.locals, ...adds } } : ctx)
    }) as Next
    return guard(() => layer.run(ctx, next))
  }
  return (ctx) => dispatch(0, ctx)
}
