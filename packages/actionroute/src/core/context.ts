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
}

/** What every handler and middleware sees, whatever the door. */
export interface Context extends RequestContext {
  /** The name of the operation being run. */
  operation: string
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
}


/** Reads cookies from a `Cookie` header, parsing it only when a cookie is first asked for. */
export function parseCookieHeader(header: string | null): CookieReader {
  let jar: Map<string, string> | undefined
  const parse = () => {
    const parsed = new Map<string, string>()
    for (const pair of (header ?? '').split(';')) {
      const at = pair.indexOf('=')
      if (at < 1) continue
      const name = pair.slice(0, at).trim()
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
