import { PGlite } from '@electric-sql/pglite'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { pipelineQueries } from './pglite-pipeline'

// The pipelined query against PGlite's own, on the same database: the same rows, fields, counts and errors.

let plain: PGlite
let pipelined: PGlite
beforeAll(async () => {
  plain = await PGlite.create('memory://')
  await plain.exec(`create table items (id serial primary key, label text not null, amount numeric, flag boolean, at timestamptz default now(), tag text unique)`)
  // The same backend seen through both: a second instance would be a second database.
  pipelined = pipelineQueries(plain)
}, 60_000)
afterAll(() => plain?.close())

/** PGlite's own query, bypassing the pipeline (the instance's query method is the pipelined one now). */
const original = (text: string, params: unknown[]) => Object.getPrototypeOf(plain).query.call(plain, text, params) as ReturnType<PGlite['query']>
const outcome = (promise: Promise<{ rows: unknown[]; fields: unknown[]; affectedRows?: number }>) =>
  promise.then(
    ({ rows, fields, affectedRows }) => ({ rows, fields, affectedRows }),
    (error: { code?: string; message: string }) => ({ error: error.code ?? error.message }),
  )

describe('pipelineQueries', () => {
  it('answers as PGlite.query does, for generated parameters of every textual kind', async () => {
    const value = fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.double({ noNaN: false }), fc.boolean(), fc.constant(null), fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }))
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 60 }), value, fc.boolean(), async (label, amount, flag) => {
        const text = 'select $1::text as label, $2::text as amount, $3::boolean as flag, length($1) as n'
        expect(await outcome(pipelined.query(text, [label, amount, flag]))).toEqual(await outcome(original(text, [label, amount, flag])))
      }),
      { numRuns: 300 },
    )
  })

  it('writes, reads back and refuses the same way: returning rows, affected rows, a unique violation, a syntax error', async () => {
    const insert = 'insert into items (label, amount, flag, tag) values ($1, $2, $3, $4) returning id, label, amount, flag, tag'
    const first = await pipelined.query<{ id: number; label: string }>(insert, ['one', '12.50', true, 'a'])
    expect(first.rows).toEqual([{ id: first.rows[0]!.id, label: 'one', amount: '12.50', flag: true, tag: 'a' }])
    expect(first.affectedRows).toBe(1)
    expect(await outcome(pipelined.query(insert, ['two', 1, false, 'a']))).toEqual({ error: '23505' })
    expect(await outcome(pipelined.query('selec 1', []))).toEqual(await outcome(original('selec 1', [])))
    // The session is usable after an error (the Sync ended the failed statement).
    const updated = await pipelined.query('update items set amount = amount * $1 where tag = $2', [2, 'a'])
    expect(updated.affectedRows).toBe(1)
    expect((await pipelined.query<{ amount: string }>('select amount from items where tag = $1', ['a'])).rows).toEqual([{ amount: '25.00' }])
  })

  it('reads an answer that comes in many chunks, and every column type the app reads, as PGlite.query does', async () => {
    // 20,000 rows of ~120 bytes: well past one chunk of the backend's output.
    const text = `select i, repeat('é', 50) || $1 as label, i % 2 = 0 as even, now() as at, null::text as nothing,
      (i * 1.5)::numeric as amount, 'ünïcode ✓ 𝄞' as sample, 42::bigint as big from generate_series(1, $2::int) as i`
    const answer = await pipelined.query(text, ['!', 20_000])
    expect(answer.rows).toHaveLength(20_000)
    // now() is the transaction's time: the same statement in another transaction differs there only.
    const withoutTime = ({ rows, fields }: { rows: unknown[]; fields: unknown[] }) => ({ rows: rows.map((row) => ({ ...(row as object), at: null })), fields })
    expect(withoutTime(answer)).toEqual(withoutTime(await original(text, ['!', 20_000])))
    expect((answer.rows[0] as { at: unknown }).at).toBeInstanceOf(Date)
  })

  it('refuses with the DatabaseError PGlite throws, every field of it', async () => {
    await pipelined.query(`insert into items (label, tag) values ($1, $2)`, ['first', 'dup'])
    const insert = 'insert into items (label, tag) values ($1, $2)'
    const fields = (error: Record<string, unknown>) => ({ code: error.code, detail: error.detail, constraint: error.constraint, table: error.table, severity: error.severity, name: error.name })
    const ours = await pipelined.query(insert, ['second', 'dup']).catch((error: Record<string, unknown>) => error)
    const theirs = await original(insert, ['second', 'dup']).catch((error: Record<string, unknown>) => error)
    expect(fields(ours as Record<string, unknown>)).toEqual(fields(theirs as Record<string, unknown>))
    expect(fields(ours as Record<string, unknown>)).toMatchObject({ code: '23505', constraint: 'items_tag_key', detail: 'Key (tag)=(dup) already exists.' })
  })

  it("hands a notification to PGlite's listeners once someone listens", async () => {
    const db = pipelineQueries(await PGlite.create('memory://'))
    try {
      const heard: string[] = []
      await db.listen('news', (payload) => void heard.push(payload))
      await db.query('select pg_notify($1, $2)', ['news', 'hello'])
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(heard).toEqual(['hello'])
    } finally {
      await db.close()
    }
  })

  it('hands notifications to onNotification listeners from its own reader, and from PGlite’s transactions, without giving up its reader', async () => {
    const db = pipelineQueries(await PGlite.create('memory://'))
    try {
      const heard: string[] = []
      db.onNotification((channel, payload) => void heard.push(`${channel}:${payload}`))
      await db.query('LISTEN news')
      const viaParser = vi.spyOn(db, 'execProtocol')
      await db.query('select pg_notify($1, $2)', ['news', 'plain'])
      await db.transaction(async (tx) => void (await tx.query(`select pg_notify('news', 'in a transaction')`)))
      await db.query('select pg_notify($1, $2)', ['elsewhere', 'not listened to'])
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(heard).toEqual(['news:plain', 'news:in a transaction'])
      // The plain queries stayed on this file's reader; only PGlite's transaction used its own.
      expect(viaParser.mock.calls.length).toBeLessThanOrEqual(3)
      const before = viaParser.mock.calls.length
      await db.query('select $1::int as n', [1])
      expect(viaParser.mock.calls.length).toBe(before)
    } finally {
      await db.close()
    }
  })

  it('leaves parameters that need a serializer to PGlite.query: a Date, an object', async () => {
    const at = new Date('2026-01-02T03:04:05.678Z')
    const { rows } = await pipelined.query<{ at: Date; doc: unknown }>('select $1::timestamptz as at, $2::jsonb as doc', [at, { a: [1, 'two'] }])
    expect(rows).toEqual([{ at, doc: { a: [1, 'two'] } }])
  })

  it('prepares each statement once, keeps at most its capacity, and closes a failed one', async () => {
    const db = pipelineQueries(await PGlite.create('memory://'), 3)
    try {
      const preparedCount = async () => (await Object.getPrototypeOf(db).query.call(db, 'select count(*)::int as n from pg_prepared_statements')).rows[0].n as number
      await db.query('select $1::int + 1 as n', [1])
      expect((await db.query('select $1::int + 1 as n', [41])).rows).toEqual([{ n: 42 }])
      expect(await preparedCount()).toBe(1)
      for (const k of [2, 3, 4, 5]) await db.query(`select $1::int + ${k} as n`, [0])
      expect(await preparedCount()).toBe(3)
      // Parsed, then refused at Bind: the name is released, and the same statement with a good value works.
      await expect(db.query('select $1::int as n', ['abc'])).rejects.toMatchObject({ code: '22P02' })
      expect((await db.query('select $1::int as n', ['7'])).rows).toEqual([{ n: 7 }])
      const copies = await Object.getPrototypeOf(db).query.call(db, `select count(*)::int as n from pg_prepared_statements where statement = 'select $1::int as n'`)
      expect(copies.rows, 'the failed copy was closed').toEqual([{ n: 1 }])
      // Refused at Parse, twice the same way (not "prepared statement already exists").
      await expect(db.query('selec $1', [1])).rejects.toMatchObject({ code: '42601' })
      await expect(db.query('selec $1', [1])).rejects.toMatchObject({ code: '42601' })
    } finally {
      await db.close()
    }
  })

  it('follows a schema change under a prepared statement, and a DEALLOCATE ALL', async () => {
    const db = pipelineQueries(await PGlite.create('memory://'))
    try {
      await db.exec(`create table notes (id int primary key, body text); insert into notes values (1, 'one')`)
      const read = () => db.query('select * from notes where id = $1', [1])
      expect((await read()).rows).toEqual([{ id: 1, body: 'one' }])
      await db.exec(`alter table notes add column pinned boolean not null default false`)
      expect((await read()).rows).toEqual([{ id: 1, body: 'one', pinned: false }])
      await db.exec('deallocate all')
      expect((await read()).rows).toEqual([{ id: 1, body: 'one', pinned: false }])
    } finally {
      await db.close()
    }
  })

  it('waits for a transaction in progress instead of running inside it', async () => {
    let insideDone!: () => void
    const inside = new Promise<void>((resolve) => (insideDone = resolve))
    let inserted!: () => void
    const insertedRow = new Promise<void>((resolve) => (inserted = resolve))
    const transaction = plain.transaction(async (tx) => {
      await tx.query(`insert into items (label, tag) values ('in a transaction', 'tx')`)
      inserted()
      await inside
      await tx.rollback()
    })
    await insertedRow
    // Sent while the transaction is open, its row inserted: it must see the database after the rollback.
    const count = pipelined.query<{ n: number }>(`select count(*)::int as n from items where tag = $1`, ['tx'])
    await new Promise((resolve) => setTimeout(resolve, 50))
    insideDone()
    await transaction
    expect((await count).rows).toEqual([{ n: 0 }])
  })
})
