import { unstable_rethrow } from '#next/navigation'
import type { StandardSchemaV1 } from '@standard-schema/spec'
import { callContext, type Context, type RequestContext } from './context'
import { isDoorCode, OperationError, type ErrorCodeOf, type ErrorFactories, type NoErrors } from './errors'
import { compose, type AnyMiddleware, type Outcome } from './middleware'
import { unexpected } from './report'
import { revalidateAfter, type Revalidate } from './revalidate'
import type { ItemOf, StreamOptions } from './stream'
import { traced } from './trace'
import { validate, type FieldPath } from './validate'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface HttpOptions<Output> {
  /** Status of a successful response: 200 by default; 204 sends no body. */
  status?: number
  /** A `Location` header for the response, e.g. the URL of what was created. */
  location?(data: Output): string
  /**
   * The success is a file, not JSON: the media types it may have, for OpenAPI. The handler returns a `Response`
   * (its bytes, `Content-Type`, `ETag`…), which the route door sends as it is, with the door's own headers added
   * (a request id, RateLimit…). Serve such an operation on the route door only: a Response is no action's value.
   */
  produces?: readonly string[]
  /**
   * The file field a body of its own media type fills (`'file'`): a client may send the file itself
   * (`Content-Type: text/csv`, `curl --data-binary @users.csv`) instead of a multipart form. The body streams into
   * the route's sink as that field's file, checked against the field's rule (size, the types its `.mime()` takes)
   * as it arrives; the input is that file (and the path's params). JSON, urlencoded and multipart bodies are read as usual.
   */
  fileBody?: string
}

export interface OperationConfig<Schema extends StandardSchemaV1, Output, Locals extends object = object, Errors extends ErrorFactories = NoErrors> {
  /** A stable name: the operationId in OpenAPI, and in logs. */
  name: string
  summary?: string
  description?: string
  tags?: readonly string[]
  input: Schema
  /** The JSON shape of a success (documents the response; checked outside production). */
  output?: StandardSchemaV1
  /** The typed errors the handler may throw, from `defineErrors()`: documented with their status, and in the types. */
  errors?: Errors
  http?: HttpOptions<Output>
  /**
   * What a success makes stale, invalidated with the API each door allows (`updateTag` on the
   * action door, `revalidateTag(tag, 'max')` on the route door, `revalidatePath` on both).
   */
  revalidate?: Revalidate<Output>
  /**
   * The handler streams: it is an async generator (`async *handler(input, ctx) { yield item }`) or returns an
   * async iterable. The route door answers server-sent events (NDJSON when asked), the action door an async
   * iterable of frames; `ctx.signal` aborts when the reader goes. `{}` for the defaults. Write it after the
   * handler: TypeScript types its callbacks (`id`, `event`) from the handler's items only in that order.
   */
  stream?: StreamOptions<ItemOf<NoInfer<Output>>>
  // Method syntax on purpose: it keeps Operation<ZodObject<...>, X> assignable to Operation<StandardSchemaV1, unknown>.
  handler(input: StandardSchemaV1.InferOutput<Schema>, ctx: Context<Locals>): Promise<Output> | Output
}

/** Who may call an operation: anyone (`base.public()`), a caller an `authenticate()` middleware accepted, or not decided. */
export type Access = 'public' | 'authenticated' | 'undecided'

export interface Operation<Schema extends StandardSchemaV1 = StandardSchemaV1, Output = unknown, Errors extends ErrorFactories = ErrorFactories>
  extends Omit<OperationConfig<Schema, Output, object, Errors>, 'handler' | 'errors'> {
  readonly kind: 'operation'
  /** The middleware it runs in, outermost first: its base's. */
  readonly use: readonly AnyMiddleware[]
  /** Every error it declares: its middleware's and its own. */
  readonly errors: Errors
  readonly access: Access
  handler(input: StandardSchemaV1.InferOutput<Schema>, ctx: Context): Promise<Output> | Output
}

/** What a caller sends: the schema's input type. */
export type InputOf<Op> = Op extends Operation<infer S, unknown> ? StandardSchemaV1.InferInput<S> : never
/** What a handler returns on success. */
export type OutputOf<Op> = Op extends Operation<StandardSchemaV1, infer O> ? O : never
/** Every error code a caller can receive from this operation: built-in codes and its declared `errors`. */
export type ErrorCodesOf<Op> = Op extends Operation<StandardSchemaV1, unknown, infer Errors> ? ErrorCodeOf<Errors> : never
/** The field paths of the operation's input, as `fieldErrors` and `values` are keyed. */
export type FieldsOf<Op> = FieldPath<InputOf<Op>>

/**
 * Defines a server operation with no middleware and no auth decision; `base.use(…).operation()` or
 * `base.public().operation()` to give it both. Serve it with `route()` / `routes()` and `formAction()` / `action()`.
 */
export function operation<Schema extends StandardSchemaV1, Output, const Errors extends ErrorFactories = NoErrors>(
  config: OperationConfig<Schema, Output, object, Errors>,
): Operation<Schema, Output, Errors> {
  return defineOperation(config, [], 'undecided')
}

/** The operation `config` describes, run inside `layers`. */
export function defineOperation<Schema extends StandardSchemaV1, Output, Errors extends ErrorFactories>(
  config: OperationConfig<Schema, Output, never, ErrorFactories>,
  layers: readonly AnyMiddleware[],
  access: Access,
): Operation<Schema, Output, Errors> {
  if ('use' in config) throw new TypeError(`operation ${config.name}: \`use\` moved to the base in actionroute 0.3: base.use(a).use(b).operation({ … }).`)
  const errors: ErrorFactories = {}
  for (const layer of layers) Object.assign(errors, layer.errors)
  Object.assign(errors, config.errors)
  return { ...config, errors, use: layers, access, kind: 'operation' } as unknown as Operation<Schema, Output, Errors>
}

const checkOutputs = process.env.NODE_ENV !== 'production'

/**
 * An input read only when the call gets past middleware: the route door's body, so a call that auth
 * or a rate limit refuses costs no body read. Reading it can fail like validation does (400, 413, 415).
 */
export class DeferredInput {
  constructor(readonly read: () => Promise<unknown>) {}
}

async function run<Output>(op: Operation<StandardSchemaV1, Output>, ctx: Context): Promise<Outcome<Output>> {
  const input = await validate(op.input, await ctx.rawInput())
  const data = await op.handler(input, ctx)
  if (checkOutputs && op.output) await checkOutput(op, data)
  return { ok: true, data }
}

/** Outside production, a handler whose result drifts from its declared output is a bug: fail loudly. */
async function checkOutput(op: Operation<StandardSchemaV1, unknown>, data: unknown): Promise<void> {
  const wire: unknown = data === undefined ? undefined : JSON.parse(JSON.stringify(data))
  const result = await op.output!['~standard'].validate(wire)
  if (result.issues) {
    const where = result.issues.map((issue) => `${issue.path?.map(String).join('.') || '(root)'}: ${issue.message}`).join('; ')
    throw new Error(`${op.name} returned data that does not match its output schema: ${where}`)
  }
}

/**
 * Runs an operation's middleware, validation and handler. Every failure comes back as an
 * OperationError value; unexpected errors are logged with an id and reduced to that id. Next's own
 * control-flow errors (`redirect()`, `notFound()`, dynamic bail-outs) are rethrown untouched.
 */
export async function execute<Schema extends StandardSchemaV1, Output>(
  op: Operation<Schema, Output>,
  raw: unknown,
  request: RequestContext,
): Promise<Outcome<Output>> {
  let read: Promise<unknown> | undefined
  const rawInput = () => (read ??= raw instanceof DeferredInput ? raw.read() : Promise.resolve(raw))
  const ctx = callContext(request, op.name, rawInput)
  const guard = async (step: () => Promise<Outcome<unknown>>): Promise<Outcome<unknown>> => {
    try {
      return await step()
    } catch (error) {
      unstable_rethrow(error)
      if (error instanceof OperationError) return { ok: false, error }
      return { ok: false, error: unexpected(error, ctx) }
    }
  }
  const handler = (current: Context) => guard(() => run(op as Operation<StandardSchemaV1, Output>, current))
  return traced(ctx, async () => {
    const outcome = (await (op.use.length === 0 ? handler(ctx) : compose(op.use, handler, guard, op.name)(ctx))) as Outcome<Output>
    if (outcome.ok && op.revalidate) await revalidateAfter(op.revalidate, outcome.data, ctx)
    if (!outcome.ok && !declares(op, outcome.error.code)) return undeclared(op, outcome.error, ctx)
    return outcome
  })
}

const declares = (op: Operation<StandardSchemaV1, unknown>, code: string) => isDoorCode(code) || Object.hasOwn(op.errors, code)

/** An error code the operation does not declare: a bug, loud outside production; in production an INTERNAL 500 with an error id. */
class UndeclaredCode extends Error {
  override readonly name = 'UndeclaredCode'
}

function undeclared(op: Operation<StandardSchemaV1, unknown>, error: OperationError, ctx: Context): Outcome<never> {
  const bug = new UndeclaredCode(
    `${op.name} answered the error code ${error.code}, which neither it nor its middleware declares: add it to the operation's \`errors\` (defineErrors) or to the middleware's.`,
    { cause: error },
  )
  if (checkOutputs) throw bug
  return { ok: false, error: unexpected(bug, ctx) }
}
