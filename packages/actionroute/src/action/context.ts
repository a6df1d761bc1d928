import { AsyncLocalStorage } from 'node:async_hooks'
import { cookies, headers } from 'next/headers'
import { clientIp } from '../core/client-address'
import type { RequestContext } from '../core/context'

/** Set only by `withActionContext` (testing): a context to use instead of Next's request scope. */
export const contextOverride = new AsyncLocalStorage<RequestContext>()

/** The context of the Server Action being run, from Next's request scope. */
export async function actionContext(): Promise<RequestContext> {
  const override = contextOverride.getStore()
  if (override) return override
  const [headerStore, cookieStore] = await Promise.all([headers(), cookies()])
  const requestHeaders = new Headers(headerStore)
  return {
    door: 'action',
    headers: requestHeaders,
    cookies: { get: (name) => cookieStore.get(name)?.value },
    ip: clientIp(requestHeaders),
  }
}
