import { ActionError } from '../core/errors'

// What a page on another site can send here without the browser asking first (no CORS preflight):
// a simple method and one of these media types, or none at all (a no-cors fetch of an untyped Blob).
const SIMPLE_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain', ''])
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** A predicate for the configured extra origins; a malformed one fails at start-up, not per request. */
export function originCheck(allowed: readonly string[] = []): (origin: string) => boolean {
  const origins = new Set(allowed.map((origin) => new URL(origin).origin))
  return (origin) => origins.has(origin)
}

/** The host this request was addressed to: a cross-site form cannot set X-Forwarded-Host, so it may be used. */
function ownHost(request: Request): string {
  return request.headers.get('x-forwarded-host')?.split(',')[0]?.trim() || request.headers.get('host') || new URL(request.url).host
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host
  } catch {
    return null // "null" (sandboxed or opaque origins) or garbage: never our own.
  }
}

/**
 * True for a state-changing request a browser sent from another origin with a form-like body: what
 * an HTML form or a no-cors fetch on a foreign page can do. JSON needs a CORS preflight, so it is
 * not covered here, nor are requests from outside a browser (no Origin, no Sec-Fetch-Site).
 */
export function isCrossSiteForm(request: Request, isAllowed: (origin: string) => boolean): boolean {
  if (SAFE_METHODS.has(request.method)) return false
  const mediaType = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (!SIMPLE_TYPES.has(mediaType)) return false
  const origin = request.headers.get('origin')
  if (origin !== null) return !isAllowed(origin) && hostOf(origin) !== ownHost(request)
  const site = request.headers.get('sec-fetch-site')
  return site === 'cross-site' || site === 'same-site'
}

export function crossSiteRefused(): ActionError {
  return new ActionError(
    'CROSS_SITE_REQUEST',
    'Form submissions from other sites are refused. Send JSON (application/json), or add the page’s origin to allowedOrigins.',
  )
}
