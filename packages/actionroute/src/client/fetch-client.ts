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

/**
 * Failures the client itself reports: no answer at all, an answer that is not the API's JSON, or a request it
 * will not send (`INVALID_REQUEST`: a path parameter that is empty, `.` or `..`, which URLs resolve to another path,
 * or text that is not well-formed Unicode, which would be sent as U+FFFD).
 */
export type ClientErrorCode = 'NETWORK_ERROR' | 'UNEXPECTED_RESPONSE' | 'INVALID_REQUEST'

/** An RFC 9457 problem as the API answers it, with `code` typed by the operation. */
export interface ClientProblem<Code extends string = string> {
  type: string
  title: string
  status: number
  detail: string
  code: Code | ClientErrorCode
  issues?: FieldIssue[]
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
  /** Wait and send again when a 429 or 503 says how long to wait (`Retry-After`). Off by default; `{}` for the defaults. */
  retryAfter?: RetryAfterOptions
}

export interface RetryAfterOptions {
  /** The longest one wait may be, in ms: an answer asking for longer is returned at once, as it is. Default 60,000. */
  maxWaitMs?: number
  /** How many times one call is sent again at most; then the last answer is returned. Default 5. */
  maxRetries?: number
  /** Told before each wait, for a progress line or a log. */
  onWait?: (wait: RetryWait) => void
}

/** One wait `retryAfter` is about to make. */
export interface RetryWait {
  /** How long, in milliseconds. */
  ms: number
  /** Which retry it waits for: 1 before the first. */
  retry: number
  method: HttpMethod
  /** The path as the table spells it (`/api/users/{id}`). */
  path: string
  /** The answer that asked for the wait. */
  status: 429 | 503
}

function problem(status: number, code: ClientErrorCode, detail: string): ClientProblem<never> {
  return { type: `urn:actionroute:problem:${code.toLowerCase().replaceAll('_', '-')}`, title: code, status, detail, code }
}

/** A request the client refuses to send; `call` turns it into an `INVALID_REQUEST` problem, never a throw. */
class InvalidRequest extends Error {}

/** A lone surrogate: a high one not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function wellFormed(text: string, what: string): string {
  if (LONE_SURROGATE.test(text)) throw new InvalidRequest(`${what} is not well-formed Unicode (it holds a lone surrogate).`)
  return text
}

/**
 * The query string of `query`, written as the route door reads it back: `a.b=1` for nested objects,
 * repeated names for arrays of values (`tags=x&tags=y`), `items[0].name=x` for arrays of objects, dates as
 * ISO strings. A key holding `.`, `[` or `]` would be read back as a path, so it is refused.
 */
function appendQuery(params: URLSearchParams, prefix: string, value: unknown): void {
  if (value === undefined || value === null) return
  if (value instanceof Date) return params.append(prefix, value.toISOString())
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      if (typeof item === 'object' && item !== null && !(item instanceof Date)) appendQuery(params, `${prefix}[${index}]`, item)
      else appendQuery(params, prefix, item)
    })
    return
  }
  if (typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (/[.[\]]/.test(key)) throw new InvalidRequest(`The query key ${JSON.stringify(key.slice(0, 40))} holds ".", "[" or "]", which the server reads as a path.`)
      appendQuery(params, prefix === '' ? key : `${prefix}.${key}`, item)
    }
    return
  }
  params.append(wellFormed(prefix, 'A query key'), wellFormed(String(value), `The query value of ${JSON.stringify(prefix.slice(0, 40))}`))
}

function urlOf(base: string | URL, path: string, params: Record<string, string> = {}, query: Record<string, unknown> = {}): URL {
  const filled = path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params[name]
    if (value === undefined) throw new TypeError(`createClient: missing path parameter "${name}" for ${path}`)
    // `..` (or `.`, or %2E%2E, which URLs treat the same) would take the call, and its credentials, to another path.
    if (value === '' || value === '.' || value === '..') throw new InvalidRequest(`The path parameter "${name}" is ${JSON.stringify(value)}, which would address another path.`)
    return encodeURIComponent(wellFormed(value, `The path parameter "${name}"`))
  })
  // Relative to the base, so a base with a path of its own (https://example.com/v1/) keeps it.
  const baseText = String(base)
  const url = new URL(filled.replace(/^\//, ''), baseText.endsWith('/') ? baseText : `${baseText}/`)
  appendQuery(url.searchParams, '', query)
  return url
}

// IMF-fixdate, the form `Date.prototype.toUTCString()` writes and `Date.parse` must read back. The obsolete
// RFC 850 and asctime forms are not read: the answer is then returned unretried, as for any unreadable value.
const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/

function httpDate(value: string | null): number | undefined {
  const at = value !== null && IMF_FIXDATE.test(value) ? Date.parse(value) : Number.NaN
  return Number.isNaN(at) ? undefined : at
}

/** The wait, in ms, that a 429 or 503 asks for with `Retry-After` (RFC 9110 §10.2.3); undefined when it asks for none it can have. */
function retryAfterMs(response: Response): number | undefined {
  if (response.status !== 429 && response.status !== 503) return undefined
  const value = response.headers.get('retry-after')
  if (value === null) return undefined
  if (/^\d+$/.test(value)) return Number(value) * 1000
  const at = httpDate(value)
  if (at === undefined) return undefined
  // Counted from the answer's own Date when it has one, so a client clock that is off does not change the wait.
  const wait = at - (httpDate(response.headers.get('date')) ?? Date.now())
  return wait >= 0 ? wait : undefined
}

/** Resolves after `ms`; rejects with the signal's reason (an AbortError, as fetch rejects) if it aborts first. */
function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const abort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', abort, { once: true })
  })
}

// setTimeout fires at once for anything longer (about 24.8 days).
const LONGEST_TIMER_MS = 2 ** 31 - 1

const isProblem = (value: unknown): value is ClientProblem =>
  typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'string'

/**
 * A typed client for the paths table `Api` (`typeof api`, imported as a type only): path params, query
 * and body typed from each operation's input, data from its output as JSON, and failures returned as
 * problems whose `code` is a union of that operation's codes. It throws only when the caller aborts.
 */
export function createClient<Api extends ApiPaths>(options: ClientOptions): Client<Api> {
  const send = options.fetch ?? ((request: Request) => globalThis.fetch(request))
  const retry = options.retryAfter
  const maxWaitMs = retry?.maxWaitMs ?? 60_000
  const maxRetries = retry?.maxRetries ?? 5
  if (!(maxWaitMs >= 0 && maxWaitMs <= LONGEST_TIMER_MS)) throw new TypeError(`createClient: retryAfter.maxWaitMs must be from 0 to ${LONGEST_TIMER_MS} (got ${maxWaitMs}).`)
  if (!(Number.isInteger(maxRetries) && maxRetries >= 0)) throw new TypeError(`createClient: retryAfter.maxRetries must be a whole number from 0 (got ${maxRetries}).`)

  async function call(method: HttpMethod, path: string, request: Partial<ClientRequest<unknown, string, HttpMethod>> = {}): Promise<AnyResult> {
    const readsQuery = method === 'GET' || method === 'DELETE'
    const input = request as { params?: Record<string, string>; query?: Record<string, unknown>; body?: unknown }
    let url: URL
    let headers: Headers
    let body: string | undefined
    try {
      url = urlOf(options.baseUrl, path, input.params, readsQuery ? input.query : undefined)
      headers = new Headers(typeof options.headers === 'function' ? await options.headers() : options.headers)
      for (const [name, value] of new Headers(request.headers)) headers.set(name, value)
      headers.set('accept', 'application/json, application/problem+json')
      // JSON escapes a lone surrogate (`"\ud800"`): the server reads back exactly what was sent.
      body = !readsQuery && input.body !== undefined ? JSON.stringify(input.body) : undefined
      if (body !== undefined) headers.set('content-type', 'application/json')
    } catch (error) {
      // A header that is not a ByteString, a BigInt in the body: a request that cannot be sent as given.
      if (!(error instanceof InvalidRequest || error instanceof TypeError) || (error as Error).message.startsWith('createClient:')) throw error
      return { ok: false, status: 0, error: problem(0, 'INVALID_REQUEST', `${method} ${path} was not sent: ${(error as Error).message}`), response: undefined }
    }

    let response: Response
    // A 429 or 503 with Retry-After says the server did not process the call, so even a POST is safe to send again.
    for (let retries = 0, wait: number | undefined; ; retries++) {
      try {
        // An abort during the wait ends the call as one during fetch would.
        if (wait !== undefined) await delay(wait, request.signal)
        // A new Request each time: one whose body was sent cannot be sent again (the body is a string, so it can be rebuilt).
        response = await send(new Request(url, { method, headers, body, signal: request.signal }))
      } catch (error) {
        if ((error as Error).name === 'AbortError') throw error
        return { ok: false, status: 0, error: problem(0, 'NETWORK_ERROR', `No answer from ${url.origin}: ${(error as Error).message}`), response: undefined }
      }
      wait = retry && retries < maxRetries ? retryAfterMs(response) : undefined
      if (wait === undefined || wait > maxWaitMs) break
      retry?.onWait?.({ ms: wait, retry: retries + 1, method, path, status: response.status as 429 | 503 })
      // Frees the connection the unread answer would hold.
      response.body?.cancel().catch(() => {})
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
