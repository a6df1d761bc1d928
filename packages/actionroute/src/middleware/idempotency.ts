import { createHash, randomUUID } from 'node:crypto'
import { addressGroup } from '../core/client-address'
import type { Context } from '../core/context'
import { defineErrors } from '../core/errors'
import { isAsyncIterable } from '../core/stream'
import { middleware, type Outcome } from '../core/middleware'
import { queryableOf, type QueryableSource } from './rate-limit'

/** An answer kept for replay: a success's data, as JSON. */
export type StoredOutcome = { ok: true; data: unknown }

/** What a store found for a key: taken now by the caller, or held by an earlier call (running or done). */
export type Claim = { state: 'claimed' } | { state: 'running'; fingerprint: string } | { state: 'done'; fingerprint: string; outcome: StoredOutcome }

/**
 * Keeps idempotency keys and the answers given to them. Implement it for another backend. Every call that
 * claims a key names itself with `owner` (a random id), and `finish` and `release` act only on a claim that
 * owner still holds: a call that outlived its lease must not overwrite or free the next caller's claim.
 */
export interface IdempotencyStore {
  /** Takes `key` for `owner`'s call with `fingerprint` for `leaseMs`, unless an earlier call holds it: then says what that call left. */
  claim(key: string, fingerprint: string, leaseMs: number, owner: string): Promise<Claim>
  /** Keeps the answer to replay for `ttlMs`, if `owner` still holds the key. */
  finish(key: string, owner: string, outcome: StoredOutcome, ttlMs: number): Promise<void>
  /** Frees the key of `owner`'s call, which failed, so a retry runs it again; nothing if another call holds it now. */
  release(key: string, owner: string): Promise<void>
}

export interface IdempotencyOptions {
  /** Where keys live: `memoryIdempotencyStore()` (one instance, the default) or `postgresIdempotencyStore(db)` (every instance). */
  store?: IdempotencyStore
  /** How long an answer is replayed, in seconds; default 24 hours. */
  ttl?: number
  /** How long a call may hold its key before another may take it (a crashed instance's calls), in seconds; default 60. */
  lease?: number
  /**
   * Whose keys these are: keys are scoped per operation and this, so one caller can never be handed another's
   * answer. Default `callerOf(ctx)`: the principal `authenticate()` added (`ctx.locals.principal.id`, e.g. the API
   * key), else the client's address (an IPv6 one by its /64), else one scope for all anonymous callers.
   */
  scope?: (ctx: Context) => string
  /** How long a form submission waits for an earlier one with its key to finish before answering 409, in ms; default 10,000. */
  formWait?: number
}

export { IDEMPOTENCY_FIELD } from '../action/envelope'

/** Who is calling, for scoping what they leave behind: the authenticated principal, else the client's network. */
export function callerOf(ctx: Context): string {
  const principal = (ctx.locals as { principal?: { id?: unknown } }).principal
  if (typeof principal?.id === 'string') return `principal:${principal.id}`
  return ctx.ip ? `ip:${addressGroup(ctx.ip)}` : 'anonymous'
}

/** The input with each file (a Blob) replaced by its name, type, size and the SHA-256 of its bytes. */
async function withFileDigests(value: unknown): Promise<unknown> {
  if (value instanceof Blob) {
    // Streamed: an uploaded file lives on disk until read, and need not be whole in memory to be hashed.
    const hash = createHash('sha256')
    const reader = value.stream().getReader()
    for (let read = await reader.read(); !read.done; read = await reader.read()) hash.update(read.value)
    const sha256 = hash.digest('hex')
    return { $file: { name: value instanceof File ? value.name : null, type: value.type, size: value.size, sha256 } }
  }
  if (Array.isArray(value)) return Promise.all(value.map(withFileDigests))
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    const entries = await Promise.all(Object.entries(value).map(async ([key, item]) => [key, await withFileDigests(item)] as const))
    return Object.fromEntries(entries)
  }
  return value
}

/** A stable JSON text of the input: object keys sorted, so the same input always fingerprints the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value instanceof Date) return JSON.stringify(value.toISOString())
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined)
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

const fingerprintOf = async (input: unknown) => createHash('sha256').update(canonical(await withFileDigests(input))).digest('hex')

/** The data as JSON, as it would go over the wire: replayed, it serialises to the same bytes. */
const stored = (data: unknown): StoredOutcome => ({ ok: true, data: JSON.parse(JSON.stringify(data ?? null)) as unknown })

function replayed(outcome: StoredOutcome, ctx: Context): Outcome<unknown> {
  ctx.responseHeaders.set('idempotency-replayed', 'true')
  return outcome
}

const errors = defineErrors({
  IDEMPOTENCY_KEY_IN_USE: { status: 409, message: 'A request with this Idempotency-Key is still being processed: retry later.' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, message: 'This Idempotency-Key was already used for a different request.' },
})
const storeErrors = defineErrors({
  IDEMPOTENCY_STORE_FULL: { status: 503, message: 'Too many requests with an Idempotency-Key are being kept: retry later.' },
})
const warnedStreams = new Set<string>()
function warnOnce(operation: string): void {
  if (warnedStreams.has(operation)) return
  warnedStreams.add(operation)
  console.warn(`[actionroute] idempotency(): ${operation} streams, and a stream is not kept to replay: a retry with the same key runs again. Make it idempotent itself with ctx.idempotencyKey.`)
}

const reused = () => errors.IDEMPOTENCY_KEY_REUSED()
const full = () => storeErrors.IDEMPOTENCY_STORE_FULL({ headers: { 'retry-after': '60' } })
const inUse = () => errors.IDEMPOTENCY_KEY_IN_USE()

/**
 * Makes retries safe, per the IETF Idempotency-Key draft: the first call with a key runs and its answer
 * is kept; the same key with the same input replays that answer (`Idempotency-Replayed: true`) without
 * running again; with another input it is 422; while the first still runs, 409 on the route door, and on
 * the action door (a double submit) the second waits for the first's answer. Calls without a key run as usual.
 * Only successes are kept: after an error (a validation error, a 5xx) the key is free again, so a retry, or
 * the same form corrected, runs. Replayed data is the JSON form of the first answer.
 */
export function idempotency({ store = memoryIdempotencyStore(), ttl = 86_400, lease = 60, scope = callerOf, formWait = 10_000 }: IdempotencyOptions = {}) {
  return middleware(
    async function idempotent(ctx, next) {
      if (!ctx.idempotencyKey) return next()
      const key = `${ctx.operation}:${scope(ctx)}:${ctx.idempotencyKey}`
      const fingerprint = await fingerprintOf(await ctx.rawInput())
      const owner = randomUUID()
      let claim = await store.claim(key, fingerprint, lease * 1000, owner)
      // A double submit of a form: wait for the first to answer, and answer the same.
      for (const deadline = Date.now() + formWait; ctx.door === 'action' && claim.state === 'running' && claim.fingerprint === fingerprint && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        claim = await store.claim(key, fingerprint, lease * 1000, owner)
      }
      if (claim.state !== 'claimed') {
        if (claim.fingerprint !== fingerprint) throw reused()
        if (claim.state === 'running') throw inUse()
        return replayed(claim.outcome, ctx)
      }
      let outcome: Outcome<unknown>
      try {
        outcome = await next()
      } catch (error) {
        await store.release(key, owner)
        throw error
      }
      // A stream cannot be kept and replayed: the key is freed, and the operation makes its own work idempotent
      // with ctx.idempotencyKey (an import that records the key with what it stored, say).
      if (outcome.ok && isAsyncIterable(outcome.data)) {
        await store.release(key, owner)
        warnOnce(ctx.operation)
        return outcome
      }
      // Only a success is kept: a refused call changed nothing, so the same key may carry the corrected input.
      if (outcome.ok) await store.finish(key, owner, stored(outcome.data), ttl * 1000)
      else await store.release(key, owner)
      return outcome
    },
    {
      parameters: [
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: `Makes a retry safe: the same key and body replay the first success instead of running again (kept ${ttl} s).`,
          schema: { type: 'string', minLength: 1, maxLength: 257 },
        },
      ],
      name: 'idempotency',
      // The memory store refuses a new key when it is full (maxKeys); typed for any store, documented for that one.
      errors: (isBounded(store) ? { ...errors, ...storeErrors } : errors) as typeof errors & typeof storeErrors,
      policy: { kind: 'idempotency', summary: `replays for ${ttl % 3600 === 0 ? `${ttl / 3600} h` : `${ttl} s`}, per ${scope === callerOf ? 'caller' : 'scope'}` },
    },
  )
}

export interface MemoryIdempotencyStoreOptions {
  /** Most keys kept at once (running or answered); past it a new key answers 503 until some expire. Default 10,000. */
  maxKeys?: number
}

const BOUNDED = Symbol('actionroute.boundedIdempotencyStore')
const isBounded = (store: IdempotencyStore) => BOUNDED in store

/**
 * Keys in this process's memory: for one instance (and PGlite). Expired entries are dropped as new ones
 * come. Bounded by `maxKeys`: when it is full of live keys, a new key is refused (503, `IDEMPOTENCY_STORE_FULL`)
 * rather than forgetting another caller's answer, which would let that caller's retry run twice.
 */
export function memoryIdempotencyStore({ maxKeys = 10_000 }: MemoryIdempotencyStoreOptions = {}): IdempotencyStore {
  if (!(Number.isInteger(maxKeys) && maxKeys > 0)) throw new TypeError(`memoryIdempotencyStore: maxKeys must be a whole number above 0 (got ${maxKeys}).`)
  const entries = new Map<string, { fingerprint: string; owner: string; outcome?: StoredOutcome; expiresAt: number }>()
  const sweep = (now: number) => {
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key)
  }
  let nextSweep = 0
  // A sweep reads every entry: when the store is full, at most one a second, however many new keys come.
  let nextFullSweep = 0
  /** The entry `owner` holds for `key`, still running; undefined when its lease passed to another call. */
  const held = (key: string, owner: string) => {
    const entry = entries.get(key)
    return entry && entry.owner === owner && !entry.outcome ? entry : undefined
  }
  return {
    [BOUNDED]: true,
    async claim(key, fingerprint, leaseMs, owner) {
      const now = Date.now()
      const isFull = entries.size >= maxKeys && !entries.has(key)
      if (now >= nextSweep || (isFull && now >= nextFullSweep)) {
        sweep(now)
        nextSweep = now + 60_000
        nextFullSweep = now + 1000
      }
      const entry = entries.get(key)
      if (entry && entry.expiresAt > now) {
        return entry.outcome ? { state: 'done', fingerprint: entry.fingerprint, outcome: entry.outcome } : { state: 'running', fingerprint: entry.fingerprint }
      }
      if (!entry && entries.size >= maxKeys) throw full()
      entries.set(key, { fingerprint, owner, expiresAt: now + leaseMs })
      return { state: 'claimed' }
    },
    async finish(key, owner, outcome, ttlMs) {
      const entry = held(key, owner)
      if (entry) Object.assign(entry, { outcome, expiresAt: Date.now() + ttlMs })
    },
    async release(key, owner) {
      if (held(key, owner)) entries.delete(key)
    },
  } as IdempotencyStore
}

/** The table `postgresIdempotencyStore` keeps keys in: add it in a migration (or run it once). */
export const IDEMPOTENCY_TABLE_SQL = `create table if not exists actionroute_idempotency (
  key text primary key,
  fingerprint text not null,
  owner text,
  outcome jsonb,
  expires_at timestamptz not null
)`

/** actionroute 0.3 adds the column `owner` to the table of 0.2: run this once, before deploying 0.3. */
export const IDEMPOTENCY_TABLE_0_3_SQL = 'alter table actionroute_idempotency add column if not exists owner text'

// Takes a new key, or one whose lease or answer has expired, atomically; returns nothing when another call holds it.
const CLAIM_SQL = `insert into actionroute_idempotency as i (key, fingerprint, owner, outcome, expires_at)
values ($1, $2, $4, null, now() + $3 * interval '1 millisecond')
on conflict (key) do update set fingerprint = excluded.fingerprint, owner = excluded.owner, outcome = null, expires_at = excluded.expires_at
where i.expires_at <= now()
returning key`

/**
 * Keys in PostgreSQL (or PGlite), shared by every instance; needs `IDEMPOTENCY_TABLE_SQL`. Answers are kept as
 * JSON text (in a jsonb string, which keeps it byte for byte: a jsonb object would re-order its keys).
 */
export function postgresIdempotencyStore(source: QueryableSource): IdempotencyStore {
  const database = queryableOf(source)
  return {
    async claim(key, fingerprint, leaseMs, owner) {
      const db = await database()
      // The holder may finish or let go between our two statements: then try again.
      for (let attempt = 0; attempt < 3; attempt++) {
        if ((await db.query(CLAIM_SQL, [key, fingerprint, leaseMs, owner])).rows.length > 0) return { state: 'claimed' }
        const { rows } = await db.query('select fingerprint, outcome from actionroute_idempotency where key = $1 and expires_at > now()', [key])
        const row = rows[0] as { fingerprint: string; outcome: string | StoredOutcome | null } | undefined
        if (!row) continue
        if (row.outcome === null) return { state: 'running', fingerprint: row.fingerprint }
        // A string since 0.3; an object as 0.2 kept it.
        const outcome = typeof row.outcome === 'string' ? (JSON.parse(row.outcome) as StoredOutcome) : row.outcome
        return { state: 'done', fingerprint: row.fingerprint, outcome }
      }
      throw new Error(`idempotency: could not claim or read key ${key}`)
    },
    async finish(key, owner, outcome, ttlMs) {
      const db = await database()
      const text = JSON.stringify(JSON.stringify(outcome))
      await db.query(
        `update actionroute_idempotency set outcome = $3::jsonb, expires_at = now() + $4 * interval '1 millisecond' where key = $1 and owner = $2 and outcome is null`,
        [key, owner, text, ttlMs],
      )
      // One call in 1,000 also deletes what has expired.
      if (Math.random() < 0.001) await db.query('delete from actionroute_idempotency where expires_at <= now()', [])
    },
    async release(key, owner) {
      await (await database()).query('delete from actionroute_idempotency where key = $1 and owner = $2 and outcome is null', [key, owner])
    },
  }
}
