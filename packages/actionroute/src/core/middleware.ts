import type { Context } from './context'
import type { ActionError } from './errors'

export type Outcome<Output> = { ok: true; data: Output } | { ok: false; error: ActionError }

/**
 * Runs around an operation on both doors, with the same context. Call `next()` to go on (optionally
 * adding to the context, e.g. `next({ user })`), inspect or replace the outcome, or throw an ActionError to refuse.
 */
export type Middleware<Added extends object = object> = (
  ctx: Context,
  next: (added?: Added) => Promise<Outcome<unknown>>,
) => Promise<Outcome<unknown>>

/** Declares a middleware; `Added` is what it puts on the context for the handler. */
export function middleware<Added extends object = object>(fn: Middleware<Added>, docs?: MiddlewareDocs): Middleware<Added> {
  return docs ? Object.assign(fn, { docs }) : fn
}

/** What a middleware adds to the OpenAPI description of the operations it runs on. */
export interface MiddlewareDocs {
  /** Errors it answers, documented on the route door with the operation's own. */
  errors?: readonly { code: string; status: number; description: string }[]
  /** Request parameters it reads (OpenAPI parameter objects), e.g. a header. */
  parameters?: readonly Record<string, unknown>[]
  /** The security scheme it asks for: in `components.securitySchemes` under `name`, and in each operation's `security`. */
  security?: { name: string; scheme: Record<string, unknown> }
}

/** The docs a middleware was declared with, if any. */
export function docsOf(layer: Middleware<object>): MiddlewareDocs | undefined {
  return (layer as { docs?: MiddlewareDocs }).docs
}

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never
/** What a list of middleware adds to the context, as one type. */
export type AddedBy<Use extends readonly Middleware<object>[]> = UnionToIntersection<
  { [K in keyof Use]: Use[K] extends Middleware<infer Added> ? Added : never }[number]
>

/**
 * Runs `layers` around `last`, in order, each with the context the one before passed to `next()`.
 * `guard` turns whatever a step throws into an outcome. A layer that calls `next()` a second time
 * gets a rejected promise: it would validate and run the handler again (two inserts for one request).
 */
export function compose(
  layers: readonly Middleware<object>[],
  last: (ctx: Context) => Promise<Outcome<unknown>>,
  guard: (step: () => Promise<Outcome<unknown>>) => Promise<Outcome<unknown>>,
  name: string,
): (ctx: Context) => Promise<Outcome<unknown>> {
  const dispatch = (index: number, ctx: Context): Promise<Outcome<unknown>> => {
    const layer = layers[index]
    if (!layer) return last(ctx)
    let called = false
    const next = (added?: object) => {
      if (called) return Promise.reject(new Error(`Middleware #${index + 1} of ${name} called next() more than once; call it at most once.`))
      called = true
      return dispatch(index + 1, added ? { ...ctx, ...added } : ctx)
    }
    return guard(() => layer(ctx, next))
  }
  return (ctx) => dispatch(0, ctx)
}
