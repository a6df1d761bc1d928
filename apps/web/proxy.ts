import { ActionError, checkJsonShape, DEFAULT_FORM_LIMITS, isActionError, isSameOrigin, MultipartParser, boundaryOf, problemResponse } from 'actionroute'
import { NextResponse, type NextRequest } from 'next/server'
// The same limit next.config.ts gives Next (serverActions.bodySizeLimit): Next answers a bigger body with a 500.
import { ACTION_BODY_LIMIT } from '@/server/limits'

// Next.js 16's proxy (formerly middleware) runs before any route or action. It refuses the hostile requests
// that Next would otherwise answer with a 500 — with a 4xx instead: problem+json under /api, plain text
// elsewhere — and lets everything else through untouched. One function per concern; each returns a
// Response to refuse, or nothing. The matcher keeps it off ordinary requests, because Next's cost of running
// any proxy dwarfs these checks (measured, server on one core: an empty proxy on every API request gives
// 0.69× the throughput of POST /api/addUser; on Server Action calls this one gives 0.78×, an empty one 0.80×).
// What Next still answers by itself (TRACE, unknown methods, Flight references…) is pinned in
// e2e/hostile-framework.test.ts.

export async function proxy(request: NextRequest): Promise<Response | undefined> {
  return (
    refuseMalformedPath(request) ??
    refuseForeignAction(request) ??
    refuseOversizedAction(request) ??
    (await refuseMalformedActionBody(request)) ??
    withContentSecurityPolicy(request)
  )
}

export const config = {
  matcher: [
    // API paths with a percent-escape (matched on the raw path): Next answers one it cannot decode with a 500.
    '/api/:rest(.*%.*)',
    // Every request for a page: Server Action calls (a Next-Action header, or a multipart form without JavaScript),
    // and each HTML document's Content-Security-Policy: the 404 page's and a prefetched document's too (a browser
    // may show a prefetched or prerendered document later, and it must hold the policy then).
    '/((?!api/|_next/).*)',
    '/api/docs',
  ],
}

/** Next refuses more arguments than this with a 500 (SERVER_ACTION_ARGS_LIMIT in its action handler). */
const ACTION_ARGS_LIMIT = 1000
/** React prefixes a form's fields with the argument they belong to (`_1_name`): room for that prefix. */
const FIELD_PREFIX_MAX = 16
/** Parts an action's body may have: a form's fields, and room for React's rows and Next's `$ACTION_*` fields. */
const ACTION_PARTS_LIMIT = DEFAULT_FORM_LIMITS.maxFields + 16

/** A refusal: problem+json under /api, a short plain-text answer elsewhere (a Server Action's caller reads it as the error). */
function refuse(request: NextRequest, code: string, message: string): Response {
  const error = new ActionError(code, message)
  if (request.nextUrl.pathname.startsWith('/api/')) return problemResponse(error)
  return new Response(`${message}\n`, { status: error.status, headers: { 'content-type': 'text/plain; charset=utf-8' } })
}

// --- Paths ----------------------------------------------------------------------------------------

/** A path that is not percent-encoded UTF-8 (`%zz`, a truncated or overlong sequence): 400. */
function refuseMalformedPath(request: NextRequest): Response | undefined {
  const { pathname } = request.nextUrl
  if (!pathname.includes('%')) return undefined
  try {
    decodeURIComponent(pathname)
    return undefined
  } catch {
    return refuse(request, 'BAD_REQUEST', 'The path is not valid percent-encoded UTF-8.')
  }
}

// --- Server Actions ------------------------------------------------------------------------------

/**
 * What Next treats as a Server Action call: a POST to a page with a Next-Action header (fetch) or a multipart body
 * (a form without JavaScript). Under /api/ every path is a route (app/api/[...unknown] answers the rest), and
 * route handlers run no actions.
 */
function actionKind(request: NextRequest): 'fetch' | 'form' | undefined {
  if (request.method !== 'POST' || request.nextUrl.pathname.startsWith('/api/')) return undefined
  if (request.headers.has('next-action')) return 'fetch'
  return isMultipart(request) ? 'form' : undefined
}

const isMultipart = (request: NextRequest) => (request.headers.get('content-type') ?? '').startsWith('multipart/form-data')

/**
 * Next refuses a Server Action whose Origin is not this host (its CSRF check) with a 500, or a 500 of another
 * kind when Origin is not a URL. The same check, made first and stricter, answers 403: the origin must match in
 * scheme, host and port (Next compares the host alone), as the route door's check does. A request without
 * Origin passes, as in Next. Origins listed in `serverActions.allowedOrigins` would have to be listed here too
 * (there are none).
 */
function refuseForeignAction(request: NextRequest): Response | undefined {
  const origin = request.headers.get('origin')
  if (origin === null || !actionKind(request) || isSameOrigin(request, origin)) return undefined
  return refuse(request, 'CROSS_SITE_REQUEST', 'This Server Action request comes from another origin.')
}

/** A Server Action whose declared body is over the limit: 413 before any of it is read. */
function refuseOversizedAction(request: NextRequest): Response | undefined {
  if (!actionKind(request) || !(Number(request.headers.get('content-length')) > ACTION_BODY_LIMIT)) return undefined
  return tooLarge(request)
}

/** In the words the library's limits use (readMultipart, route bodies). */
const TOO_LARGE = `The request body is larger than the limit of ${ACTION_BODY_LIMIT} bytes.`
const tooLarge = (request: NextRequest) => refuse(request, 'PAYLOAD_TOO_LARGE', TOO_LARGE)

/**
 * Checks the shape of a Server Action's body that React's decoder would otherwise fail on with a 500: the
 * size (a body sent without Content-Length), the multipart framing, and for a call from JavaScript the
 * rows of React's reply format — row `0` (the whole body when it is not multipart) is the JSON array of
 * arguments, and every other numbered row is JSON too — each within the JSON limits API bodies have
 * (actionroute's DEFAULT_JSON_LIMITS: 64 levels deep, 1,000 keys per object).
 * What the rows refer to (`$Q1`, `$F2`…) is left to React.
 */
async function refuseMalformedActionBody(request: NextRequest): Promise<Response | undefined> {
  const kind = actionKind(request)
  if (!kind || (kind === 'fetch' && request.headers.get('content-type') === 'application/x-www-form-urlencoded')) return undefined
  let entries: [name: string, value: FormDataEntryValue][]
  try {
    entries = await replyEntries(request)
  } catch (error) {
    if (isActionError(error)) return refuse(request, error.code, error.message)
    throw error
  }
  if (kind === 'form') return undefined
  const rows = entries.filter((row): row is [string, string] => typeof row[1] === 'string' && /^\d+$/.test(row[0]))
  for (const [id, text] of rows) {
    try {
      checkJsonShape(text)
    } catch (error) {
      return refuse(request, 'BAD_REQUEST', `Row ${id}: ${(error as Error).message}`)
    }
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      return refuse(request, 'BAD_REQUEST', `Row ${id} is not valid JSON.`)
    }
    if (id === '0' && !(Array.isArray(value) && value.length <= ACTION_ARGS_LIMIT)) {
      return refuse(request, 'BAD_REQUEST', `The arguments are not a JSON array of at most ${ACTION_ARGS_LIMIT} items.`)
    }
  }
  if (!rows.some(([id]) => id === '0')) return refuse(request, 'BAD_REQUEST', 'The arguments (row 0) are missing.')
  return undefined
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The entries of a reply (a text body is row 0). A multipart body is parsed as it streams in, with its limits
 * checked part by part, so the worst body costs no more than the limits allow: Next's own parser (busboy) reads
 * it again afterwards, and would fail on a part header over 16 KB with a 500.
 */
async function replyEntries(request: NextRequest): Promise<[name: string, value: FormDataEntryValue][]> {
  // Next has the whole body in memory already (it keeps a copy for the route, up to proxyClientMaxBodySize).
  const bytes = await request.arrayBuffer()
  if (bytes.byteLength > ACTION_BODY_LIMIT) throw new ActionError('PAYLOAD_TOO_LARGE', TOO_LARGE)
  if (isMultipart(request)) {
    const parser = new MultipartParser(boundaryOf(request.headers.get('content-type')!), {
      maxParts: ACTION_PARTS_LIMIT,
      maxNameLength: DEFAULT_FORM_LIMITS.maxNameLength + FIELD_PREFIX_MAX,
    })
    parser.push(new Uint8Array(bytes))
    return [...parser.end()]
  }
  try {
    return [['0', utf8.decode(bytes)]]
  } catch {
    throw new ActionError('BAD_REQUEST', 'The body is not valid UTF-8.')
  }
}

// --- Content-Security-Policy ------------------------------------------------------------------------

/**
 * The policy of an HTML document: scripts only from this origin or carrying this request's nonce (Next puts
 * it on its own inline scripts when it finds it in the request's policy), no plugins, no framing, forms
 * posted only here. The API reference is Swagger UI, which sets inline styles: its page allows those.
 */
function policyFor(pathname: string, nonce: string): string {
  // Swagger UI's page loads its scripts from files (no nonce: 'strict-dynamic' would ignore 'self') and sets inline styles.
  const docs = pathname === '/api/docs'
  return [
    `default-src 'self'`,
    docs ? `script-src 'self'` : `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`,
    docs ? `style-src 'self' 'unsafe-inline'` : `style-src 'self' 'nonce-${nonce}'`,
    `img-src 'self' data:`,
    `font-src 'self'`,
    `connect-src 'self'`,
    `object-src 'none'`,
    `base-uri 'self'`,
    `form-action 'self'`,
    `frame-ancestors 'none'`,
  ].join('; ')
}

/**
 * A fresh nonce per document, in the policy Next reads from the request and the one the browser gets: for every
 * GET of a page (any path outside /api/, the 404 page's included) and the API reference.
 */
function withContentSecurityPolicy(request: NextRequest): Response | undefined {
  const { pathname } = request.nextUrl
  if ((request.method !== 'GET' && request.method !== 'HEAD') || (pathname.startsWith('/api/') && pathname !== '/api/docs')) return undefined
  const nonce = btoa(crypto.randomUUID())
  const policy = policyFor(pathname, nonce)
  const headers = new Headers(request.headers)
  headers.set('content-security-policy', policy)
  const response = NextResponse.next({ request: { headers } })
  response.headers.set('content-security-policy', policy)
  return response
}
