import { cookies } from '#next/headers'
import { redirect, RedirectType } from '#next/navigation'
import { idle, type FormState } from './envelope'

// Post/redirect/get for forms sent without JavaScript (formAction's `withoutJavaScript: 'redirect'`).
//
// Why: with `cacheComponents` (create-next-app's default), Next up to 16.4 answers a Server Action form posted
// without JavaScript with only the page's dynamic parts, resumed from its prerender: no <html>, no form, a blank
// page (docs/upstream/next-no-js-action-cache-components.md; fixed in 16.5.0). A 303 back to the page never takes that path,
// and the outcome rides along in a short-lived cookie that `formOutcome()` reads into the form's first state.

const COOKIE_PREFIX = 'actionroute-form.'
/** Long enough for the browser to follow the 303 on a slow link, short enough that a later visit starts afresh. */
const OUTCOME_SECONDS = 30
/** Browsers keep cookies of about 4 kB, name and attributes included: above this, the outcome is cut down. */
const MAX_OUTCOME_BYTES = 3_000

const cookieName = (operation: string) => `${COOKIE_PREFIX}${operation}`

/** The request was a form posted by the browser itself: a Server Action called from JavaScript carries `Next-Action`. */
export const sentWithoutJavaScript = (headers: Headers): boolean => !headers.has('next-action')

/**
 * The page to go back to: the path and query of the page that sent the form (its Referer), always as a path on
 * this origin, so no Referer can make the answer send the browser elsewhere. Without one, the site's root.
 */
export function backTo(referer: string | null): string {
  if (referer === null || !URL.canParse(referer)) return '/'
  const { pathname, search } = new URL(referer)
  // `//host` or `/\host` would be read by the browser as another origin.
  return `/${pathname.replace(/^[/\\]+/, '')}${search}`
}

/** The state as the cookie carries it, cut down to fit (the values typed, then the data) rather than lost. */
function fitted(state: FormState): string {
  const whole = JSON.stringify(state)
  if (encodeURIComponent(whole).length <= MAX_OUTCOME_BYTES) return whole
  const cut = JSON.stringify(state.status === 'error' ? { ...state, values: {} } : { ...state, data: undefined })
  if (encodeURIComponent(cut).length <= MAX_OUTCOME_BYTES) return cut
  return JSON.stringify(state.status === 'error' ? { status: 'error', code: state.code, formError: state.formError.slice(0, 500), values: {} } : { status: 'success' })
}

/** The outcome cookie's attributes: HttpOnly, SameSite=Lax, 30 s, Secure when the page was https. */
const outcomeCookie = (referer: string | null) =>
  ({ httpOnly: true, sameSite: 'lax', path: '/', maxAge: OUTCOME_SECONDS, secure: referer?.startsWith('https:') ?? false }) as const

/**
 * Answers a form sent without JavaScript with a 303 back to its page, the outcome in a cookie for
 * `formOutcome(op)` (HttpOnly, SameSite=Lax, 30 s). Throws Next's redirect: call it last.
 */
export async function redirectWithOutcome(operation: string, state: FormState, headers: Headers): Promise<never> {
  const referer = headers.get('referer')
  ;(await cookies()).set(cookieName(operation), fitted(state), outcomeCookie(referer))
  redirect(backTo(referer), RedirectType.push)
}

/**
 * The same answer from a Route Handler, as a Response: a form posted straight to an operation's route by a browser
 * (a large upload, past what a Server Action takes) comes back to its page, its outcome for `formOutcome(op)`.
 * The cookie is written as Next's `cookies()` writes and reads it (the value URI-encoded).
 */
export function outcomeRedirect(operation: string, state: FormState, request: Request, headers: Headers): Response {
  const referer = request.headers.get('referer')
  const { maxAge, secure } = outcomeCookie(referer)
  const cookie = `${cookieName(operation)}=${encodeURIComponent(fitted(state))}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`
  headers.append('set-cookie', cookie)
  headers.set('location', backTo(referer))
  headers.set('cache-control', 'no-store')
  return new Response(null, { status: 303, headers })
}

/**
 * The request is a form the browser itself posted, navigating (no script sent it): `Sec-Fetch-Mode: navigate`, or
 * without Fetch Metadata (older browsers), an `Accept` that asks for HTML. fetch() and API clients send neither.
 */
export function isBrowserNavigation(request: Request): boolean {
  const mode = request.headers.get('sec-fetch-mode')
  if (mode !== null) return mode === 'navigate'
  return (request.headers.get('accept') ?? '').includes('text/html')
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)
const isStringRecord = (value: unknown, valid: (entry: unknown) => boolean) => isRecord(value) && Object.values(value).every(valid)
const isString = (value: unknown): value is string => typeof value === 'string'

/** A cookie's text as a form state, or undefined: it comes from the browser, so it is checked field by field. */
export function parseOutcome(text: string | undefined): FormState | undefined {
  if (text === undefined) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!isRecord(parsed)) return undefined
  if (parsed.status === 'success') {
    if (parsed.message !== undefined && !isString(parsed.message)) return undefined
    return { status: 'success', data: parsed.data, ...(isString(parsed.message) ? { message: parsed.message } : {}) }
  }
  if (parsed.status !== 'error' || !isString(parsed.code) || !isString(parsed.formError)) return undefined
  if (!isStringRecord(parsed.values, isString)) return undefined
  const { fieldErrors } = parsed
  if (fieldErrors !== undefined && !isStringRecord(fieldErrors, (messages) => Array.isArray(messages) && messages.every(isString))) return undefined
  return {
    status: 'error',
    code: parsed.code,
    formError: parsed.formError,
    values: parsed.values as Record<string, string>,
    ...(fieldErrors ? { fieldErrors: fieldErrors as Record<string, string[]> } : {}),
  }
}

/**
 * The outcome of this operation's form, when the browser comes back from sending it without JavaScript
 * (`formAction(op, { withoutJavaScript: 'redirect' })`); `idle` otherwise. Give it to `useFormAction` as the
 * first state. It reads a cookie, so the component calling it renders per request: see the README, "Forms
 * without JavaScript under cacheComponents".
 */
export async function readFormOutcome(operation: string): Promise<FormState> {
  return parseOutcome((await cookies()).get(cookieName(operation))?.value) ?? idle
}
