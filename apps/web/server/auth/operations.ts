import { defineErrors } from 'actionroute'
import { cookies } from 'next/headers'
import { z } from 'zod'
import { isAdminPassword, sealSession, SESSION_COOKIE, SESSION_TTL } from '@/server/auth/session'
import { reads } from '@/server/bases'
import { env } from '@/server/env'
import { limitSignIns } from '@/server/middleware/limit-writes'

const signInErrors = defineErrors({
  UNAUTHORIZED: { status: 401, message: 'That password is not right.' },
  SIGN_IN_OFF: { status: 404, message: 'Signing in is not set up on this server: it needs API_KEYS, ADMIN_PASSWORD and SESSION_SECRET.' },
})

/** The cookie's attributes: HttpOnly, SameSite=Lax (no cross-site POST carries it), Secure when the page was served over HTTPS. */
async function cookieOptions(origin: string | null) {
  return { httpOnly: true, sameSite: 'lax' as const, secure: origin?.startsWith('https:') ?? false, path: '/' }
}

/**
 * Signs the admin in with ADMIN_PASSWORD: sets the session cookie the write forms need when API_KEYS is
 * set. Open to anyone (it is how one gets a principal), and rate-limited per client: 10 tries a minute.
 */
export const signIn = reads.use(limitSignIns).operation({
  name: 'signIn',
  summary: 'Sign in to the forms',
  input: z.object({ password: z.string().min(1, 'Enter the password.').max(1024) }),
  errors: signInErrors,
  handler: async ({ password }, ctx) => {
    if (env().apiKeys.length === 0) throw signInErrors.SIGN_IN_OFF()
    if (!isAdminPassword(password)) throw signInErrors.UNAUTHORIZED({ issues: [{ path: 'password', message: 'That password is not right.' }] })
    const jar = await cookies()
    jar.set(SESSION_COOKIE, await sealSession('admin'), { ...(await cookieOptions(ctx.headers.get('origin'))), maxAge: SESSION_TTL - 60 })
    return { message: 'Signed in as admin.' }
  },
})

/** Signs out: forgets the session cookie in this browser. */
export const signOut = reads.operation({
  name: 'signOut',
  summary: 'Sign out',
  input: z.object({}),
  handler: async (_input, ctx) => {
    const jar = await cookies()
    jar.set(SESSION_COOKIE, '', { ...(await cookieOptions(ctx.headers.get('origin'))), maxAge: 0 })
    return { message: 'Signed out.' }
  },
})
