import type { Context } from '../core/context'
import { ActionError } from '../core/errors'
import { middleware, type Middleware } from '../core/middleware'

/** Counts calls per key in fixed windows. Implement it for another backend (Redis, DynamoDB…). */
export interface RateLimitStore {
  /** Counts one call on `key` and answers the count in its current window and when that window ends (ms since the epoch). */
  hit(key: string, windowMs: number): Promise<{ count: number; resetAt: number }>
}

export interface RateLimitOptions {
  /** Calls allowed per window and key. */
  limit: number
  /** The window, in seconds. */
  window: number
  /** Whose calls are counted together: the client's address by default. `undefined` leaves the call uncounted. */
  key?: (ctx: Context) => string | undefined
  /** Where counts live: `memoryStore()` (one instance, the default) or `postgresStore(db)` (every instance). */
  store?: RateLimitStore
  /** The policy's name in the `RateLimit` headers and in store keys: operations under one name share their counts. */
  name?: string
}

/**
 * Refuses calls over `limit` per `window` seconds and key, on both doors: 429 problem+json with
 * `Retry-After` and the IETF `RateLimit` / `RateLimit-Policy` headers on the route door, the form's
 * error (with the wait) on the action door. Counted before the body is read.
 * The default key is `ctx.ip`, which stays undefined until `trustProxy()` is set: until then nothing is limited.
 */
export function rateLimit({ limit, window, key = (ctx) => ctx.ip, store = memoryStore(), name = 'default' }: RateLimitOptions): Middleware {
  if (!(Number.isInteger(limit) && limit > 0)) throw new TypeError(`rateLimit: limit must be a whole number above 0 (got ${limit}).`)
  if (!(Number.isInteger(window) && window > 0)) throw new TypeError(`rateLimit: window must be a whole number of seconds above 0 (got ${window}).`)
  if (!/^[a-z*][a-z0-9_\-.*]*$/i.test(name)) throw new TypeError(`rateLimit: name must be a token (letters, digits, _-.*), got "${name}".`)
  const policy = `"${name}";q=${limit};w=${window}`
  return middleware(async (ctx, next) => {
    const who = key(ctx)
    if (who === undefined) return next()
    const { count, resetAt } = await store.hit(`${name}:${who}`, window * 1000)
    const remaining = Math.max(0, limit - count)
    const reset = Math.max(1, Math.ceil((resetAt - Date.now()) / 1000))
    const headers = { 'ratelimit-policy': policy, ratelimit: `"${name}";r=${remaining};t=${reset}` }
    if (count > limit) {
      const wait = reset === 1 ? '1 second' : `${reset} seconds`
      throw new ActionError('RATE_LIMITED', `Too many requests: try again in ${wait}.`, { headers: { ...headers, 'retry-after': String(reset) } })
    }
    for (const [header, value] of Object.entries(headers)) ctx.responseHeaders.set(header, value)
    return next()
  }, { errors: [{ code: 'RATE_LIMITED', status: 429, description: `over ${limit} calls in ${window} s; \`Retry-After\` says when to try again` }] })
}

export interface MemoryStoreOptions {
  /** Most keys kept at once; past it the windows that ended go, then the oldest. Default 10,000. */
  maxKeys?: number
}

/** Counts in this process's memory: for one instance (and PGlite, which has one). */
export function memoryStore({ maxKeys = 10_000 }: MemoryStoreOptions = {}): RateLimitStore {
  const windows = new Map<string, { count: number; resetAt: number }>()
  return {
    async hit(key, windowMs) {
      const now = Date.now()
      let current = windows.get(key)
      if (!current || current.resetAt <= now) {
        windows.delete(key)
        if (windows.size >= maxKeys) {
          for (const [stale, entry] of windows) if (entry.resetAt <= now) windows.delete(stale)
          // Still full (many clients at once): forget the oldest, which costs them a fresh window, not memory.
          for (const oldest of windows.keys()) {
            if (windows.size < maxKeys) break
            windows.delete(oldest)
          }
        }
        current = { count: 0, resetAt: now + windowMs }
        windows.set(key, current)
      }
      current.count++
      return { ...current }
    },
  }
}

/** Anything with pg's `query(text, params)`: a `pg.Pool`, a `pg.Client`, PGlite. */
export interface Queryable {
  query(text: string, params: unknown[]): Promise<{ rows: unknown[] }>
}

/** The table `postgresStore` counts in: add it in a migration (or run it once). */
export const RATE_LIMIT_TABLE_SQL = `create table if not exists actionroute_rate_limits (
  key text primary key,
  count integer not null,
  reset_at timestamptz not null
)`

// One statement, atomic per key under any number of instances: a new or ended window starts at 1.
const HIT_SQL = `insert into actionroute_rate_limits as r (key, count, reset_at)
values ($1, 1, now() + $2 * interval '1 millisecond')
on conflict (key) do update set
  count = case when r.reset_at <= now() then 1 else r.count + 1 end,
  reset_at = case when r.reset_at <= now() then excluded.reset_at else r.reset_at end
returning count, (extract(epoch from reset_at) * 1000)::float8 as reset_at`

const SWEEP_SQL = `delete from actionroute_rate_limits where reset_at < now()`

/**
 * Counts in PostgreSQL, so every instance of the app shares them; needs `RATE_LIMIT_TABLE_SQL`. Windows
 * are timed by the database's clock. One call in 1,000 also deletes the windows that have ended.
 */
export function postgresStore(db: Queryable): RateLimitStore {
  return {
    async hit(key, windowMs) {
      const { rows } = await db.query(HIT_SQL, [key, windowMs])
      const row = rows[0] as { count: number; reset_at: number }
      if (Math.random() < 0.001) await db.query(SWEEP_SQL, [])
      return { count: row.count, resetAt: row.reset_at }
    },
  }
}
