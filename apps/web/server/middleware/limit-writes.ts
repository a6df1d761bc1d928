import { middleware, postgresStore, rateLimit } from 'actionroute'
import { requestDatabase } from '@/server/db/for-requests'

/** Writes per client and minute from RATE_LIMIT_WRITES: 60 by default, 0 for no limit. */
export function writesPerMinute(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.RATE_LIMIT_WRITES ?? '60'
  const limit = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(limit)) throw new Error(`RATE_LIMIT_WRITES must be a whole number of writes per minute (0: no limit), not "${text}".`)
  return limit
}

// In the app's database, PGlite or PostgreSQL, opened on first use: every instance on one PostgreSQL shares the counts.
const store = postgresStore(requestDatabase)

const limit = writesPerMinute()

/**
 * Adds, renames and deletes per client address (see trustProxy in instrumentation.ts): 429 on the
 * API, the form's error on the Server Action, once a client goes over RATE_LIMIT_WRITES a minute.
 */
export const limitWrites = limit === 0 ? middleware(async (_ctx, next) => next()) : rateLimit({ name: 'writes', limit, window: 60, store })
