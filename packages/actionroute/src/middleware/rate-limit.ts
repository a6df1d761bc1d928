import type { Context } from '../core/context'
import { defineErrors } from '../core/errors'
import { middleware } from '../core/middleware'
import { addressGroup } from '../core/client-address'

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
  /**
   * Whose calls are counted together: by default the client's address (an IPv6 one by its /64). When it
   * answers `undefined` (an address no proxy vouched for, or `trustProxy()` not set) the call is counted in
   * one budget shared by every such call: an unknown client is limited, never let through uncounted.
   */
  key?: (ctx: Context) => string | undefined
  /** Where counts live: `memoryStore()` (one instance, the default) or `postgresStore(db)` (every instance). */
  store?: RateLimitStore
  /** The policy's name in the `RateLimit` headers and in store keys: operations under one name share their counts. */
  name?: string
}

/** The key of calls whose client is unknown: not an address, so no client can be counted as it. */
export const UNKNOWN_CLIENT = '(unknown)'

const byAddress = (ctx: Context) => (ctx.ip === undefined ? undefined : addressGroup(ctx.ip))

/**
 * Refuses calls over `limit` per `window` seconds and key, on both doors: 429 problem+json with
 * `Retry-After` and the IETF `RateLimit` / `RateLimit-Policy` headers on the route door, the form's
 * error (with the wait) on the action door. Counted before the body is read.
 * The default key is the client's address (`ctx.ip`, an IPv6 one by its /64). It stays undefined until
 * `trustProxy()` is set: until then every call shares one budget, and a warning says so once.
 */
export function rateLimit({ limit, window, key = byAddress, store = memoryStore(), name = 'default' }: RateLimitOptions) {
  if (!(Number.isInteger(limit) && limit > 0)) throw new TypeError(`rateLimit: limit must be a whole number above 0 (got ${limit}).`)
  if (!(Number.isInteger(window) && window > 0)) throw new TypeError(`rateLimit: window must be a whole number of seconds above 0 (got ${window}).`)
  if (!/^[a-z*][a-z0-9_\-.*]*$/i.test(name)) throw new TypeError(`rateLimit: name must be a token (letters, digits, _-.*), got "${name}".`)
  const policy = `"${name}";q=${limit};w=${window}`
  let warned = false
  const errors = defineErrors({ RATE_LIMITED: { status: 429, message: `over ${limit} calls in ${window} s; \`Retry-After\` says when to try again` } })
  return middleware(async function rateLimited(ctx, next) {
    let who = key(ctx)
    if (who === undefined) {
      if (!warned) console.warn(`[actionroute] rateLimit "${name}": a call's client is unknown (is trustProxy() set?); such calls share one budget of ${limit} per ${window} s.`)
      warned = true
      who = UNKNOWN_CLIENT
    }
    const { count, resetAt } = await store.hit(`${name}:${who}`, window * 1000)
    const remaining = Math.max(0, limit - count)
    const reset = Math.max(1, Math.ceil((resetAt - Date.now()) / 1000))
    const headers = { 'ratelimit-policy': policy, ratelimit: `"${name}";r=${remaining};t=${reset}` }
    if (count > limit) {
      const wait = reset === 1 ? '1 second' : `${reset} seconds`
      throw errors.RATE_LIMITED({ message: `Too many requests: try again in ${wait}.`, headers: { ...headers, 'retry-after': String(reset) } })
    }
    for (const [header, value] of Object.entries(headers)) ctx.responseHeaders.set(header, value)
    return next()
  }, { name: `rateLimit ${name}`, errors, policy: { kind: 'rate limit', summary: `${limit}/${window} s per ${key === byAddress ? 'client' : 'key'} ("${name}")` } })
}

export interface MemoryStoreOptions {
  /** Most keys kept at once; past it, the windows that ended go, and a new key still finding no room is counted with the overflow. Default 10,000. */
  maxKeys?: number
}

/** Where a memory store full of live windows counts a new key: one budget for all of them. */
export const OVERFLOW_KEY = '(overflow)'

/**
 * Counts in this process's memory: for one instance (and PGlite, which has one). Bounded by `maxKeys`: when
 * it is full of windows that have not ended, a new key shares one overflow window with every other such key,
 * rather than resetting a counted client's window (which would hand that client a fresh budget).
 */
export function memoryStore({ maxKeys = 10_000 }: MemoryStoreOptions = {}): RateLimitStore {
  const windows = new Map<string, { count: number; resetAt: number }>()
  // A sweep reads every window: when the store is full, at most one a second, however many new keys come.
  let nextSweep = 0
  return {
    async hit(key, windowMs) {
      const now = Date.now()
      let current = windows.get(key)
      if (!current || current.resetAt <= now) {
        windows.delete(key)
        if (windows.size >= maxKeys) {
          if (now >= nextSweep) {
            for (const [stale, entry] of windows) if (entry.resetAt <= now) windows.delete(stale)
            nextSweep = now + 1000
          }
          // Still full of live windows (many clients at once): this one is counted with the overflow.
          if (windows.size >= maxKeys) key = OVERFLOW_KEY
          current = windows.get(key)
        }
        if (!current || current.resetAt <= now) {
          current = { count: 0, resetAt: now + windowMs }
          windows.set(key, current)
        }
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

/** A database, or a function that opens it on first use (so a module can build a store before the database is up). */
export type QueryableSource = Queryable | (() => Queryable | Promise<Queryable>)

/** The database of a source, opened when first asked for. */
export const queryableOf = (source: QueryableSource): (() => Promise<Queryable>) =>
  typeof source === 'function' ? async () => source() : async () => source

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
export function postgresStore(source: QueryableSource): RateLimitStore {
  const database = queryableOf(source)
  return {
    async hit(key, windowMs) {
      const db = await database()
      const { rows } = await db.query(HIT_SQL, [key, windowMs])
      const row = rows[0] as { count: number; reset_at: number }
      if (Math.random() < 0.001) await db.query(SWEEP_SQL, [])
      return { count: row.count, resetAt: row.reset_at }
    },
  }
}
