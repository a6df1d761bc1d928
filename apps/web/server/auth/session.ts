import { createHash, timingSafeEqual } from 'node:crypto'
import { authenticator, invalidCredential, type CookieReader } from 'actionroute'
import { sealData, unsealData } from 'iron-session'
import { env } from '@/server/env'

/** The cookie the sign-in form sets: the signed-in user, sealed (encrypted and signed) with SESSION_SECRET by iron-session. */
export const SESSION_COOKIE = 'session'
/** How long a session lasts, in seconds: 8 hours. A seal cannot be revoked, so it should not live long. */
export const SESSION_TTL = 8 * 60 * 60

interface SessionData {
  user?: string
}

/** Who the session cookie says is signed in; undefined without one, `false` for one that is forged, expired or sealed with another secret. */
export async function sessionUser(cookies: CookieReader): Promise<string | undefined | false> {
  const seal = cookies.get(SESSION_COOKIE)
  const { sessionSecret } = env()
  if (!seal) return undefined
  if (!sessionSecret) return false
  const data = await unsealData<SessionData>(seal, { password: sessionSecret, ttl: SESSION_TTL })
  return typeof data.user === 'string' ? data.user : false
}

/** A sealed session for `user`, to set as the cookie. */
export function sealSession(user: string): Promise<string> {
  return sealData({ user } satisfies SessionData, { password: env().sessionSecret!, ttl: SESSION_TTL })
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest()

/** Whether `given` is the admin password, compared in constant time (as digests, so the length does not leak). */
export function isAdminPassword(given: string): boolean {
  const { adminPassword } = env()
  return adminPassword !== undefined && timingSafeEqual(digest(given), digest(adminPassword))
}

/** A signed-in session, on whichever door the browser sends the cookie: the forms' Server Actions and same-origin API calls. */
export const session = authenticator({
  scheme: { name: 'Session', scheme: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'The session cookie signing in on the home page sets.' } },
  hint: 'sign in on the home page',
  async identify(ctx) {
    const user = await sessionUser(ctx.cookies)
    if (user === undefined) return undefined
    if (user === false) throw invalidCredential('Your session has expired or is not valid: sign in again.')
    return { id: `user:${user}`, via: 'session' as const, name: user }
  },
})
