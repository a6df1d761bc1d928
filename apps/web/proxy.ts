import { OperationError, problemResponse, serverActionGuard } from 'actionroute'
import { NextResponse, type NextRequest } from 'next/server'
// The same limit next.config.ts gives Next (serverActions.bodySizeLimit): Next answers a bigger body with a 500.
import { ACTION_BODY_LIMIT } from '@/server/limits'

// Next.js 16's proxy (formerly middleware) runs before any route or action. It refuses the hostile requests
// that Next would otherwise answer with a 500 — with a 4xx instead: problem+json under /api, plain text
// elsewhere — and lets everything else through untouched. One function per concern (the Server Action checks
// are actionroute's serverActionGuard, which any app can use); each returns a Response to refuse, or nothing. The matcher keeps it off ordinary requests, because Next's cost of running
// any proxy dwarfs these checks (measured, server on one core: an empty proxy on every API request gives
// 0.69× the throughput of POST /api/addUser; on Server Action calls this one gives 0.78×, an empty one 0.80×).
// What Next still answers by itself (TRACE, unknown methods, Flight references…) is pinned in
// e2e/hostile-framework.test.ts.

export async function proxy(request: NextRequest): Promise<Response | undefined> {
  return refuseMalformedPath(request) ?? (await guardServerActions(request)) ?? withContentSecurityPolicy(request)
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

/** A refusal: problem+json under /api, a short plain-text answer elsewhere (a Server Action's caller reads it as the error). */
function refuse(request: NextRequest, code: string, message: string): Response {
  const error = new OperationError(code, message)
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
 * actionroute's guard for Server Actions: 403 for another origin, 413 over the limit, 400 for a body React's
 * decoder would fail on, each where Next would answer 500. See serverActionGuard in the library.
 */
const guardServerActions = serverActionGuard({ bodyLimit: ACTION_BODY_LIMIT })

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
