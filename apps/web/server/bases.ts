import { apiKeys, authenticate, base, type Base } from 'actionroute'
import { session } from '@/server/auth/session'
import { env } from '@/server/env'
import { idempotentWrites } from '@/server/middleware/idempotent-writes'
import { importUploads } from '@/server/middleware/import-uploads'
import { limitWrites } from '@/server/middleware/limit-writes'
import { logRequests } from '@/server/middleware/log-requests'

// Every operation of the app is defined on one of these bases: each has its auth decision, and the
// inventory (npm run inventory) lists them door by door.

const logged = base.use(logRequests)

/** Reads: open to anyone, on every door. */
export const reads = logged.public()

const { apiKeys: keys } = env()
/** A principal on every door: an API key in X-API-Key (scripts, partners) or a signed-in session (the forms). */
const signedIn = keys.length > 0 ? authenticate(apiKeys({ keys }), session) : undefined
// Rate-limited per client before the principal is checked, so guessing keys or passwords is counted too.
const limited = logged.use(limitWrites)
// The codes a write can answer either way: with API_KEYS unset it never answers UNAUTHORIZED, but a client typed for both stays right.
type WriteErrors = (typeof limitWrites)['errors'] & NonNullable<typeof signedIn>['errors']

/**
 * Adds, renames and deletes: with API_KEYS set, a principal on every door (401 without one, on the route
 * and in the form alike); unset, open to all, as the canonical curl expects. Each runs once per idempotency
 * key (scoped per principal or client), and changes the home page's list.
 */
const principal = (signedIn ? limited.use(signedIn) : limited.public()) as Base<object, WriteErrors>
export const writes = principal.use(idempotentWrites)

/** Imports: writes whose body is a file of up to 256 MB; at most a few read at once, counted before anything reads one. */
export const imports = principal.use(importUploads).use(idempotentWrites)
