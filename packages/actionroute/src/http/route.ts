import type { StandardSchemaV1 } from '@standard-schema/spec'
import { BODY_MEDIA_TYPES, checkCharset, contentTypeOf, DEFAULT_BODY_LIMIT, readBody, type Body } from './body'
import { clientIp } from '../core/client-address'
import { cookiesOf, type RequestContext } from '../core/context'
import { OperationError } from '../core/errors'
import { formInput } from '../input/coerce'
import { DeferredInput, execute, type HttpMethod, type Operation } from '../core/operation'
import type { Outcome } from '../core/middleware'
import { problemResponse } from './problem'
import { cors, type CorsOptions } from './cors'
import { crossSiteRefused, isCrossSiteForm, originCheck } from './csrf'
import { parseUrlEncoded, type FormLimits } from '../input/form-data'
import { parseIdempotencyKey } from '../core/idempotency-key'
import type { JsonLimits } from '../input/json'
import { DEFAULT_FILE_LIMITS, fileRulesFor, type FileLimits, type FileRule } from '../input/files'
import { readFileBody } from '../input/file-body'
import { isAsyncIterable, streamFailure } from '../core/stream'
import { eventStream, NDJSON_CONTENT_TYPE, SSE_CONTENT_TYPE, wantsNdjson } from './event-stream'
import { temporaryFiles, type FileSink, type FileSinkFactory } from '../input/upload'
import { defaultMessage, errorState, successState } from '../action/envelope'
import { isBrowserNavigation, outcomeRedirect } from '../action/no-script'

/** The second argument Next.js 16 passes to a Route Handler. */
export interface RouteContext {
  params: Promise<Record<string, string | string[] | undefined>>
}

export type RouteHandler = (request: Request, context: RouteContext) => Promise<Response>

export interface RouteOptions {
  /** Largest accepted request body in bytes; default 1 MB. */
  bodyLimit?: number
  /** Bounds on a JSON body (nesting depth, keys per object); see `DEFAULT_JSON_LIMITS`. */
  jsonLimits?: Partial<JsonLimits>
  /** Bounds on urlencoded, multipart and query fields; see `DEFAULT_FORM_LIMITS`. */
  formLimits?: Partial<FormLimits>
  /**
   * Origins (`https://app.example.com`) besides the server's own whose pages may post forms here.
   * Form-type requests (urlencoded, multipart, text/plain) with an unsafe method from any other
   * origin are refused with 403: a browser sends those cross-site without asking first.
   */
  allowedOrigins?: readonly string[]
  /**
   * Which pages on other origins may call these routes from a browser (CORS): preflights answered,
   * `Access-Control-Allow-Origin` on the answers, credentials off unless asked. Origins listed by name
   * may post forms too; `'*'` never lets a cross-site form through.
   */
  cors?: CorsOptions
  /**
   * Files in a multipart body stream to disk as they arrive, each checked against its field's schema (`z.file()
   * .max(…).mime([…])`) while it does, and are removed when the call ends: read or store them in the handler.
   */
  files?: FileOptions
  /**
   * `'redirect'`: a form a browser posts here by itself (`<form action="/api/…" method="post">`, JavaScript off) is
   * answered with a 303 back to its page, the outcome in a cookie for `formOutcome(op)`, as `formAction(op,
   * { withoutJavaScript: 'redirect' })` answers. So a form too large for a Server Action (a file upload) still works
   * without JavaScript. Other callers (fetch, API clients) get JSON and problem+json as always.
   */
  browserForms?: 'redirect'
}

export interface FileOptions extends Partial<FileLimits> {
  /** Where a request's files go while its call runs; default the OS's temporary directory. */
  directory?: string
  /** A sink of your own for each request (e.g. straight to object storage); default `temporaryFiles(directory)`. */
  sink?: FileSinkFactory
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const satisfies readonly HttpMethod[]
const READS_QUERY = new Set(['GET', 'HEAD', 'DELETE'])

/** GET, HEAD and DELETE carry their input in the query string; the other methods in the body. */
export const readsQuery = (method: string): boolean => READS_QUERY.has(method)

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Query string (GET/DELETE) or body, shaped by the operation's schema, with route params laid over it. */
async function inputOf(op: Operation, request: Request, context: RouteContext | undefined, options: RouteOptions, upload: Upload): Promise<unknown> {
  const params = (await context?.params) ?? {}
  const query = readsQuery(request.method)
  const files = { sink: upload.sink(), rules: upload.rules, maxFileSize: options.files?.maxFileSize, maxFiles: options.files?.maxFiles }
  const body: Body | undefined = query
    ? { form: parseUrlEncoded(new URL(request.url).search.slice(1), options.formLimits) }
    : isFileBody(op, request)
      ? { form: await fileBodyForm(op.http!.fileBody!, request, upload, options) }
      : await readBody(request, { limit: options.bodyLimit ?? DEFAULT_BODY_LIMIT, jsonLimits: options.jsonLimits, formLimits: options.formLimits, files })
  if (options.browserForms && body && 'form' in body && !query) upload.form = body.form instanceof FormData ? body.form : formDataOf(body.form)
  const source = body === undefined ? undefined : 'form' in body ? formInput(op.input, body.form, options.formLimits, { query }) : body.json
  const hasParams = Object.keys(params).length > 0
  // No body reads as an empty object, so a missing field is reported by name rather than "expected object".
  if (source === undefined) return { ...params }
  // Copy only to lay params over the body: copying a large object costs as much as parsing it.
  if (isPlainObject(source)) return hasParams ? { ...source, ...params } : source
  if (!hasParams) return source
  throw new OperationError('BAD_REQUEST', 'The request body must be a JSON object.')
}

/** The body is the file of the operation's `http.fileBody` field: of a media type, other than the JSON and form ones. */
function isFileBody(op: Operation, request: Request): boolean {
  if (op.http?.fileBody === undefined) return false
  const { mediaType } = contentTypeOf(request)
  // Without a Content-Type, the body is of no type: refused (415) as for any operation.
  return mediaType !== '' && !(BODY_MEDIA_TYPES as readonly string[]).includes(mediaType)
}

/** The body as the file of `field`: the input's only field besides the path's (a POST's query string is not read). */
async function fileBodyForm(field: string, request: Request, upload: Upload, options: RouteOptions): Promise<FormData> {
  // Its bytes are passed on as they are: text declared in another charset than UTF-8 would be misread (415).
  checkCharset(contentTypeOf(request).charset)
  const form = new FormData()
  const file = await readFileBody(request, field, upload.rules!.get(field)!, upload.sink(), options.files?.maxFileSize ?? DEFAULT_FILE_LIMITS.maxFileSize)
  form.append(field, file)
  return form
}

/** A handler's own Response (a file), with the door's headers it does not set itself. */
function withDoorHeaders(response: Response, door: Headers): Response {
  const headers = new Headers(response.headers)
  for (const [name, value] of door) if (!headers.has(name)) headers.append(name, value)
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
}

/** A urlencoded or multipart body, posted by a browser navigating: an HTML form sent without JavaScript. */
const isBrowserForm = (request: Request) =>
  !readsQuery(request.method) &&
  /^\s*(application\/x-www-form-urlencoded|multipart\/form-data)\s*(;|$)/i.test(request.headers.get('content-type') ?? '') &&
  isBrowserNavigation(request)

function formDataOf(params: URLSearchParams): FormData {
  const form = new FormData()
  for (const [name, value] of params) form.append(name, value)
  return form
}

function contextOf(request: Request, responseHeaders: Headers, idempotencyKey: string | undefined, signal: AbortSignal): RequestContext {
  return {
    door: 'route',
    headers: request.headers,
    cookies: cookiesOf(request.headers),
    ip: clientIp(request.headers),
    request,
    idempotencyKey,
    responseHeaders,
    signal,
    lastEventId: request.headers.get('last-event-id') ?? undefined,
  }
}

/** A request's files: the sink made when a body first needs one, disposed when the call ends. */
interface Upload {
  rules: ReadonlyMap<string, FileRule> | undefined
  /** The form the body held (urlencoded or multipart), for a browser form's answer to echo what was typed. */
  form?: FormData
  sink(): FileSink
  dispose(): Promise<void>
}

function uploadFor(rules: ReadonlyMap<string, FileRule> | undefined, options: FileOptions = {}): Upload {
  let sink: FileSink | undefined
  return {
    rules,
    sink: () => (sink ??= options.sink?.() ?? temporaryFiles(options.directory)),
    dispose: async () => sink?.dispose(),
  }
}

/** Serves an operation as a Next.js Route Handler: `export const POST = route(addUser)`. */
export function route<Output>(op: Operation<StandardSchemaV1, Output>, options: RouteOptions = {}): RouteHandler {
  const status = op.http?.status ?? 200
  const policy = cors(options.cors)
  const isListed = originCheck(options.allowedOrigins)
  const isAllowedOrigin = (origin: string) => isListed(origin) || policy?.listed(origin) === true
  const fileBody = op.http?.fileBody
  if (fileBody !== undefined && !fileRulesFor(op.input)?.get(fileBody)) {
    throw new TypeError(`route(${op.name}): http.fileBody names "${fileBody}", which is not a file field of its input (z.file()).`)
  }
  return async function handle(request, context) {
    const headers = policy?.headersFor(request) ?? new Headers()
    // A refusal of the request itself (a cross-site form, a malformed Idempotency-Key) is still the operation's
    // answer: its middleware runs around it (a request id, RateLimit headers go on it too), and it is thrown
    // where the input is first read, so no handler runs. Whatever a middleware answers instead of calling
    // next(), the refusal stands.
    let refusal: OperationError | undefined = isCrossSiteForm(request, isAllowedOrigin) ? crossSiteRefused() : undefined
    const idempotencyHeader = request.headers.get('idempotency-key')
    let idempotencyKey: string | undefined
    try {
      idempotencyKey = refusal || idempotencyHeader === null ? undefined : parseIdempotencyKey(idempotencyHeader)
    } catch (error) {
      refusal = error as OperationError
    }
    // Middleware runs before the body is read: a call it refuses costs no body read. A body that fails
    // to stream is as unexpected as a failing handler: logged with an id, answered with it.
    const upload = uploadFor(fileRulesFor(op.input), options.files)
    const input = new DeferredInput(() => (refusal ? Promise.reject(refusal) : inputOf(op, request, context, options, upload)))
    // A stream's work stops when its reader goes (the stream is cancelled), not only when the connection closes.
    const streaming = op.stream ? new AbortController() : undefined
    const signal = streaming ? AbortSignal.any([request.signal, streaming.signal]) : request.signal
    // The call has ended: its uploaded files go, whatever it answers; a stream's, once its handler is done.
    const dispose = () => upload.dispose().catch((error: unknown) => console.error('[actionroute] could not remove an upload:', error))
    let outcome: Outcome<Output>
    try {
      outcome = await execute(op, input, contextOf(request, headers, idempotencyKey, signal))
    } catch (error) {
      await dispose()
      throw error
    }
    const items = outcome.ok && isAsyncIterable(outcome.data) ? outcome.data : undefined
    if (!items) await dispose()
    // A stream nobody will read (the request was refused): its handler is told, then its files go.
    const drop = (stream: AsyncIterable<unknown>) => {
      streaming?.abort()
      void Promise.resolve(stream[Symbol.asyncIterator]().return?.()).catch(() => {}).finally(dispose)
    }
    // A form from another site is refused as problem+json, never sent back to a page of ours with a message.
    if (options.browserForms === 'redirect' && refusal?.code !== 'CROSS_SITE_REQUEST' && isBrowserForm(request)) {
      // A stream is read to its end here: its last item is the outcome (an import's summary, say).
      if (items && !refusal) outcome = await lastItem<Output>(items, op.name, () => streaming?.abort()).finally(dispose)
      else if (items) drop(items)
      // The form's fields when it was read; a body refused part-way (a file too large) echoes none.
      const state = !outcome.ok
        ? errorState(refusal ?? outcome.error, upload.form ?? null)
        : refusal
          ? errorState(refusal, upload.form ?? null)
          : successState(outcome.data, defaultMessage(outcome.data))
      return outcomeRedirect(op.name, state, request, headers)
    }
    if (refusal && outcome.ok) {
      if (items) drop(items)
      return problemResponse(refusal, headers)
    }
    if (!outcome.ok) return problemResponse(outcome.error, headers)
    if (outcome.data instanceof Response) return withDoorHeaders(outcome.data, headers)
    if (items) return streamResponse(items, op, request, headers, () => streaming?.abort(), () => void dispose())
    const location = op.http?.location?.(outcome.data)
    if (location) headers.set('location', location)
    if (status === 204) return new Response(null, { status, headers })
    headers.set('content-type', 'application/json')
    return new Response(JSON.stringify(outcome.data), { status, headers })
  }
}

/** A streaming operation's answer: SSE, or NDJSON when the client asks for it; never cached or transformed by proxies. */
function streamResponse(items: AsyncIterable<unknown>, op: Operation, request: Request, headers: Headers, abort: () => void, finished: () => void): Response {
  const ndjson = wantsNdjson(request)
  headers.set('content-type', ndjson ? NDJSON_CONTENT_TYPE : SSE_CONTENT_TYPE)
  headers.set('cache-control', 'no-cache, no-transform')
  // nginx buffers a proxied answer unless told not to: events would arrive in batches.
  headers.set('x-accel-buffering', 'no')
  const body = eventStream(items, { ndjson, options: op.stream ?? {}, operation: op.name, abort, finished })
  return new Response(body, { status: op.http?.status ?? 200, headers })
}

/** A stream read to its end on the server, for a browser form: its last item as the success, or the failure that ended it. */
async function lastItem<Output>(items: AsyncIterable<unknown>, operation: string, abort: () => void): Promise<Outcome<Output>> {
  let last: unknown
  try {
    for await (const item of items) last = item
    return { ok: true, data: last as Output }
  } catch (error) {
    return { ok: false, error: streamFailure(error, { operation, door: 'route' }) }
  } finally {
    abort()
  }
}

/** What `routes()` exports: a handler for every method Next routes, so none falls to Next's defaults. */
export type Routes = Record<(typeof METHODS)[number] | 'HEAD' | 'OPTIONS', RouteHandler>

/** The value of `Allow` for a path serving `operations`. */
export function allowedMethods(operations: Partial<Record<HttpMethod, Operation>>): string[] {
  const served = METHODS.filter((method) => operations[method])
  return [...served, ...(operations.GET ? ['HEAD'] : []), 'OPTIONS']
}

/**
 * Serves several operations from one path, one per method. HEAD answers as GET without a body,
 * OPTIONS lists the methods, and every other method answers 405 problem+json; all three from the same
 * table, so `Allow` never lies.
 * `export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = routes({ GET: listUsers, POST: addUser })`
 */
export function routes(operations: Partial<Record<HttpMethod, Operation>>, options: RouteOptions = {}): Routes {
  const methods = allowedMethods(operations)
  const allow = methods.join(', ')
  const policy = cors(options.cors)
  const notAllowed: RouteHandler = async (request) =>
    problemResponse(
      new OperationError('METHOD_NOT_ALLOWED', `${request.method} is not allowed here; use ${allow}.`, { headers: { allow } }),
      policy?.headersFor(request),
    )
  const handlers = {} as Routes
  for (const method of METHODS) {
    const op = operations[method]
    handlers[method] = op ? route(op, options) : notAllowed
  }
  handlers.HEAD = async (request, context) => {
    const response = await handlers.GET(request, context)
    // Not read: cancelled, so a stream's handler stops (its ctx.signal aborts) instead of waiting for a reader.
    response.body?.cancel().catch(() => {})
    return new Response(null, { status: response.status, statusText: response.statusText, headers: response.headers })
  }
  handlers.OPTIONS = async (request) => (policy ? policy.preflight(request, methods) : new Response(null, { status: 204, headers: { allow } }))
  return handlers
}
