import { randomUUID } from 'node:crypto'
import { unstable_rethrow } from 'next/navigation'
import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { Context } from './context'
import { ActionError } from './errors'
import { validate } from './validate'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface HttpOptions<Output> {
  /** Status of a successful response: 200 by default; 204 sends no body. */
  status?: number
  /** A `Location` header for the response, e.g. the URL of what was created. */
  location?(data: Output): string
}

export interface OperationConfig<Schema extends StandardSchemaV1, Output> {
  /** A stable name, used in logs (and later in OpenAPI as the operationId). */
  name: string
  input: Schema
  http?: HttpOptions<Output>
  // Method syntax on purpose: it keeps Operation<ZodObject<...>, X> assignable to Operation<StandardSchemaV1, unknown>.
  handler(input: StandardSchemaV1.InferOutput<Schema>, ctx: Context): Promise<Output> | Output
}

export interface Operation<Schema extends StandardSchemaV1 = StandardSchemaV1, Output = unknown>
  extends OperationConfig<Schema, Output> {
  readonly kind: 'operation'
}

export type InputOf<Op> = Op extends Operation<infer S, unknown> ? StandardSchemaV1.InferInput<S> : never
export type OutputOf<Op> = Op extends Operation<StandardSchemaV1, infer O> ? O : never

/** Defines a server operation once; serve it with `route()` and `formAction()` / `action()`. */
export function operation<Schema extends StandardSchemaV1, Output>(
  config: OperationConfig<Schema, Output>,
): Operation<Schema, Output> {
  return { ...config, kind: 'operation' }
}

export type Outcome<Output> = { ok: true; data: Output } | { ok: false; error: ActionError }

/**
 * Validates and runs an operation. Every failure comes back as an ActionError value;
 * unexpected errors are logged with an id and reduced to that id. Next's own control-flow
 * errors (`redirect()`, `notFound()`, dynamic bail-outs) are rethrown untouched.
 */
export async function execute<Schema extends StandardSchemaV1, Output>(
  op: Operation<Schema, Output>,
  raw: unknown,
  ctx: Context,
): Promise<Outcome<Output>> {
  try {
    const input = await validate(op.input, raw)
    return { ok: true, data: await op.handler(input, ctx) }
  } catch (error) {
    unstable_rethrow(error)
    if (error instanceof ActionError) return { ok: false, error }
    return { ok: false, error: unexpected(error, op.name, ctx) }
  }
}

function unexpected(error: unknown, name: string, ctx: Context): ActionError {
  const errorId = randomUUID()
  console.error(`[actionroute] unexpected error ${errorId} in ${name} (${ctx.transport}):`, error)
  return new ActionError('INTERNAL', `An unexpected error occurred. Quote reference ${errorId} when reporting it.`, {
    errorId,
  })
}
