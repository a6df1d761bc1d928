/** Which door a call came through. */
export type Door = 'action' | 'route'

export interface CookieReader {
  get(name: string): string | undefined
}

/** What a door knows about the call before an operation runs. */
export interface RequestContext {
  door: Door
  headers: Headers
  cookies: CookieReader
  /** The client's address, from the headers `trustProxy()` says a proxy of yours sets; undefined until then. */
  ip: string | undefined
  /** The incoming Request, for Route Handlers only. */
  request?: Request
  /** The key the caller gave for retrying this call safely: `Idempotency-Key` on the route door, a form field on the action door. */
  idempotencyKey?: string
  /** Where the door reads the response headers middleware set; a fresh, unread set when absent. */
  responseHeaders?: Headers
  /** Aborts when the call's work should stop; a signal that never aborts when absent. */
  signal?: AbortSignal
  /** The `Last-Event-ID` a reconnecting client sent (route door): where a stream should resume. */
  lastEventId?: string
}

/** What every handler and middleware sees, whatever the door; `Locals` is what middleware added. */
export interface Context<Locals extends object = object> extends RequestContext {
  /** The name of the operation being run. */
  operation: string
  /**
   * What the middleware before added (`next({ user })` makes `ctx.locals.user`): kept apart from the
   * request's own fields, so no middleware can replace `headers`, `door` or `operation`.
   */
  locals: Readonly<Locals>
  /**
   * Headers for the response, success or error (`RateLimit`, `Idempotency-Key` replays…). The route
   * door sends them; the action door has no response of its own to put them on.
   */
  responseHeaders: Headers
  /**
   * The input as sent, before validation: the parsed body or query on the route door (read on the first
   * call, once), the argument on the action door. For middleware that must see it, such as idempotency.
   */
  rawInput(): Promise<unknown>
  /**
   * Aborts when the caller has gone: on the route door, the client closing the connection; for a streaming
   * operation (`stream`), also the reader cancelling, on either door. Pass it to what the handler waits on.
   */
  signal: AbortSignal
}

/**
 * The context of one call: the door's request context, plus the operation's name, the response
 * headers and the raw input. Field by field on purpose, not `{ ...request, operation, … }`: V8 takes a
 * slow path for a spread followed by more properties, about 1 µs per property on every call.
 * A field added to RequestContext must be added here.
 */
export function callContext(request: RequestContext, operation: string, rawInput: () => Promise<unknown>): Context {
  return {
    door: request.door,
    headers: request.headers,
    cookies: request.cookies,
    ip: request.ip,
    request: request.request,
    idempotencyKey: request.idempotencyKey,
    operation,
    responseHeaders: request.responseHeaders ?? new Headers(),
    rawInput,
    locals: {},
    signal: request.signal ?? NEVER_ABORTED,
    lastEventId: request.lastEventId,
  }
}

/** The signal of a call nothing can abort. */
const NEVER_ABORTED = new AbortController().signal

/**
 * The cookies of a request, read from its `Cookie` header when a cookie is first asked for (Next's
 * request headers on the action door look a name up across every header on each `get`).
 */
export function cookiesOf(headers: Headers): CookieReader {
  let jar: Map<string, string> | undefined
  const parse = () => {
    const parsed = new Map<string, string>()
    for (const pair of (headers.get('cookie') ?? '').split(';')) {
      const at = pair.indexOf('=')
      if (at < 1) continue
      const name = pair.slice(0, at).trim()
      if (name === '') continue
      // The first of two cookies with one name wins: browsers send the one with the longest path first (RFC 6265
      // 5.4), and a cookie a sibling subdomain plants (Domain=.example.com) must not override the site's own.
      if (parsed.has(name)) continue
      const raw = pair.slice(at + 1).trim()
      try {
        parsed.set(name, decodeURIComponent(raw))
      } catch {
        parsed.set(name, raw)
      }
    }
    return parsed
  }
  return { get: (name) => (jar ??= parse()).get(name) }
}
