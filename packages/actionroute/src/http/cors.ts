/** Which browser pages on other origins may call the route door, and how. */
export interface CorsOptions {
  /** Origins allowed to call (`https://app.example.com`), or `'*'` for any page (then never with credentials). */
  origins: readonly string[] | '*'
  /** Let pages send cookies and HTTP auth (`credentials: 'include'`). Off by default. */
  credentials?: boolean
  /** Request headers a page may send besides the CORS-safelisted ones; default `content-type`, `authorization`, `idempotency-key`, `x-api-key`. */
  allowHeaders?: readonly string[]
  /** Response headers a page may read besides the safelisted ones; default `location`, `retry-after`, `ratelimit`, `ratelimit-policy`, `idempotency-replayed`. */
  exposeHeaders?: readonly string[]
  /** How long a browser may reuse a preflight answer, in seconds; default 600. */
  maxAge?: number
}

const DEFAULT_ALLOW_HEADERS = ['content-type', 'authorization', 'idempotency-key', 'x-api-key']
const DEFAULT_EXPOSE_HEADERS = ['location', 'retry-after', 'ratelimit', 'ratelimit-policy', 'idempotency-replayed']

export interface Cors {
  /** Whether a page on `origin` may call. */
  allows(origin: string): boolean
  /**
   * Whether a page on `origin` may also post forms (the CSRF check): only an origin listed by name. `'*'`
   * lets any page read answers, never post a cross-site form, which carries the user's cookies.
   */
  listed(origin: string): boolean
  /** The headers for an answer to an actual request: empty unless its Origin is allowed. */
  headersFor(request: Request): Headers
  /** The answer to a preflight (OPTIONS with Access-Control-Request-Method) for a path serving `allow`. */
  preflight(request: Request, allow: readonly string[]): Response
}

/** Checks the options once, at start-up: a malformed origin or `'*'` with credentials throws here. */
export function cors(options: CorsOptions | undefined): Cors | undefined {
  if (!options) return undefined
  const any = options.origins === '*'
  if (any && options.credentials) throw new TypeError("cors: origins '*' cannot be combined with credentials: list the origins.")
  const origins = new Set(any ? [] : (options.origins as readonly string[]).map((origin) => new URL(origin).origin))
  const allows = (origin: string) => any || origins.has(origin)
  const allowHeaders = new Set((options.allowHeaders ?? DEFAULT_ALLOW_HEADERS).map((name) => name.toLowerCase()))
  const expose = (options.exposeHeaders ?? DEFAULT_EXPOSE_HEADERS).join(', ')
  const maxAge = String(options.maxAge ?? 600)
  const credentials = options.credentials === true

  function base(origin: string): Headers {
    const headers = new Headers({ 'access-control-allow-origin': any ? '*' : origin })
    if (!any) headers.set('vary', 'Origin')
    if (credentials) headers.set('access-control-allow-credentials', 'true')
    return headers
  }

  return {
    allows,
    listed: (origin) => origins.has(origin),
    headersFor(request) {
      const origin = request.headers.get('origin')
      // The answer depends on Origin whether it is allowed or not: a cache must not hand one origin's to another.
      if (origin === null || !allows(origin)) return new Headers(any ? {} : { vary: 'Origin' })
      const headers = base(origin)
      if (expose) headers.set('access-control-expose-headers', expose)
      return headers
    },
    preflight(request, allow) {
      const headers = new Headers({ allow: allow.join(', ') })
      const origin = request.headers.get('origin')
      const method = request.headers.get('access-control-request-method')
      if (!any) headers.set('vary', 'Origin')
      // Not allowed: answer without permission, and the browser keeps the page from sending the request.
      if (origin === null || method === null || !allows(origin) || !allow.includes(method)) return new Response(null, { status: 204, headers })
      const requested = (request.headers.get('access-control-request-headers') ?? '')
        .split(',')
        .map((name) => name.trim().toLowerCase())
        .filter(Boolean)
      if (requested.some((name) => !allowHeaders.has(name))) return new Response(null, { status: 204, headers })
      for (const [name, value] of base(origin)) headers.set(name, value)
      headers.set('access-control-allow-methods', allow.join(', '))
      if (requested.length > 0) headers.set('access-control-allow-headers', requested.join(', '))
      headers.set('access-control-max-age', maxAge)
      return new Response(null, { status: 204, headers })
    },
  }
}
