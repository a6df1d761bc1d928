import { createHash } from 'node:crypto'
import type { Context } from '../core/context'
import { ActionError } from '../core/errors'
import { middleware, type Middleware, type Outcome } from '../core/middleware'
import type { Queryable } from './rate-limit'

/** An answer kept for replay: a success's data, as JSON. */
export type StoredOutcome = { ok: true; data: unknown }

/** What a store found for a key. */
export type Claim = { state: 'claimed' } | { state: 'running'; fingerprint: string } | { state: 'done'; fingerprint: string; outcome: StoredOutcome }

/** Keeps idempotency keys and the answers given to them. Implement it for another backend. */
export interface IdempotencyStore {
  /** Takes `key` for a call with `fingerprint` for `leaseMs`, unless an earlier call holds it: then says what that call left. */
  claim(key: string, fingerprint: string, leaseMs: number): Promise<Claim>
  /** Keeps the answer to replay for `ttlMs`. */
  finish(key: string, outcome: StoredOutcome, ttlMs: number): Promise<void>
  /** Frees the key of a call that failed unexpectedly, so a retry runs it again. */
  release(key: string): Promise<void>
}

export interface IdempotencyOptions {
  /** Where keys live: `memoryIdempotencyStore()` (one instance, the default) or `postgresIdempotencyStore(db)` (every instance). */
  store?: IdempotencyStore
  /** How long an answer is replayed, in seconds; default 24 hours. */
  ttl?: number
  /** How long a call may hold its key before another may take it (a crashed instance's calls), in seconds; default 60. */
  lease?: number
  /** Keys are scoped per operation and this (e.g. the caller's API key or user id); default the operation alone. */
  scope?: (ctx: Context) => string
  /** How long a form submission waits for an earlier one with its key to finish before answering 409, in ms; default 10,000. */
  formWait?: number
}

export { IDEMPOTENCY_FIELD } from '../action/envelope'

/** A key as the IETF draft writes it (a quoted sf-string) or bare: 1–255 visible ASCII characters. */
export function parseIdempotencyKey(header: string): string {
  const text = header.trim()
  const key = text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text
  if (!/^[\x21-\x7e]{1,255}$/.test(key) || key.includes('"')) {
    throw new ActionError('BAD_REQUEST', 'The Idempotency-Key must be 1 to 255 visible ASCII characters, e.g. "8e03978e-40d5-43e8-bc93-6894a57f9324".')
  }
  return key
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

const fingerprintOf = (input: unknown) => createHash('sha256').update(canonical(input)).digest('hex')

/** The data as JSON, as it would go over the wire. */
const stored = (data: unknown): StoredOutcome => ({ ok: true, data: JSON.parse(JSON.stringify(data ?? null)) as unknown })

function replayed(outcome: StoredOutcome, ctx: Context): Outcome<unknown> {
  ctx.responseHeaders.set('idempotency-replayed', 'true')
  return outcome
}

const reused = () => new ActionError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used for a different request.', { status: 422 })
const inUse = () => new ActionError('IDEMPOTENCY_KEY_IN_USE', 'A request with this Idempotency-Key is still being processed: retry later.', { status: 409 })

/**
 * Makes retries safe, per the IETF Idempotency-Key draft: the first call with a key runs and its answer
 * is kept; the same key with the same input replays that answer (`Idempotency-Replayed: true`) without
 * running again; with another input it is 422; while the first still runs, 409 on the route door, and on
 * the action door (a double submit) the second waits for the first's answer. Calls without a key run as usual.
 * Only successes are kept: after an error (a validation error, a 5xx) the key is free again, so a retry, or
 * the same form corrected, runs. Replayed data is the JSON form of the first answer.
 */
export function idempotency({ store = memoryIdempotencyStore(), ttl = 86_400, lease = 60, scope = (ctx) => ctx.operation, formWait = 10_000 }: IdempotencyOptions = {}): Middleware {
  return middleware(
    async (ctx, next) => {
      if (!ctx.idempotencyKey) return next()
      const key = `${scope(ctx)}:${ctx.idempotencyKey}`
      const fingerprint = fingerprintOf(await ctx.rawInput())
      let claim = await store.claim(key, fingerprint, lease * 1000)
      // A double submit of a form: wait for the first to answer, and answer the same.
      for (const deadline = Date.now() + formWait; ctx.door === 'action' && claim.state === 'running' && claim.fingerprint === fingerprint && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        claim = await store.claim(key, fingerprint, lease * 1000)
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
        await store.release(key)
        throw error
      }
      // Only a success is kept: a refused call changed nothing, so the same key may carry the corrected input.
      if (outcome.ok) await store.finish(key, stored(outcome.data), ttl * 1000)
      else await store.release(key)
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
      errors: [
        { code: 'IDEMPOTENCY_KEY_IN_USE', status: 409, description: 'a request with the same `Idempotency-Key` is still being processed' },
        { code: 'IDEMPOTENCY_KEY_REUSED', status: 422, description: 'the `Idempotency-Key` was already used for a different request' },
      ],
    },
  )
}

/** Keys in this process's memory: for one instance (and PGlite). Ended entries are dropped as new ones come. */
export function memoryIdempotencyStore(): IdempotencyStore {
  const entries = new Map<string, { fingerprint: string; outcome?: StoredOutcome; expiresAt: number }>()
  const sweep = (now: number) => {
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key)
  }
  let nextSweep = 0
  return {
    async claim(key, fingerprint, leaseMs) {
      const now = Date.now()
      if (now >= nextSweep) {
        sweep(now)
        nextSweep = now + 60_000
      }
      const entry = entries.get(key)
      if (entry && entry.expiresAt > now) {
        return entry.outcome ? { state: 'done', fingerprint: entry.fingerprint, outcome: entry.outcome } : { state: 'running', fingerprint: entry.fingerprint }
      }
      entries.set(key, { fingerprint, expiresAt: now + leaseMs })
      return { state: 'claimed' }
    },
    async finish(key, outcome, ttlMs) {
      const entry = entries.get(key)
      if (entry) Object.assign(entry, { outcome, expiresAt: Date.now() + ttlMs })
    },
    async release(key) {
      entries.delete(key)
    },
  }
}

/** The table `postgresIdempotencyStore` keeps keys in: add it in a migration (or run it once). */
export const IDEMPOTENCY_TABLE_SQL = `create table if not exists actionroute_idempotency (
  key text primary key,
  fingerprint text not null,
  outcome jsonb,
  expires_at timestamptz not null
)`

// Takes a new key, or one whose lease or answer has expired, atomically; returns nothing when another call holds it.
const CLAIM_SQL = `insert into actionroute_idempotency as i (key, fingerprint, outcome, expires_at)
values ($1, $2, null, now() + $3 * interval '1 millisecond')
on conflict (key) do update set fingerprint = excluded.fingerprint, outcome = null, expires_at = excluded.expires_at
where i.expires_at <= now()
returning key`

/** Keys in PostgreSQL (or PGlite), shared by every instance; needs `IDEMPOTENCY_TABLE_SQL`. */
export function postgresIdempotencyStore(db: Queryable): IdempotencyStore {
  return {
    async claim(key, fingerprint, leaseMs) {
      // The holder may finish or let go between our two statements: then try again.
      for (let attempt = 0; attempt < 3; attempt++) {
        if ((await db.query(CLAIM_SQL, [key, fingerprint, leaseMs])).rows.length > 0) return { state: 'claimed' }
        const { rows } = await db.query('select fingerprint, outcome from actionroute_idempotency where key = $1 and expires_at > now()', [key])
        const row = rows[0] as { fingerprint: string; outcome: StoredOutcome | null } | undefined
        if (row) return row.outcome ? { state: 'done', fingerprint: row.fingerprint, outcome: row.outcome } : { state: 'running', fingerprint: row.fingerprint }
      }
      throw new Error(`idempotency: could not claim or read key ${key}`)
    },
    async finish(key, outcome, ttlMs) {
      await db.query(`update actionroute_idempotency set outcome = $2, expires_at = now() + $3 * interval '1 millisecond' where key = $1`, [key, JSON.stringify(outcome), ttlMs])
      // One call in 1,000 also deletes what has expired.
      if (Math.random() < 0.001) await db.query('delete from actionroute_idempotency where expires_at <= now()', [])
    },
    async release(key) {
      await db.query('delete from actionroute_idempotency where key = $1', [key])
    },
  }
}
