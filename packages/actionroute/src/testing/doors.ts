import { isDeepStrictEqual } from 'node:util'
import { action } from '../action/action'
import { contextOverride } from '../action/context'
import { clientIp } from '../core/client-address'
import { cookiesOf, type RequestContext } from '../core/context'
import type { HttpMethod, Operation } from '../core/operation'
import type { ExposedDoor } from '../inventory'
import { formInput } from '../input/coerce'
import { readsQuery, route } from '../http/route'

export interface TestRequestInit {
  headers?: HeadersInit
}

/**
 * Runs Server Actions outside Next (unit tests, the parity kit): inside `fn`, actions read their
 * context from `init` instead of `next/headers`, which only works during a real request.
 */
export function withActionContext<T>(init: TestRequestInit, fn: () => Promise<T>): Promise<T> {
  const headers = new Headers(init.headers)
  const ctx: RequestContext = {
    door: 'action',
    headers,
    cookies: cookiesOf(headers),
    ip: clientIp(headers),
  }
  return contextOverride.run(ctx, fn)
}

/** What a caller can observe of one call, whatever the door: the data, or the error's code, status and field paths. */
export type Observed = { ok: true; data: unknown } | { ok: false; code: string; status: number; paths: string[] }

export interface ParityOptions {
  /** The HTTP method the route serves the operation on; GET and DELETE send the input as a query string. */
  method?: HttpMethod
  /** Input keys that travel as route params (`/users/{id}`) instead of in the body or query. */
  params?: readonly string[]
  /** Puts the world back before each door's call, so both start from the same state. */
  reset?: () => unknown
  /** Keeps only what should match: drop generated ids, timestamps, or text that names the door. */
  project?: (data: unknown) => unknown
  headers?: HeadersInit
}

export interface Parity {
  route: Observed
  action: Observed
  same: boolean
}

const json = (value: unknown): unknown => (value === undefined ? null : JSON.parse(JSON.stringify(value)))

function observedError(code: string, status: number, paths: string[]): Observed {
  return { ok: false, code, status, paths: [...new Set(paths)].sort() }
}

async function throughRoute(op: Operation, input: unknown, options: ParityOptions): Promise<Observed> {
  const method = options.method ?? 'POST'
  const fields = { ...(input as Record<string, unknown>) }
  const params: Record<string, string> = {}
  for (const key of options.params ?? []) {
    params[key] = String(fields[key])
    delete fields[key]
  }
  const url = new URL('http://parity.test/')
  const headers = new Headers(options.headers)
  let body: string | undefined
  if (readsQuery(method)) {
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) url.searchParams.append(key, String(value))
  } else {
    body = JSON.stringify(fields)
    headers.set('content-type', 'application/json')
  }
  const response = await route(op)(new Request(url, { method, headers, body }), { params: Promise.resolve(params) })
  const text = await response.text()
  const payload = text ? (JSON.parse(text) as Record<string, unknown>) : null
  if (response.ok) return { ok: true, data: payload }
  const problem = payload as { code: string; issues?: { path: string }[] }
  return observedError(problem.code, response.status, (problem.issues ?? []).map((issue) => issue.path))
}

/**
 * What a query string makes of `input`: every value becomes text, and the schema-guided coercion
 * turns it back. A GET operation's action gets that, so both doors start from the same input.
 */
function asQueryInput(op: Operation, input: unknown, params: readonly string[]): unknown {
  if (typeof input !== 'object' || input === null) return input
  const query = new URLSearchParams()
  const kept: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input)) {
    if (params.includes(key)) kept[key] = value
    else if (value !== undefined) query.append(key, String(value))
  }
  return { ...formInput(op.input, query, undefined, { query: true }), ...kept }
}

async function throughAction(op: Operation, input: unknown, options: ParityOptions): Promise<Observed> {
  const sent = readsQuery(options.method ?? 'POST') ? asQueryInput(op, input, options.params ?? []) : input
  const result = await withActionContext({ headers: options.headers }, () => action(op)(sent))
  if (result.ok) return { ok: true, data: json(result.data) }
  return observedError(result.error.code, result.error.status, result.error.issues.map((issue) => issue.path))
}

/**
 * Runs one input through the Route Handler and through the Server Action, in-process, and compares
 * what a caller would observe: the same data (as JSON), or the same error code, status and field paths.
 */
export async function compareDoors(op: Operation, input: unknown, options: ParityOptions = {}): Promise<Parity> {
  const project = options.project ?? ((data: unknown) => data)
  await options.reset?.()
  const viaRoute = await throughRoute(op, input, options)
  await options.reset?.()
  const viaAction = await throughAction(op, input, options)
  // A 204 answers no body: over HTTP only success itself is observable.
  const noBody = (op.http?.status ?? 200) === 204
  const comparable = (observed: Observed) =>
    observed.ok ? { ok: true, data: noBody ? null : project(observed.data) } : observed
  return { route: viaRoute, action: viaAction, same: isDeepStrictEqual(comparable(viaRoute), comparable(viaAction)) }
}

/** Like `compareDoors`, but throws a readable diff when the doors disagree. */
export async function expectParity(op: Operation, input: unknown, options: ParityOptions = {}): Promise<void> {
  const parity = await compareDoors(op, input, options)
  if (parity.same) return
  const show = (value: unknown) => JSON.stringify(value, null, 2)
  throw new Error(
    `${op.name}: the doors disagree for input ${show(input)}\nroute:  ${show(parity.route)}\naction: ${show(parity.action)}`,
  )
}

/**
 * Fails, naming them, when any door in `doors` (from `inventory()`) belongs to an operation with no auth
 * decision: every exposed operation should be `base.public()` or behind `authenticate()`.
 */
export function expectAuthDecided(doors: readonly ExposedDoor[]): void {
  const undecided = doors.filter((door) => door.access === 'undecided')
  if (undecided.length === 0) return
  throw new Error(
    `These doors serve operations with no auth decision (define them on base.public() or behind authenticate()):\n${undecided.map((door) => `  ${door.operation}: ${door.door} ${door.at}`).join('\n')}`,
  )
}

/**
 * Asserts that `op` needs a principal on both doors: called with `options.headers` (none by default) it is
 * refused through the route and through the Server Action alike, with the same 401 `UNAUTHORIZED`.
 */
export async function expectRefusedWithoutPrincipal(op: Operation, input: unknown, options: ParityOptions = {}): Promise<void> {
  if (op.access !== 'authenticated') throw new Error(`${op.name} does not authenticate its callers: its access is ${op.access}.`)
  const parity = await compareDoors(op, input, options)
  const refused = (observed: Observed) => !observed.ok && observed.code === 'UNAUTHORIZED' && observed.status === 401
  if (parity.same && refused(parity.route) && refused(parity.action)) return
  const show = (value: unknown) => JSON.stringify(value)
  throw new Error(`${op.name}: expected 401 UNAUTHORIZED on both doors\nroute:  ${show(parity.route)}\naction: ${show(parity.action)}`)
}
