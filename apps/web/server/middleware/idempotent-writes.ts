import { idempotency, postgresIdempotencyStore } from 'actionroute'
import { requestDatabase } from '@/server/db/for-requests'

// In the app's database, PGlite or PostgreSQL, opened on first use: every instance on one PostgreSQL sees every key.
const store = postgresIdempotencyStore(requestDatabase)

/**
 * Writes sent with an Idempotency-Key (the API) or an idempotency-key field (the add form's per-render key)
 * run once: a retry gets the first answer again, so a double submit or a client's retry adds one user.
 */
export const idempotentWrites = idempotency({ store })
