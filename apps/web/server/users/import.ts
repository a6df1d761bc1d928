import { createHash, getRandomValues } from 'node:crypto'
import { and, eq, or, sql } from 'drizzle-orm'
import { defineErrors, OperationError } from 'actionroute'
import { z } from 'zod'
import type { Database } from '@/server/db/client'
import { userImports, type Door, type ImportProblem, type UserImport } from '@/server/db/schema'
import { CsvParser, type CsvRecord } from './csv'
import { EMAIL_MAX, NAME_MAX, userEmail, userName } from './schema'

// Importing users from a CSV file (name, email): read as a stream, checked row by row, inserted in batches, each
// batch in one transaction with the import's counts (user_imports), so what an import says it stored is what is
// stored, whether it ends, is cancelled, fails or its process is killed. An Idempotency-Key makes a retry resume
// where the first stopped: a retried import adds nobody twice.

/** The largest file: 256 MB, about six million rows of a name and an email. */
export const IMPORT_MAX_BYTES = 256 * 1024 * 1024
/** Users inserted in one statement and one transaction: a progress event after each. */
export const IMPORT_BATCH = 5_000
/** Problems kept to report (the first); every one is counted. */
export const IMPORT_PROBLEMS_KEPT = 100
/** Imports running at once in one process; another is answered 503 until one ends. */
export const MAX_RUNNING_IMPORTS = 2
/** A running import whose batches stopped this long ago died with its process: a retry with its key takes it over. */
const STALE_SECONDS = 30

/**
 * The upload, checked by actionroute on both doors as it arrives. Windows browsers send a .csv as
 * application/vnd.ms-excel; its bytes must be text whatever it claims (a spreadsheet's binary .xls is refused).
 */
export const importFile = z
  .file({ error: 'Choose a CSV file' })
  .max(IMPORT_MAX_BYTES, 'The file must be at most 256 MB')
  .mime(['text/csv', 'text/plain', 'application/vnd.ms-excel'], 'Choose a CSV file (text): a name and an email on each line')
  .meta({ description: 'A CSV file of at most 256 MB: a name and an email (optional) per line, with or without a header line `name,email`' })

const counts = {
  id: z.string().describe('The import, for `POST /api/users/imports/{id}/cancel`'),
  lines: z.number().int().describe('Lines read, through the last batch stored'),
  stored: z.number().int().describe('Users added'),
  taken: z.number().int().describe('Rows whose email another user has'),
  invalid: z.number().int().describe('Rows that are not a valid user, or not valid CSV'),
}

export const importUsersInput = z.object({ file: importFile })

export const cancelImportInput = z.object({ id: z.string({ error: 'Import id is required' }) })

export const cancelImportJson = z.object({
  message: z.string(),
  status: z.enum(['running', 'done', 'cancelled', 'failed']).describe('`running`: it stops after its current batch, and its stream ends with its summary'),
  stored: z.number().int().describe('Users it has added so far'),
})

export const importEventJson = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('progress'),
    ...counts,
    bytes: z.number().int().describe('Bytes of the file read'),
    size: z.number().int().describe('Bytes of the file'),
  }),
  z.object({
    type: z.literal('done'),
    ...counts,
    status: z.enum(['done', 'cancelled']),
    problems: z.array(z.object({ line: z.number().int(), reason: z.string() })).describe(`The first ${IMPORT_PROBLEMS_KEPT} rows not added, and why`),
    message: z.string(),
    replayed: z.boolean().describe('True when this is the summary of an earlier import with the same Idempotency-Key'),
  }),
])
export type ImportEvent = z.infer<typeof importEventJson>
type Summary = Extract<ImportEvent, { type: 'done' }>

export const importErrors = defineErrors({
  IMPORT_RUNNING: { status: 409, message: 'An import with this Idempotency-Key is running: wait for it, or cancel it.' },
  IMPORT_KEY_REUSED: { status: 422, message: 'This Idempotency-Key was used for an import of another file.' },
  IMPORT_NOT_FOUND: { status: 404, message: 'No import with this id.' },
})
const tooManyImports = () =>
  new OperationError('SERVICE_UNAVAILABLE', `This server runs ${MAX_RUNNING_IMPORTS} imports already: try again in a minute.`, { status: 503, headers: { 'retry-after': '60' } })
/** A run that lost its import to a retry (it stalled past STALE_SECONDS): it ends, its last batch rolled back. */
class TakenOver extends Error {}

function message({ status, stored, taken, invalid }: Pick<Summary, 'status' | 'stored' | 'taken' | 'invalid'>): string {
  const users = `${stored.toLocaleString('en')} ${stored === 1 ? 'user' : 'users'}`
  const skipped = taken + invalid
  const rest = skipped === 0 ? '' : `; ${skipped.toLocaleString('en')} ${skipped === 1 ? 'row' : 'rows'} skipped (${taken.toLocaleString('en')} taken, ${invalid.toLocaleString('en')} invalid)`
  return status === 'cancelled' ? `Import cancelled: ${users} added${rest}` : `Imported ${users}${rest}`
}

const summaryOf = (row: UserImport, replayed: boolean): Summary => ({
  type: 'done',
  id: row.id,
  status: row.status === 'cancelled' ? 'cancelled' : 'done',
  lines: row.lines,
  stored: row.stored,
  taken: row.taken,
  invalid: row.invalid,
  problems: row.problems,
  message: message({ ...row, status: row.status === 'cancelled' ? 'cancelled' : 'done' }),
  replayed,
})

async function sha256(file: Blob): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of chunksOf(file)) hash.update(chunk)
  return hash.digest('hex')
}

/** A file's bytes as they are read (from disk, for an upload the route door streamed there). */
async function* chunksOf(file: Blob): AsyncGenerator<Uint8Array> {
  const reader = file.stream().getReader()
  let done = false
  try {
    for (let next = await reader.read(); !(done = next.done); next = await reader.read()) yield next.value
  } finally {
    // Left early (cancelled): the file is closed.
    if (!done) await reader.cancel().catch(() => {})
  }
}

let running = 0

export interface ImportOptions {
  door: Door
  /** `caller:Idempotency-Key`: a retry with it resumes the import instead of starting another. */
  key?: string
  signal: AbortSignal
}

/**
 * Starts an import of `file`, or resumes the one its key names: refused before any event (409 while another call
 * runs it, 422 for a key used with another file, 503 when this process runs MAX_RUNNING_IMPORTS). Its events: a
 * `progress` at once and after each batch, and a `done` summary; an import its key finished answers its summary at once.
 */
export async function startImport(database: Database, file: File, { door, key, signal }: ImportOptions): Promise<AsyncIterable<ImportEvent>> {
  if (running >= MAX_RUNNING_IMPORTS) throw tooManyImports()
  running++
  let handedOver = false
  try {
    const row = await claim(database, file, key)
    if (row.status === 'done') return (async function* () {
      yield summaryOf(row, true)
    })()
    handedOver = true
    return run(database, file, row, door, signal)
  } finally {
    if (!handedOver) running--
  }
}

/** The import's row: a new one, or the one its key names, taken over if it is not running (ended, or died). */
async function claim(database: Database, file: File, key: string | undefined): Promise<UserImport> {
  const fingerprint = key ? await sha256(file) : '-'
  const [created] = await database.db.insert(userImports).values({ idempotencyKey: key ?? null, fingerprint }).onConflictDoNothing().returning()
  if (created) return created
  const [earlier] = await database.db.select().from(userImports).where(eq(userImports.idempotencyKey, key!))
  if (!earlier) throw new Error('An import key conflicted, but no import has it.')
  if (earlier.fingerprint !== fingerprint) throw importErrors.IMPORT_KEY_REUSED()
  if (earlier.status === 'done') return earlier
  const [taken] = await database.db
    .update(userImports)
    .set({ status: 'running', cancelRequested: false, updatedAt: sql`now()` })
    .where(and(eq(userImports.id, earlier.id), or(sql`${userImports.status} <> 'running'`, sql`${userImports.updatedAt} < now() - ${`${STALE_SECONDS} seconds`}::interval`)))
    .returning()
  if (!taken) throw importErrors.IMPORT_RUNNING({ message: `An import with this Idempotency-Key is running (${earlier.id}): wait for it, or cancel it.` })
  return taken
}

interface Row {
  line: number
  name: string
  email: string | null
}

/** Which field holds what: from a header line (`email,name`, in any order, other columns ignored), or name then email. */
interface Columns {
  name: number
  email: number | undefined
  /** Without a header, more fields than these are an error; with one, they are columns it names. */
  exact: boolean
}
const DEFAULT_COLUMNS: Columns = { name: 0, email: 1, exact: true }

function headerOf(fields: string[]): Columns | undefined {
  const names = fields.map((field) => field.trim().toLowerCase())
  const name = names.indexOf('name')
  if (name === -1 || !names.every((field) => /^[a-z _-]*$/.test(field))) return undefined
  const email = names.indexOf('email')
  return { name, email: email === -1 ? undefined : email, exact: false }
}

const firstIssue = (error: z.ZodError) => error.issues[0]?.message ?? 'not valid'

/**
 * Fast paths for the common row (a million of them cost 5 s in zod): a name or an email these match is one the
 * schemas take, unchanged (the email lower-cased); anything else goes through the schemas. import.test.ts checks
 * on generated strings that each fast path accepts only what its schema accepts, with the same result.
 */
export const PLAIN_NAME = new RegExp(`^[!-~](?:[ -~]{0,${NAME_MAX - 2}}[!-~])?$`)
export const PLAIN_EMAIL = /^[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/

export function checkName(text: string): { ok: true; name: string } | { ok: false; reason: string } {
  if (PLAIN_NAME.test(text)) return { ok: true, name: text }
  const name = userName.safeParse(text)
  return name.success ? { ok: true, name: name.data } : { ok: false, reason: firstIssue(name.error) }
}

export function checkEmail(text: string): { ok: true; email: string } | { ok: false; reason: string } {
  if (text.length <= EMAIL_MAX && PLAIN_EMAIL.test(text)) return { ok: true, email: text.toLowerCase() }
  const email = userEmail.safeParse(text)
  return email.success ? { ok: true, email: email.data } : { ok: false, reason: firstIssue(email.error) }
}

/**
 * Ids for a batch of users, UUIDv7 (RFC 9562): the time in ms, then a counter, then random bits. In time order, so
 * a batch's ids go to the end of the primary key's index instead of a page each (random v4 ids made an import's
 * index writes, and their WAL, about half its time on PostgreSQL).
 */
function timeOrderedIds(count: number): string[] {
  const random = getRandomValues(new Uint8Array(count * 8))
  const now = Date.now()
  const ids: string[] = []
  for (let i = 0; i < count; i++) {
    const ms = now + Math.floor(i / 4096)
    const time = ms.toString(16).padStart(12, '0')
    const counter = (0x7000 | (i % 4096)).toString(16)
    const r = random.subarray(i * 8, i * 8 + 8)
    const variant = ((0x80 | (r[0]! & 0x3f)) * 256 + r[1]!).toString(16)
    const rest = Buffer.from(r.subarray(2)).toString('hex')
    ids.push(`${time.slice(0, 8)}-${time.slice(8)}-${counter}-${variant}-${rest}`)
  }
  return ids
}

/** The rows of one transaction, and the lines they cover: its invalid ones counted, its problems in line order. */
interface Batch {
  rows: Row[]
  invalid: number
  problems: ImportProblem[]
  /** The last line read into it. */
  lines: number
}
const emptyBatch = (lines: number): Batch => ({ rows: [], invalid: 0, problems: [], lines })

/**
 * The import's events; cleaned up (its process's count of running imports, its row marked cancelled when it did
 * not end) however it stops: finished, failed, or closed by its reader, also before it started.
 */
function run(database: Database, file: File, start: UserImport, door: Door, signal: AbortSignal): AsyncIterableIterator<ImportEvent> {
  let settled: Promise<void> | undefined
  const state = { ...start }
  const outcome: { ended?: 'done' | 'cancelled' | 'failed' } = {}
  const end = async (status: 'done' | 'cancelled' | 'failed') => {
    outcome.ended = status
    const [row] = await database.db
      .update(userImports)
      .set({ status, updatedAt: sql`now()` })
      .where(and(eq(userImports.id, state.id), eq(userImports.lines, state.lines), eq(userImports.status, 'running')))
      .returning()
    return row
  }
  const cleanup = () =>
    (settled ??= (async () => {
      running--
      if (!outcome.ended) await end('cancelled').catch((error: unknown) => console.error('[import] could not record a cancelled import:', error))
    })())
  const events = runEvents(database, file, state, door, signal, end)
  return {
    [Symbol.asyncIterator]() {
      return this
    },
    async next() {
      try {
        const next = await events.next()
        if (next.done) await cleanup()
        return next
      } catch (error) {
        await cleanup()
        throw error
      }
    },
    async return() {
      try {
        return await events.return(undefined)
      } finally {
        await cleanup()
      }
    },
    async throw(error: unknown) {
      try {
        return await events.throw(error)
      } finally {
        await cleanup()
      }
    },
  }
}

async function* runEvents(
  database: Database,
  file: File,
  state: UserImport,
  door: Door,
  signal: AbortSignal,
  end: (status: 'done' | 'cancelled' | 'failed') => Promise<UserImport | undefined>,
): AsyncGenerator<ImportEvent> {
  const resumeAfter = state.lines
  const parser = new CsvParser()
  let columns: Columns | undefined
  // Batches read whole and waiting to be stored (at most a chunk's worth), and the one being filled.
  const sealed: Batch[] = []
  let current = emptyBatch(resumeAfter)
  let bytes = 0
  let cancelled = false

  const read = (record: CsvRecord) => {
    if (!columns) {
      columns = ('fields' in record && headerOf(record.fields)) || DEFAULT_COLUMNS
      if (columns !== DEFAULT_COLUMNS) return
    }
    // Resumed: lines stored by an earlier run of this import are read again, and left.
    if (record.line <= resumeAfter) return
    current.lines = record.line
    const row = rowOf(record, columns)
    if (typeof row === 'string') {
      current.invalid++
      if (current.problems.length < IMPORT_PROBLEMS_KEPT) current.problems.push({ line: record.line, reason: row })
    } else if (current.rows.push(row) === IMPORT_BATCH) {
      sealed.push(current)
      current = emptyBatch(current.lines)
    }
  }
  const event = (): ImportEvent => ({ type: 'progress', id: state.id, lines: state.lines, stored: state.stored, taken: state.taken, invalid: state.invalid, bytes, size: file.size })

  // One batch is stored while the file is read and checked further: PostgreSQL works while JavaScript parses.
  let storing: Promise<boolean> | undefined
  try {
    // At once: the caller learns the import's id (to cancel it) before the first batch.
    yield event()
    const stored = async () => {
      const cancel = await storing!
      storing = undefined
      return cancel || signal.aborted
    }
    reading: for await (const chunk of chunksOf(file)) {
      bytes += chunk.byteLength
      for (const record of parser.push(chunk)) read(record)
      for (let batch = sealed.shift(); batch; batch = sealed.shift()) {
        if (storing) {
          cancelled = await stored()
          yield event()
          if (cancelled) break reading
        }
        storing = storeBatch(database, state, batch, door)
        // Awaited before anything else is stored, or in `catch`: never left unhandled.
        storing.catch(() => {})
      }
    }
    if (storing) {
      cancelled = await stored()
      yield event()
    }
    if (!cancelled) {
      for (const record of parser.end()) read(record)
      for (const batch of [...sealed, current]) await storeBatch(database, state, batch, door)
    }
    const row = await end(cancelled ? 'cancelled' : 'done')
    if (!row) throw new TakenOver(`The import ${state.id} was taken over by a retry with its Idempotency-Key.`)
    yield summaryOf(row, false)
  } catch (error) {
    await storing?.catch(() => {})
    if (!(error instanceof TakenOver)) await end('failed').catch(() => {})
    throw error
  }
}

/** A record as a user to add, or why it is not one. */
function rowOf(record: CsvRecord, columns: Columns): Row | string {
  if ('error' in record) return record.error
  const { fields } = record
  if (columns.exact && fields.length > 2 && fields.slice(2).some((field) => field.trim() !== '')) return `${fields.length} columns; expected a name and an email`
  const name = checkName(fields[columns.name] ?? '')
  if (!name.ok) return name.reason
  const text = columns.email === undefined ? '' : (fields[columns.email] ?? '').trim()
  if (text === '') return { line: record.line, name: name.name, email: null }
  const email = checkEmail(text)
  if (!email.ok) return email.reason
  return { line: record.line, name: name.name, email: email.email }
}

/**
 * One batch: its users inserted (a taken email skips its row, reported) and the import's counts, in one
 * transaction. Only if the import's row still says what this run last stored: a run that lost its claim (another
 * took it over after it stalled) stores nothing. True when a cancel was asked for.
 */
async function storeBatch(database: Database, state: UserImport, batch: Batch, door: Door): Promise<boolean> {
  return database.db.transaction(async (tx) => {
    const problems = [...batch.problems]
    let stored = 0
    let taken = 0
    if (batch.rows.length > 0) {
      const inserted = (await tx.execute(sql`
        insert into users (id, name, email, door)
        select id, name, email, ${door}
        from unnest(${sql.param(timeOrderedIds(batch.rows.length))}::uuid[], ${sql.param(batch.rows.map((row) => row.name))}::text[], ${sql.param(batch.rows.map((row) => row.email))}::text[]) as batch(id, name, email)
        on conflict do nothing
        returning email`)) as { rows: { email: string | null }[] }
      // Which rows got in: each email returned once per row it added (emails are stored lower-case, as checked).
      const added = new Map<string, number>()
      for (const { email } of inserted.rows) if (email !== null) added.set(email, (added.get(email) ?? 0) + 1)
      stored = inserted.rows.length
      for (const row of batch.rows) {
        if (row.email === null) continue
        const left = added.get(row.email) ?? 0
        if (left > 0) added.set(row.email, left - 1)
        else {
          taken++
          problems.push({ line: row.line, reason: `the email ${row.email} is taken` })
        }
      }
    }
    const kept = state.problems.length < IMPORT_PROBLEMS_KEPT ? [...state.problems, ...problems.sort((a, b) => a.line - b.line)].slice(0, IMPORT_PROBLEMS_KEPT) : state.problems
    const [after] = await tx
      .update(userImports)
      .set({
        lines: batch.lines,
        stored: sql`${userImports.stored} + ${stored}`,
        taken: sql`${userImports.taken} + ${taken}`,
        invalid: sql`${userImports.invalid} + ${batch.invalid}`,
        problems: kept,
        updatedAt: sql`now()`,
      })
      .where(and(eq(userImports.id, state.id), eq(userImports.lines, state.lines), eq(userImports.status, 'running')))
      .returning()
    // Another run took this import over: this batch is rolled back, and this run ends.
    if (!after) throw new TakenOver(`The import ${state.id} was taken over by a retry with its Idempotency-Key.`)
    Object.assign(state, after)
    return after.cancelRequested
  })
}

/** Asks a running import to stop after its current batch; whichever instance runs it reads this. Its summary now. */
export async function cancelImport(database: Database, id: string): Promise<UserImport | undefined> {
  const [row] = await database.db
    .update(userImports)
    .set({ cancelRequested: sql`${userImports.status} = 'running'` })
    .where(eq(userImports.id, id))
    .returning()
  return row
}
