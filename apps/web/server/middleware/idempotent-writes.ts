import { idempotency, postgresIdempotencyStore, type IdempotencyStore } from 'actionroute'
import { database } from '@/server/db/client'

// In the app's database, PGlite or PostgreSQL: every instance on one PostgreSQL sees every key.
const store: IdempotencyStore = {
  claim: async (key, fingerprint, leaseMs) => postgresIdempotencyStore(await database()).claim(key, fingerprint, leaseMs),
  finish: async (key, outcome, ttlMs) => postgresIdempotencyStore(await database()).finish(key, outcome, ttlMs),
  release: async (key) => postgresIdempotencyStore(await database()).release(key),
}

/**
 * Writes sent with an Idempotency-Key (the API) or an idempotency-key field (the add form's per-render key)
 * run once: a retry gets the first answer again, so a double submit or a client's retry adds one user.
 */
export const idempotentWrites = idempotency({ store })
