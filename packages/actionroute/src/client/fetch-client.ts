// A typed HTTP client for a paths table, with no code generation: `createClient<typeof api>({ baseUrl })`.
// Client-safe: it imports types only from the server modules, and runs wherever `fetch` does.
import type { FieldIssue } from '../core/errors'
import type { ErrorCodesOf, HttpMethod, InputOf, OutputOf } from '../core/operation'
import type { ApiPaths } from '../http/router'
import type { ItemOf } from '../core/stream'
import { readEvents, StreamProblem } from './events'

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

/** What a body may hold where the input takes a `File`: any `Blob` (one with no name is sent as `blob`). */
export type Sendable<T> = T extends Blob
  ? Blob
  : T extends Date
    ? T
    : T extends readonly (infer Item)[]
      ? Sendable<Item>[]
      : T extends object
        ? { [K in keyof T]: Sendable<T[K]> }
        : T

/** How far a body has gone out: bytes handed to the network so far, of `total`. */
export interface UploadProgress {
  loaded: number
  total: number
}

/** Path params, then the rest of the input: in the query string for GET and DELETE, as a JSON body otherwise. */
export type ClientRequest<Op, Path extends string, Method extends HttpMethod> = ([PathParams<Path>] extends [never]
  ? { params?: never }
  : { params: Record<PathParams<Path>, string> }) &
  (Method extends 'GET' | 'DELETE'
    ? { query?: Rest<Op, Path> }
    : object extends Rest<Op, Path>
      ? { body?: Sendable<Rest<Op, Path>> }
      : { body: Sendable<Rest<Op, Path>> }) & {
    headers?: HeadersInit
    signal?: AbortSignal
    /**
     * Told as the body goes out, for a progress bar. In a browser the call then goes through XMLHttpRequest (fetch
     * reports no upload progress; not when `fetch` is given); elsewhere the body is streamed and counted.
     */
    onUploadProgress?: (progress: UploadProgress) => void
  }

/** What `stream()` opens: the items as they come, typed by the operation's item, or the problem that refused the call. */
export type StreamResult<Op> =
  | { ok: true; status: number; items: AsyncIterable<Jsonify<ItemOf<OutputOf<Op>>>>; response: Response }
  | { ok: false; status: number; error: ClientProblem<ErrorCodesOf<Op>>; response: Response | undefined }

export interface ReconnectOptions {
  /** How many times in a row a dropped connection is opened again: 5. */
  maxRetries?: number
  /** How long to wait first, in ms, unless the server sent `retry:`: 1,000. */
  delayMs?: number
}

/** What a stream's call may add: where to resume, and whether to reconnect when the connection drops. */
export interface StreamRequest {
  /** Sent as `Last-Event-ID`: the stream resumes after that event (if the operation supports it). */
  lastEventId?: string
  /** Open the stream again after a dropped connection, resuming after the last event seen. Off by default; `{}` for the defaults. */
  reconnect?: ReconnectOptions
}

type AnyStreamResult = { ok: true; status: number; items: AsyncIterable<unknown>; response: Response } | { ok: false; status: number; error: ClientProblem; response: Response | undefined }

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

/** One method per HTTP method, taking the paths that serve it; `stream` for a streaming operation's events. */
export type Client<Api extends ApiPaths> = {
  [Method in HttpMethod]: <Path extends PathsWith<Api, Method>>(
    path: Path,
    ...request: RequestArgs<ClientRequest<OperationAt<Api, Path, Method>, Path, Method>>
  ) => Promise<ClientResult<OperationAt<Api, Path, Method>>>
} & {
  /**
   * Opens a streaming operation's server-sent events: `for await (const item of opened.items)`. Fails as a call
   * does (`ok: false`) before the stream starts; a failure after ends the iteration with a StreamProblem.
   */
  stream<Method extends HttpMethod, Path extends PathsWith<Api, Method>>(
    method: Method,
    path: Path,
    ...request: RequestArgs<ClientRequest<OperationAt<Api, Path, Method>, Path, Method> & StreamRequest>
  ): Promise<StreamResult<OperationAt<Api, Path, Method>>>
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
 * Writes `value` as the route door reads forms and query strings back: `a.b=1` for nested objects, repeated names
 * for arrays of values (`tags=x&tags=y`), `items[0].name=x` for arrays of objects, dates as ISO strings, a Blob as
 * a file. A key holding `.`, `[` or `]` would be read back as a path, so it is refused.
 */
function writeFields(write: (name: string, value: string | Blob) => void, prefix: string, value: unknown): void {
  if (value === undefined || value === null) return
  if (value instanceof Date) return write(prefix, value.toISOString())
  if (value instanceof Blob) return write(prefix, value)
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      if (typeof item === 'object' && item !== null && !(item instanceof Date) && !(item instanceof Blob)) writeFields(write, `${prefix}[${index}]`, item)
      else writeFields(write, prefix, item)
    })
    return
  }
  if (typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (/[.[\]]/.test(key)) throw new InvalidRequest(`The key ${JSON.stringify(key.slice(0, 40))} holds ".", "[" or "]", which the server reads as a path.`)
      writeFields(write, prefix === '' ? key : `${prefix}.${key}`, item)
    }
    return
  }
  write(wellFormed(prefix, 'A field name'), wellFormed(String(value), `The value of ${JSON.stringify(prefix.slice(0, 40))}`))
}

/** Whether a file is anywhere in `value`: then the body goes as multipart, since JSON cannot carry one. */
function holdsBlob(value: unknown): boolean {
  if (value instanceof Blob) return true
  if (typeof value !== 'object' || value === null || value instanceof Date) return false
  return Object.values(value).some(holdsBlob)
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
  writeFields(
    (name, value) => {
      if (typeof value !== 'string') throw new InvalidRequest(`${JSON.stringify(name.slice(0, 40))} is a file, which a query string cannot carry: send it with POST, PUT or PATCH.`)
      url.searchParams.append(name, value)
    },
    '',
    query,
  )
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

interface Outgoing {
  url: URL
  method: HttpMethod
  headers: Headers
  body: string | FormData
  signal: AbortSignal | undefined
}

/**
 * `form` as multipart/form-data (RFC 7578, with the escaping of the HTML standard's form encoder), as one Blob of
 * its parts: its size is known before a byte is sent, and a file's bytes are read only as the body goes out.
 */
function multipartOf(form: FormData): { blob: Blob; type: string } {
  const boundary = `actionroute-${crypto.randomUUID()}`
  const escape = (text: string) => text.replace(/[\r\n"]/g, (char) => ({ '\r': '%0D', '\n': '%0A', '"': '%22' })[char]!)
  const parts: BlobPart[] = []
  for (const [name, value] of form) {
    const disposition = `--${boundary}\r\nContent-Disposition: form-data; name="${escape(name)}"`
    if (typeof value === 'string') parts.push(`${disposition}\r\n\r\n${value}\r\n`)
    else parts.push(`${disposition}; filename="${escape(value.name)}"\r\nContent-Type: ${value.type || 'application/octet-stream'}\r\n\r\n`, value, '\r\n')
  }
  parts.push(`--${boundary}--\r\n`)
  return { blob: new Blob(parts), type: `multipart/form-data; boundary=${boundary}` }
}

/** A request whose body is streamed and counted as it is read: upload progress wherever fetch runs. */
function counted({ url, method, headers, body, signal }: Outgoing, onProgress: (progress: UploadProgress) => void): Request {
  const { blob, type } = typeof body === 'string' ? { blob: new Blob([body]), type: undefined } : multipartOf(body)
  const sending = new Headers(headers)
  if (type !== undefined) sending.set('content-type', type)
  const total = blob.size
  let loaded = 0
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      controller.enqueue(chunk)
      loaded += chunk.byteLength
      onProgress({ loaded, total })
    },
  })
  // duplex: a streamed request body must say so (fetch's rule); it is sent chunked.
  return new Request(url, { method, headers: sending, body: blob.stream().pipeThrough(counter), signal, duplex: 'half' } as RequestInit)
}

/** Statuses whose Response may have no body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

/** The call through XMLHttpRequest, the one browser API that reports upload progress; answered as a fetch would. */
function viaXhr({ url, method, headers, body, signal }: Outgoing, onProgress: (progress: UploadProgress) => void): Promise<Response> {
  return new Promise((resolve, reject) => {
    const aborted = () => signal?.reason ?? new DOMException('The call was aborted.', 'AbortError')
    if (signal?.aborted) return reject(aborted())
    const xhr = new XMLHttpRequest()
    const abort = () => xhr.abort()
    signal?.addEventListener('abort', abort, { once: true })
    const settle = (settleWith: () => void) => () => {
      signal?.removeEventListener('abort', abort)
      settleWith()
    }
    xhr.open(method, url)
    headers.forEach((value, name) => xhr.setRequestHeader(name, value))
    xhr.responseType = 'arraybuffer'
    xhr.upload.onprogress = (event) => onProgress({ loaded: event.loaded, total: event.lengthComputable ? event.total : event.loaded })
    xhr.onload = settle(() => {
      const answered = new Headers()
      for (const line of xhr.getAllResponseHeaders().trim().split(/\r?\n/)) {
        const colon = line.indexOf(':')
        if (colon > 0) answered.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim())
      }
      resolve(new Response(NULL_BODY.has(xhr.status) ? null : (xhr.response as ArrayBuffer), { status: xhr.status, statusText: xhr.statusText, headers: answered }))
    })
    xhr.onerror = xhr.ontimeout = settle(() => reject(new TypeError('The request failed (XMLHttpRequest).')))
    xhr.onabort = settle(() => reject(aborted()))
    xhr.send(body)
  })
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
  const retry = options.retryAfter
  const maxWaitMs = retry?.maxWaitMs ?? 60_000
  const maxRetries = retry?.maxRetries ?? 5
  if (!(maxWaitMs >= 0 && maxWaitMs <= LONGEST_TIMER_MS)) throw new TypeError(`createClient: retryAfter.maxWaitMs must be from 0 to ${LONGEST_TIMER_MS} (got ${maxWaitMs}).`)
  if (!(Number.isInteger(maxRetries) && maxRetries >= 0)) throw new TypeError(`createClient: retryAfter.maxRetries must be a whole number from 0 (got ${maxRetries}).`)

  async function call(method: HttpMethod, path: string, request: Partial<ClientRequest<unknown, string, HttpMethod>> = {}, events = false): Promise<AnyResult> {
    const readsQuery = method === 'GET' || method === 'DELETE'
    const input = request as { params?: Record<string, string>; query?: Record<string, unknown>; body?: unknown }
    let url: URL
    let headers: Headers
    let body: string | FormData | undefined
    try {
      url = urlOf(options.baseUrl, path, input.params, readsQuery ? input.query : undefined)
      headers = new Headers(typeof options.headers === 'function' ? await options.headers() : options.headers)
      for (const [name, value] of new Headers(request.headers)) headers.set(name, value)
      headers.set('accept', events ? 'text/event-stream, application/problem+json' : 'application/json, application/problem+json')
      if (readsQuery || input.body === undefined) body = undefined
      else if (holdsBlob(input.body)) {
        const form = (body = new FormData())
        // A file with no name is sent as "blob", as FormData names a Blob: undici would send one named "" as a field.
        writeFields((name, value) => (typeof value === 'string' ? form.append(name, value) : form.append(name, value, (value as Partial<File>).name || 'blob')), '', input.body)
        // The boundary is chosen when the body is encoded, so the type is set there too.
        headers.delete('content-type')
      } else {
        // JSON escapes a lone surrogate (`"\ud800"`): the server reads back exactly what was sent.
        body = JSON.stringify(input.body)
        headers.set('content-type', 'application/json')
      }
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
        // A new request each time: one whose body was sent cannot be sent again (the body is rebuilt from the input).
        const progress = request.onUploadProgress
        if (progress && body !== undefined) {
          const outgoing = { url, method, headers, body, signal: request.signal }
          response = !options.fetch && typeof XMLHttpRequest === 'function' ? await viaXhr(outgoing, progress) : await send(counted(outgoing, progress))
        } else response = await send(new Request(url, { method, headers, body, signal: request.signal }))
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
    // A stream's answer is read by `stream()`, event by event.
    if (events && response.ok && response.headers.get('content-type')?.startsWith('text/event-stream') && response.body) return { ok: true, status: response.status, data: response.body, response }
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

  async function stream(method: HttpMethod, path: string, request: Partial<ClientRequest<unknown, string, HttpMethod> & StreamRequest> = {}): Promise<AnyStreamResult> {
    const withId = (lastEventId: string | undefined) => (lastEventId === undefined ? request : { ...request, headers: { ...Object.fromEntries(new Headers(request.headers)), 'last-event-id': lastEventId } })
    const first = await call(method, path, withId(request.lastEventId), true)
    if (!first.ok) return first
    if (!(first.data instanceof ReadableStream)) {
      return { ok: false, status: first.status, error: problem(first.status, 'UNEXPECTED_RESPONSE', `${method} ${path} answered ${first.response.headers.get('content-type') ?? 'no content type'}, not an event stream.`), response: first.response }
    }
    const reconnect = request.reconnect && ((lastEventId: string | undefined) => call(method, path, withId(lastEventId), true))
    return { ok: true, status: first.status, items: streamItems(first.data, reconnect, request.reconnect ?? {}, request.signal), response: first.response }
  }

  const bind = (method: HttpMethod) => (path: string, request?: object) => call(method, path, request)
  // One implementation for every method; the types of each come from the table.
  const client = { GET: bind('GET'), POST: bind('POST'), PUT: bind('PUT'), PATCH: bind('PATCH'), DELETE: bind('DELETE'), stream }
  return client as unknown as Client<Api>
}

/**
 * The items of an event stream, one per event, as JSON; `event: error` ends it with a StreamProblem. With
 * `reconnect`, a connection that drops is opened again (Last-Event-ID: the last id seen) after `delayMs`, or the
 * `retry:` the server asked for, up to `maxRetries` times in a row.
 */
async function* streamItems(
  body: ReadableStream<Uint8Array>,
  reconnect: ((lastEventId: string | undefined) => Promise<AnyResult>) | undefined,
  { maxRetries = 5, delayMs = 1000 }: ReconnectOptions,
  signal: AbortSignal | undefined,
): AsyncGenerator<unknown> {
  let lastEventId: string | undefined
  let wait = delayMs
  for (let retries = 0; ; ) {
    try {
      for await (const event of readEvents(body)) {
        lastEventId = event.id
        if (event.retry !== undefined) wait = event.retry
        retries = 0
        if (event.event === 'error') {
          const parsed: unknown = JSON.parse(event.data)
          throw new StreamProblem(isProblem(parsed) ? parsed : problem(0, 'UNEXPECTED_RESPONSE', event.data.slice(0, 200)))
        }
        yield JSON.parse(event.data)
      }
      return
    } catch (error) {
      if (error instanceof StreamProblem || (error as Error).name === 'AbortError' || signal?.aborted) throw error
      if (error instanceof SyntaxError || error instanceof RangeError) throw new StreamProblem(problem(0, 'UNEXPECTED_RESPONSE', `The event stream broke off: ${error.message}`))
      if (!reconnect || retries++ >= maxRetries) throw new StreamProblem(problem(0, 'NETWORK_ERROR', `The event stream was cut off: ${(error as Error).message}`))
    }
    await delay(wait, signal)
    const next = await reconnect(lastEventId)
    if (!next.ok) throw new StreamProblem(next.error)
    if (!(next.data instanceof ReadableStream)) throw new StreamProblem(problem(next.status, 'UNEXPECTED_RESPONSE', `Reconnecting got ${next.response.headers.get('content-type') ?? 'no content type'}, not an event stream.`))
    body = next.data
  }
}
