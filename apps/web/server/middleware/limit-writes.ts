import { middleware, postgresStore, rateLimit } from 'actionroute'
import { requestDatabase } from '@/server/db/for-requests'
import { env } from '@/server/env'

// In the app's database, PGlite or PostgreSQL, opened on first use: every instance on one PostgreSQL shares the counts.
const store = postgresStore(requestDatabase)
const limit = env().writesPerMinute

/**
 * Adds, renames and deletes per client address (see trustProxy in instrumentation.ts): 429 on the
 * API, the form's error on the Server Action, once a client goes over RATE_LIMIT_WRITES a minute.
 * RATE_LIMIT_WRITES=0 counts nothing (typed as the limit it stands in for, whose code it never answers).
 */
export const limitWrites =
  limit === 0
    ? (middleware(async function unlimited(_ctx, next) {
        return next()
      }) as unknown as ReturnType<typeof rateLimit>)
    : rateLimit({ name: 'writes', limit, window: 60, store })

/** Sign-in attempts per client: 10 a minute, so ADMIN_PASSWORD cannot be guessed at speed. */
export const limitSignIns = rateLimit({ name: 'sign-in', limit: 10, window: 60, store })
