import { AsyncLocalStorage } from 'node:async_hooks'
import { headers } from '#next/headers'
import { clientIp } from '../core/client-address'
import { cookiesOf, type RequestContext } from '../core/context'

/** Set only by `withActionContext` (testing): a context to use instead of Next's request scope. */
export const contextOverride = new AsyncLocalStorage<RequestContext>()

/** The headers of the Server Action's request (or of the testing context). */
export async function actionHeaders(): Promise<Headers> {
  return contextOverride.getStore()?.headers ?? (await headers())
}

/** The context of the Server Action being run, from Next's request scope, with the idempotency key the form sent. */
export async function actionContext(idempotencyKey?: string): Promise<RequestContext> {
  const override = contextOverride.getStore()
  if (override) return idempotencyKey === undefined ? override : { ...override, idempotencyKey }
  // Next's read-only request headers as they are: copying them into a new Headers cost more than the rest of the call.
  const requestHeaders = await headers()
  return {
    door: 'action',
    headers: requestHeaders,
    // The request's cookies, parsed on first use as on the route door; Next's cookies() builds its mutable store every call.
    cookies: cookiesOf(requestHeaders),
    ip: clientIp(requestHeaders),
    idempotencyKey,
  }
}
