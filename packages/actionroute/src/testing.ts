import { clientIp, parseCookieHeader, type RequestContext } from './context'
import { contextOverride } from './action-context'

export interface TestRequestInit {
  headers?: HeadersInit
}

/**
 * Runs Server Actions outside Next (unit tests, the parity kit): inside `fn`, actions read their
 * context from `init` instead of `next/headers`, which only works during a real request.
 */
export function withActionContext<T>(init: TestRequestInit, fn: () => Promise<T>): Promise<T> {
  const headers = new Headers(init.headers)
  const ctx: RequestContext = {
    transport: 'action',
    headers,
    cookies: parseCookieHeader(headers.get('cookie')),
    ip: clientIp(headers),
  }
  return contextOverride.run(ctx, fn)
}
