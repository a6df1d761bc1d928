import { action, router, type HttpMethod } from 'actionroute'
import { createClient } from 'actionroute/client'
import { withActionContext } from 'actionroute/testing'
import { count, eq, sql } from 'drizzle-orm'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { api } from '@/server/api'
import { userImports, users } from '@/server/db/schema'
import { setupTestDatabase } from '@/test/support/database'
import { checkEmail, checkName, IMPORT_BATCH, MAX_RUNNING_IMPORTS, PLAIN_EMAIL, PLAIN_NAME, type ImportEvent } from './import'
import { userEmail, userName } from './schema'
import { MAX_IMPORT_UPLOADS } from '@/server/middleware/import-uploads'
import { cancelImport, importUsers } from './operations'
import * as queries from './queries'

// The CSV import on this project's database (PGlite and PostgreSQL), through both doors: what a summary says was
// stored is what the table holds, whatever ends the import, and a retry with its Idempotency-Key adds nobody twice.
const database = setupTestDatabase()
const handlers = router(api)
const call = (request: Request) => handlers[request.method as HttpMethod](request, { params: Promise.resolve({}) })
const client = createClient<typeof api>({ baseUrl: 'http://directory.test', fetch: call })

const userCount = async () => (await database().db.select({ n: count() }).from(users))[0]!.n
const importRow = async (id: string) => (await database().db.select().from(userImports).where(eq(userImports.id, id)))[0]!

/** Rows `from`…`to` of a generated CSV: unique names and emails per `tag`. */
const rows = (tag: string, from: number, to: number) => Array.from({ length: to - from }, (_, i) => `Person ${tag} ${from + i},${tag}${from + i}@example.com`).join('\n')

/** POSTs a CSV as the body to the route door; its events as the server sent them (SSE, parsed by the typed client). */
async function post(csv: string | Blob, headers: Record<string, string> = {}) {
  return call(new Request('http://directory.test/api/users/import', { method: 'POST', body: csv, headers: { 'content-type': 'text/csv', ...headers }, duplex: 'half' } as RequestInit))
}
async function eventsOf(answer: Response): Promise<ImportEvent[]> {
  const text = await answer.text()
  return text
    .split('\n\n')
    .flatMap((frame) => frame.split('\n').filter((line) => line.startsWith('data: ')))
    .map((line) => JSON.parse(line.slice('data: '.length)) as ImportEvent)
}
/** Reads an import's stream until its text so far matches `until` (the reader then stays with the caller). */
async function readUntil(answer: Response, until: RegExp) {
  const reader = answer.body!.getReader()
  let text = ''
  while (!until.test(text)) text += new TextDecoder().decode((await reader.read()).value)
  return { reader, text, id: /"id":"([^"]+)"/.exec(text)![1]! }
}
const summaryOf = (events: ImportEvent[]) => {
  const last = events.at(-1)
  if (last?.type !== 'done') throw new Error(`no summary: ${JSON.stringify(last)}`)
  return last
}

describe('importUsers', () => {
  it('adds the valid rows of a CSV posted as text/csv, reporting each row it skips by its line', async () => {
    await queries.insertUser({ name: 'Taken', email: 'taken@example.com' }, 'route')
    const csv = ['\uFEFFemail,Name', 'ada@example.com,Ada', ',No Email', 'taken@example.com,Someone', 'not-an-email,Bad', 'x@example.com,', '"Grace, Hopper",grace@example.com'].join('\r\n')
    const answer = await post(csv.replace('"Grace, Hopper",grace@example.com', 'grace@example.com,"Grace ""Amazing"" Hopper"'))
    expect([answer.status, answer.headers.get('content-type')]).toEqual([200, 'text/event-stream; charset=utf-8'])
    const summary = summaryOf(await eventsOf(answer))
    expect(summary).toMatchObject({ status: 'done', lines: 7, stored: 3, taken: 1, invalid: 2, replayed: false, message: 'Imported 3 users; 3 rows skipped (1 taken, 2 invalid)' })
    expect(summary.problems).toEqual([
      { line: 4, reason: 'the email taken@example.com is taken' },
      { line: 5, reason: expect.stringContaining('valid email') },
      { line: 6, reason: 'Name is required' },
    ])
    const added = await database().db.select({ name: users.name, email: users.email, door: users.door }).from(users).where(sql`${users.name} <> 'Taken'`).orderBy(users.name)
    expect(added).toEqual([
      { name: 'Ada', email: 'ada@example.com', door: 'route' },
      { name: 'Grace "Amazing" Hopper', email: 'grace@example.com', door: 'route' },
      { name: 'No Email', email: null, door: 'route' },
    ])
  })

  it('streams a progress event per batch stored, each saying what the table holds', async () => {
    const before = await userCount()
    const answer = await client.stream('POST', '/api/users/import', { body: { file: new File([rows('p', 0, 2 * IMPORT_BATCH + 10)], 'people.csv', { type: 'text/csv' }) } })
    if (!answer.ok) throw new Error(answer.error.detail)
    const seen: { stored: number; inTable: number }[] = []
    for await (const event of answer.items) seen.push({ stored: event.stored, inTable: (await userCount()) - before })
    expect(seen).toEqual([
      { stored: 0, inTable: 0 },
      { stored: IMPORT_BATCH, inTable: IMPORT_BATCH },
      { stored: 2 * IMPORT_BATCH, inTable: 2 * IMPORT_BATCH },
      { stored: 2 * IMPORT_BATCH + 10, inTable: 2 * IMPORT_BATCH + 10 },
    ])
  })

  it('serves the action door: frames of the same events, users added through the action', async () => {
    const importAction = action(importUsers)
    const result = await withActionContext({}, () => importAction({ file: new File(['name\nActioned One\nActioned Two\n'], 'a.csv', { type: 'text/csv' }) }))
    if (!result.ok) throw new Error(result.error.message)
    const frames = []
    for await (const frame of result.data) frames.push(frame)
    expect(frames).toEqual([{ item: expect.objectContaining({ type: 'progress', stored: 0 }) }, { item: expect.objectContaining({ type: 'done', stored: 2, message: 'Imported 2 users' }) }])
    expect(await database().db.select({ door: users.door }).from(users).where(sql`${users.name} like 'Actioned%'`)).toEqual([{ door: 'action' }, { door: 'action' }])
  })

  it('cancels an import running on the action door through the cancel action', async () => {
    const importAction = action(importUsers)
    const cancelAction = action(cancelImport)
    const result = await withActionContext({}, () => importAction({ file: new File([rows('ac', 0, 6 * IMPORT_BATCH)], 'a.csv', { type: 'text/csv' }) }))
    if (!result.ok) throw new Error(result.error.message)
    const items: ImportEvent[] = []
    for await (const frame of result.data) {
      if ('error' in frame) throw new Error(frame.error.message)
      items.push(frame.item)
      if (items.length === 1) expect(await withActionContext({}, () => cancelAction({ id: frame.item.id }))).toMatchObject({ ok: true, data: { status: 'running' } })
    }
    const summary = summaryOf(items)
    expect(summary).toMatchObject({ status: 'cancelled' })
    expect(summary.stored).toBeLessThan(6 * IMPORT_BATCH)
    expect(await database().db.select({ n: count() }).from(users).where(sql`${users.email} like 'ac%@example.com'`)).toEqual([{ n: summary.stored }])
  })

  it('stops after the batch it is storing when cancelled, on the word of cancelImport or of its reader going', async () => {
    // Cancelled by id, as the page's Cancel button asks: the stream ends with the summary of what it stored.
    const answer = await client.stream('POST', '/api/users/import', { body: { file: new File([rows('c', 0, 10 * IMPORT_BATCH)], 'c.csv', { type: 'text/csv' }) } })
    if (!answer.ok) throw new Error(answer.error.detail)
    const events: ImportEvent[] = []
    for await (const event of answer.items) {
      events.push(event)
      if (events.length === 2) expect(await client.POST('/api/users/import/{id}/cancel', { params: { id: event.id } })).toMatchObject({ ok: true, data: { status: 'running' } })
    }
    const summary = summaryOf(events)
    expect(summary).toMatchObject({ status: 'cancelled', message: expect.stringMatching(/^Import cancelled: [\d,]+ users added$/) })
    expect(summary.stored).toBeLessThan(10 * IMPORT_BATCH)
    expect(summary.stored % IMPORT_BATCH).toBe(0)
    expect(await database().db.select({ n: count() }).from(users).where(sql`${users.email} like 'c%@example.com'`)).toEqual([{ n: summary.stored }])
    expect(await client.POST('/api/users/import/{id}/cancel', { params: { id: summary.id } })).toMatchObject({ ok: true, data: { status: 'cancelled', stored: summary.stored } })
    expect(await client.POST('/api/users/import/{id}/cancel', { params: { id: 'nope' } })).toMatchObject({ ok: false, status: 404, error: { code: 'IMPORT_NOT_FOUND' } })

    // The reader goes after the first event: the import is recorded as cancelled, with exactly what it stored.
    const { reader, id } = await readUntil(await post(rows('d', 0, 10 * IMPORT_BATCH)), /"stored":[1-9]/)
    await reader.cancel()
    await expect.poll(async () => (await importRow(id)).status).toBe('cancelled')
    const row = await importRow(id)
    expect(await database().db.select({ n: count() }).from(users).where(sql`${users.email} like 'd%@example.com'`)).toEqual([{ n: row.stored }])
    expect(row.stored).toBeLessThan(10 * IMPORT_BATCH)
  })

  it('with an Idempotency-Key: a retry resumes where the import stopped, a finished one answers its summary, another file is refused', async () => {
    const csv = `name,email\n${rows('k', 0, 3 * IMPORT_BATCH)}\nBad\u0007Name,bad@example.com`
    const key = { 'idempotency-key': 'import-k-1' }
    // Stopped after its first batch (its reader went)…
    const { reader, id } = await readUntil(await post(csv, key), /"stored":[1-9]/)
    await reader.cancel()
    await expect.poll(async () => (await importRow(id)).status).toBe('cancelled')
    // …and retried: it resumes, and every row is in once.
    const summary = summaryOf(await eventsOf(await post(csv, key)))
    expect(summary).toMatchObject({ id, status: 'done', stored: 3 * IMPORT_BATCH, invalid: 1, taken: 0, replayed: false, problems: [{ line: 3 * IMPORT_BATCH + 2, reason: expect.any(String) }] })
    expect(await database().db.select({ n: count() }).from(users).where(sql`${users.email} like 'k%@example.com'`)).toEqual([{ n: 3 * IMPORT_BATCH }])
    // Once more: the same summary, nothing run.
    expect(summaryOf(await eventsOf(await post(csv, key)))).toEqual({ ...summary, replayed: true })
    const other = await post('name\nSomeone Else\n', key)
    expect([other.status, (await other.json()).code]).toEqual([422, 'IMPORT_KEY_REUSED'])
  })

  it('takes over an import whose process died (no batch for 30 s) when retried with its key; refuses one still running', async () => {
    const csv = rows('z', 0, IMPORT_BATCH + 5)
    const key = { 'idempotency-key': 'import-z-1' }
    const { reader, id } = await readUntil(await post(csv, key), /"stored":[1-9]/)
    // Its reader stalls (the run waits to hand over its next event): a retry now is refused.
    const busy = await post(csv, key)
    expect([busy.status, (await busy.json()).code]).toEqual([409, 'IMPORT_RUNNING'])
    // As if its process had been killed 31 s ago: the retry takes it over and finishes it.
    await database().db.update(userImports).set({ updatedAt: sql`now() - interval '31 seconds'` }).where(eq(userImports.id, id))
    expect(summaryOf(await eventsOf(await post(csv, key)))).toMatchObject({ id, status: 'done', stored: IMPORT_BATCH + 5 })
    // The stalled run wakes: it stores nothing more (its claim is gone), and the table holds each row once.
    await reader.cancel()
    expect(await database().db.select({ n: count() }).from(users).where(sql`${users.email} like 'z%@example.com'`)).toEqual([{ n: IMPORT_BATCH + 5 }])
    expect((await importRow(id)).status).toBe('done')
  })

  it(`answers 503 past ${MAX_RUNNING_IMPORTS} imports running in the process, and 413 and 415 before reading a file it cannot take`, async () => {
    const readers = await Promise.all(
      Array.from({ length: MAX_RUNNING_IMPORTS }, async (_, i) => {
        const answer = await post(rows(`r${i}`, 0, 2 * IMPORT_BATCH))
        const reader = answer.body!.getReader()
        await reader.read()
        return reader
      }),
    )
    const busy = await post('name\nOne More\n')
    expect([busy.status, busy.headers.get('retry-after')]).toEqual([503, '60'])
    await Promise.all(readers.map((reader) => reader.cancel()))
    await expect.poll(async () => (await post('name\nOne More\n')).status).toBe(200)

    const huge = await call(new Request('http://directory.test/api/users/import', { method: 'POST', body: 'x', headers: { 'content-type': 'text/csv', 'content-length': String(1024 ** 3) } }))
    expect([huge.status, (await huge.json()).code]).toEqual([413, 'PAYLOAD_TOO_LARGE'])
    const binary = await post(new Blob([new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]))
    expect([binary.status, (await binary.json()).code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE'])
  })

  it('reads a hostile file to its end: BOM, mixed line endings, NUL bytes, an over-long line, bad UTF-8, a quote left open', async () => {
    const csv = Buffer.concat([
      Buffer.from('\uFEFFname,email\r\n'),
      Buffer.from('Hostile One,h1@example.com\rHostile Two,h2@example.com\n'),
      Buffer.from('Nul\u0000Name,h3@example.com\r\n'),
      Buffer.from(`${'x'.repeat(200_000)},h4@example.com\n`),
      Buffer.from([0xff, 0xfe, 0x2c, 0x61, 0x0a]),
      Buffer.from('"Hostile ""Three""",h5@example.com\n'),
      Buffer.from('"Open quote,h6@example.com\nHostile Never,h7@example.com\n'),
    ])
    const summary = summaryOf(await eventsOf(await post(new Blob([csv]))))
    expect(summary).toMatchObject({ status: 'done', stored: 3, taken: 0, invalid: 4 })
    expect(summary.problems).toEqual([
      { line: 4, reason: 'Name must not contain control characters, line breaks or text-direction controls' },
      { line: 5, reason: 'longer than 64 KiB' },
      { line: 6, reason: 'not valid UTF-8' },
      { line: 8, reason: 'a quoted field is never closed' },
    ])
    const names = await database().db.select({ name: users.name }).from(users).where(sql`${users.email} like 'h%@example.com'`)
    expect(names.map(({ name }) => name).sort()).toEqual(['Hostile "Three"', 'Hostile One', 'Hostile Two'])
  })

  it('ends with exactly what it stored when its reader goes at any point, and stores nothing of a body cut off', async () => {
    const total = 3 * IMPORT_BATCH + 7
    for (let after = 0; after <= 5; after++) {
      const tag = `s${after}x`
      const answer = await post(rows(tag, 0, total))
      const reader = answer.body!.getReader()
      let text = ''
      // `after` events read (0: only the opening comment), then the reader goes.
      do text += new TextDecoder().decode((await reader.read()).value ?? new Uint8Array())
      while ((text.match(/\ndata: /g)?.length ?? 0) < after && !text.includes('"done"'))
      await reader.cancel()
      const inTable = async () => (await database().db.select({ n: count() }).from(users).where(sql`${users.email} like ${`${tag}%@example.com`}`))[0]!.n
      const id = /"id":"([^"]+)"/.exec(text)?.[1]
      if (id) {
        await expect.poll(async () => (await importRow(id)).status).not.toBe('running')
        const row = await importRow(id)
        expect(await inTable()).toBe(row.stored)
        // Whole batches only, or all of it.
        expect(row.stored % IMPORT_BATCH === 0 || row.stored === total, `${row.stored} stored`).toBe(true)
      } else {
        // Gone before its first event: whatever it began is whole batches.
        await new Promise((resolve) => setTimeout(resolve, 300))
        expect((await inTable()) % IMPORT_BATCH).toBe(0)
      }
    }
    // The upload itself cut off: nobody reads the answer; no import, no user.
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(rows('cut', 0, 100)))
        controller.error(new Error('connection reset'))
      },
    })
    const before = await database().db.select({ n: count() }).from(userImports)
    await post(body as unknown as Blob).catch(() => undefined)
    expect(await database().db.select({ n: count() }).from(userImports)).toEqual(before)
    expect(await database().db.select({ n: count() }).from(users).where(sql`${users.email} like 'cut%@example.com'`)).toEqual([{ n: 0 }])
  })

  it(`reads at most ${MAX_IMPORT_UPLOADS} import files at once: another is answered 503 before its body is read`, async () => {
    // Uploads that stall mid-body, as a slow or hostile client sends them.
    const stalled = Array.from({ length: MAX_IMPORT_UPLOADS }, () => {
      let stop!: (error: Error) => void
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('name\nSlow One\n'))
          stop = (error) => controller.error(error)
        },
      })
      return { answer: post(body as unknown as Blob), stop }
    })
    await new Promise((resolve) => setTimeout(resolve, 100))
    let pulled = 0
    const next = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(new TextEncoder().encode('name\nOne More\n'))
        controller.close()
      },
    })
    const refused = await post(next as unknown as Blob)
    expect([refused.status, refused.headers.get('retry-after'), (await refused.json()).code]).toEqual([503, '60', 'SERVICE_UNAVAILABLE'])
    expect(pulled, 'chunks of the refused body read').toBeLessThanOrEqual(1)
    for (const upload of stalled) upload.stop(new Error('gone'))
    await Promise.all(stalled.map((upload) => upload.answer))
    // The slots are free again.
    expect(summaryOf(await eventsOf(await post('name\nAfter Slots\n')))).toMatchObject({ status: 'done', stored: 1 })
  })

  it('accounts for every line of any generated CSV: added, taken or invalid, never a 5xx', async () => {
    const cell = fc.oneof(
      fc.constantFrom('Ada', 'Grace Hopper', '', ' ', 'a@example.com', 'b@example.com', 'not an email', '"', '""', '\0', '\u202e', 'é'),
      fc.string({ maxLength: 8 }),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 30 }), fc.constantFrom('\n', '\r\n', '\r'), async (table, eol) => {
        await database().db.delete(users)
        const csv = table.map((row) => row.join(',')).join(eol)
        const answer = await post(new Blob([csv]))
        if (answer.status !== 200) {
          // Only a file whose first bytes are not text (a control character) is refused, as a 415.
          expect(answer.status).toBe(415)
          return
        }
        const summary = summaryOf(await eventsOf(answer))
        expect(summary.stored).toBe(await userCount())
        expect(summary.stored + summary.taken + summary.invalid).toBeLessThanOrEqual(summary.lines)
        expect(summary.problems.length).toBe(Math.min(100, summary.taken + summary.invalid))
      }),
      { numRuns: 40 },
    )
  })
})

describe("the import's fast checks", () => {
  // Strings from an alphabet that often makes plain names and addresses, and any string.
  const ascii = fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', '.', '-', '_', '+', '@', '@', 'x.org', 'é', '\t', '"', '!', '~'), maxLength: 40 })
  const text = fc.oneof(ascii, fc.string({ maxLength: 120 }), fc.string({ unit: 'grapheme-ascii', minLength: 95, maxLength: 105 }))

  it('take a name or an email only when its schema takes it, with the same result', () => {
    fc.assert(
      fc.property(text, (value) => {
        const name = userName.safeParse(value)
        expect(checkName(value)).toEqual(name.success ? { ok: true, name: name.data } : { ok: false, reason: name.error.issues[0]!.message })
        const email = userEmail.safeParse(value)
        expect(checkEmail(value)).toEqual(email.success ? { ok: true, email: email.data } : { ok: false, reason: email.error.issues[0]!.message })
      }),
      { numRuns: 3_000 },
    )
  })

  it('are taken by the rows a spreadsheet holds', () => {
    expect(['Ada Lovelace', 'O\'Brien-Smith', 'X'].every((name) => PLAIN_NAME.test(name))).toBe(true)
    expect(['ada@example.com', 'First.Last+tag@mail.example.co.uk'].every((email) => PLAIN_EMAIL.test(email))).toBe(true)
  })
})
