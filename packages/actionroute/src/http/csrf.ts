import { OperationError } from '../core/errors'

// What a page on another site can send here without the browser asking first (no CORS preflight):
// a simple method and one of these media types, or none at all (a no-cors fetch of an untyped Blob).
const SIMPLE_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain', ''])
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** A predicate for the configured extra origins; a malformed one fails at start-up, not per request. */
export function originCheck(allowed: readonly string[] = []): (origin: string) => boolean {
  const origins = new Set(allowed.map((origin) => new URL(origin).origin))
  return (origin) => origins.has(origin)
}

const first = (header: string | null) => header?.split(',')[0]?.trim() || undefined

/**
 * The origin this request was addressed to: the scheme (X-Forwarded-Proto, as Next reads it, else the URL's)
 * and the host (X-Forwarded-Host, else Host). A cross-site form can set none of these headers.
 */
function ownOrigin(request: Request): string | null {
  const url = new URL(request.url)
  const host = first(request.headers.get('x-forwarded-host')) ?? request.headers.get('host') ?? url.host
  const scheme = first(request.headers.get('x-forwarded-proto'))?.toLowerCase() === 'https' ? 'https:' : request.headers.has('x-forwarded-proto') ? 'http:' : url.protocol
  try {
    return new URL(`${scheme}//${host}`).origin
  } catch {
    return null
  }
}

/** `origin` normalised (`https://a.example:443` → `https://a.example`), or null: "null" (sandboxed, opaque) or garbage. */
function originOf(origin: string): string | null {
  try {
    const { origin: normalised } = new URL(origin)
    return normalised === 'null' ? null : normalised
  } catch {
    return null
  }
}

/** True when `origin` is the one the request was addressed to: scheme, host and port alike. */
export function isSameOrigin(request: Request, origin: string): boolean {
  const theirs = originOf(origin)
  return theirs !== null && theirs === ownOrigin(request)
}

/**
 * True for a state-changing request a browser sent from another origin with a form-like body: what
 * an HTML form or a no-cors fetch on a foreign page can do. JSON needs a CORS preflight, so it is
 * not covered here, nor are requests from outside a browser (no Origin, no Sec-Fetch-Site).
 * `isAllowed` lists the other origins trusted to post forms; it is never asked about "null".
 */
export function isCrossSiteForm(request: Request, isAllowed: (origin: string) => boolean): boolean {
  if (SAFE_METHODS.has(request.method)) return false
  const mediaType = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (!SIMPLE_TYPES.has(mediaType)) return false
  const origin = request.headers.get('origin')
  if (origin !== null) {
    if (isSameOrigin(request, origin)) return false
    const theirs = originOf(origin)
    return theirs === null || !isAllowed(theirs)
  }
  const site = request.headers.get('sec-fetch-site')
  return site === 'cross-site' || site === 'same-site'
}

export function crossSiteRefused(): OperationError {
  return new OperationError(
    'CROSS_SITE_REQUEST',
    'Form submissions from other sites are refused. Send JSON (application/json), or add the page’s origin to allowedOrigins.',
  )
}
