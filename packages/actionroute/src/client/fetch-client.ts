// A typed HTTP client for a paths table, with no code generation: `createClient<typeof api>({ baseUrl })`.
// Client-safe: it imports types only from the server modules, and runs wherever `fetch` does.
import type { FieldIssue } from '../core/errors'
import type { ErrorCodesOf, HttpMethod, InputOf, OutputOf } from '../core/operation'
import type { ApiPaths } from '../http/router'

/** What `JSON.stringify` makes of a value: Dates become strings, functions and `undefined` properties drop out. */
export type Jsonify<T> = T extends Date
  ? string
  : T extends { toJSON(): infer J }
    ? J
    : T extends readonly (infer Item)[]
      ? Jsonify<Item>[]
      : T extends object
        ? { [K in keyof T as T[K] extends ((...args: never[]) => unknown) | undefined ? never : K]: Jsonify<T[K]> }
        : T

/** `/api/users/{id}` → `'id'`. */
export type PathParams<Path extends string> = Path extends `${string}{${infer Name}}${infer Rest}` ? Name | PathParams<Rest> : never

/** Failures the client itself reports: no answer at all, or an answer that is not the API's JSON. */
export type ClientErrorCode = 'NETWORK_ERROR' | 'UNEXPECTED_RESPONSE'

/** An RFC 9457 problem as the API answers it, with `code` typed by the operation. */
export interface ClientProblem<Code extends string = string> {
  type: string
  title: string
  status: number
  detail: string
  code: Code | ClientErrorCode
  errors?: FieldIssue[]
  errorId?: string
}

/** What a call returns, never throws: the data, or the problem. */
export type ClientResult<Op> =
  | { ok: true; status: number; data: Jsonify<OutputOf<Op>>; response: Response }
  | { ok: false; status: number; error: ClientProblem<ErrorCodesOf<Op>>; response: Response | undefined }

type Rest<Op, Path extends string> = Omit<InputOf<Op>, PathParams<Path>>

/** Path params, then the rest of the input: in the query string for GET and DELETE, as a JSON body otherwise. */
export type ClientRequest<Op, Path extends string, Method extends HttpMethod> = ([PathParams<Path>] extends [never]
  ? { params?: never }
  : { params: Record<PathParams<Path>, string> }) &
  (Method extends 'GET' | 'DELETE'
    ? { query?: Rest<Op, Path> }
    : object extends Rest<Op, Path>
      ? { body?: Rest<Op, Path> }
      : { body: Rest<Op, Path> }) & {
    headers?: HeadersInit
    signal?: AbortSignal
  }

/** ClientResult before the table's types are applied. */
type AnyResult = { ok: true; status: number; data: unknown; response: Response } | { ok: false; status: number; error: ClientProblem; response: Response | undefined }

/** The paths of `Api` that serve `Method`. */
export type PathsWith<Api extends ApiPaths, Method extends HttpMethod> = {
  [Path in keyof Api & string]: Method extends keyof Api[Path] ? Path : never
}[keyof Api & string]

/** The operation that answers `Method` at `Path`. */
export type OperationAt<Api extends ApiPaths, Path extends keyof Api, Method extends HttpMethod> = NonNullable<Api[Path][Method]>

// The request may be left out only when nothing in it is required.
type RequestArgs<Request> = object extends Request ? [request?: Request] : [request: Request]

/** One method per HTTP method, taking the paths that serve it. */
export type Client<Api extends ApiPaths> = {
  [Method in HttpMethod]: <Path extends PathsWith<Api, Method>>(
    path: Path,
    ...request: RequestArgs<ClientRequest<OperationAt<Api, Path, Method>, Path, Method>>
  ) => Promise<ClientResult<OperationAt<Api, Path, Method>>>
}

export interface ClientOptions {
  /** Where the API lives: `https://example.com` (paths are taken from the table, `/api/...`). */
  baseUrl: string | URL
  /** Another fetch (a test double, a fetch with retries); `globalThis.fetch` by default. */
  fetch?: (input: Request) => Promise<Response>
  /** Headers for every call (an API key), or a function that returns them (a fresh token). */
  headers?: HeadersInit | (() => HeadersInit | Promise<HeadersInit>)
}

function problem(status: number, code: ClientErrorCode, detail: string): ClientProblem<never> {
  return { type: `urn:actionroute:problem:${code.toLowerCase().replaceAll('_', '-')}`, title: code, status, detail, code }
}

function queryValue(value: unknown): string {
  return value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value)
}

function urlOf(base: string | URL, path: string, params: Record<string, string> = {}, query: Record<string, unknown> = {}): URL {
  const filled = path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    if (params[name] === undefined) throw new TypeError(`createClient: missing path parameter "${name}" for ${path}`)
    return encodeURIComponent(params[name])
  })
  // Relative to the base, so a base with a path of its own (https://example.com/v1/) keeps it.
  const baseText = String(base)
  const url = new URL(filled.replace(/^\//, ''), baseText.endsWith('/') ? baseText : `${baseText}/`)
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, queryValue(item))
  }
  return url
}

const isProblem = (value: unknown): value is ClientProblem =>
  typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'string'

/**
 * A typed client for the paths table `Api` (`typeof api`, imported as a type only): path params, query
 * and body typed from each operation's input, data from its output as JSON, and failures returned as
 * problems whose `code` is a union of that operation's codes. It throws only when the caller aborts.
 */
export function createClient<Api extends ApiPaths>(options: ClientOptions): Client<Api> {
  const send = options.fetch ?? ((request: Request) => globalThis.fetch(request))

  async function call(method: HttpMethod, path: string, request: Partial<ClientRequest<unknown, string, HttpMethod>> = {}): Promise<AnyResult> {
    const readsQuery = method === 'GET' || method === 'DELETE'
    const input = request as { params?: Record<string, string>; query?: Record<string, unknown>; body?: unknown }
    const url = urlOf(options.baseUrl, path, input.params, readsQuery ? input.query : undefined)
    const headers = new Headers(typeof options.headers === 'function' ? await options.headers() : options.headers)
    for (const [name, value] of new Headers(request.headers)) headers.set(name, value)
    headers.set('accept', 'application/json, application/problem+json')
    const body = !readsQuery && input.body !== undefined ? JSON.stringify(input.body) : undefined
    if (body !== undefined) headers.set('content-type', 'application/json')

    let response: Response
    try {
      response = await send(new Request(url, { method, headers, body, signal: request.signal }))
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error
      return { ok: false, status: 0, error: problem(0, 'NETWORK_ERROR', `No answer from ${url.origin}: ${(error as Error).message}`), response: undefined }
    }
    const text = await response.text()
    let parsed: unknown
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      const detail = `Expected JSON from ${method} ${url.pathname}, got ${response.headers.get('content-type') ?? 'no content type'}: ${text.slice(0, 200)}`
      return { ok: false, status: response.status, error: problem(response.status, 'UNEXPECTED_RESPONSE', detail), response }
    }
    if (response.ok) return { ok: true, status: response.status, data: parsed, response }
    const error = isProblem(parsed) ? parsed : problem(response.status, 'UNEXPECTED_RESPONSE', `${method} ${url.pathname} answered ${response.status}.`)
    return { ok: false, status: response.status, error, response }
  }

  const bind = (method: HttpMethod) => (path: string, request?: object) => call(method, path, request)
  // One implementation for every method; the types of each come from the table.
  const client = { GET: bind('GET'), POST: bind('POST'), PUT: bind('PUT'), PATCH: bind('PATCH'), DELETE: bind('DELETE') }
  return client as unknown as Client<Api>
}
