import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import v8 from 'node:v8'
import { promisify } from 'node:util'
import { PGlite } from '@electric-sql/pglite'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres'
import { migrate as migratePostgres } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import { env, type Env, type MemoryMode } from '../env'
import { lockDataDir } from './lock'
import { pipelineQueries } from './pglite-pipeline'
import * as schema from './schema'

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>

export interface Database {
  db: Db
  /** Plain SQL with parameters, for libraries that take pg's `query(text, params)` (actionroute's postgresStore). */
  query(text: string, params: unknown[]): Promise<{ rows: unknown[] }>
  kind: 'pglite' | 'postgres'
  /** Where the data lives, for logs: a directory or a URL without its password. */
  location: string
  /**
   * PGlite only: the directory for files kept beside the database (avatars), `DATA_DIR/files`; a temporary one
   * for `memory://`, removed on close. Undefined with PostgreSQL, which keeps them in tables for every instance.
   */
  filesDir: string | undefined
  /**
   * Calls `onPayload` with the payload of each NOTIFY on `channel` once its transaction commits, from any instance
   * (PostgreSQL: on a connection of its own, opened again after it drops, `onReconnect` told then, since what was
   * sent meanwhile is lost). Resolves once listening, with the function that stops it; `close()` stops them all.
   */
  listen(channel: string, onPayload: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>>
  close(): Promise<void>
}

export interface DatabaseConfig {
  /** PostgreSQL connection string; when absent, PGlite in `dataDir`. */
  databaseUrl?: string
  /** PGlite data directory, or `memory://` for a throw-away database. */
  dataDir: string
  poolMax?: number
  /** PGlite's `shared_buffers` (PostgreSQL's page cache, e.g. `16MB`): see PGLITE_SHARED_BUFFERS in the README. */
  sharedBuffers?: string
  /** `lean`: PGlite's WebAssembly compiled by V8's baseline compiler only (see `leanWasm`). Default `fast`. */
  memoryMode?: MemoryMode
}

/** Where the database is, from the environment (`server/env.ts`). */
export function configFromEnv({ databaseUrl, dataDir, poolMax, sharedBuffers, memoryMode }: Env = env()): DatabaseConfig {
  return { ...(databaseUrl ? { databaseUrl } : {}), dataDir, ...(poolMax ? { poolMax } : {}), ...(sharedBuffers ? { sharedBuffers } : {}), memoryMode }
}

/** The committed drizzle-kit migrations: `apps/web/drizzle`, found from the app or the repository root. */
export function migrationsFolder(): string {
  const candidates = [
    process.env.MIGRATIONS_DIR,
    path.resolve(/*turbopackIgnore: true*/ 'drizzle'),
    path.resolve(/*turbopackIgnore: true*/ 'apps/web/drizzle'),
  ]
  const found = candidates.find((dir) => dir && existsSync(path.join(dir, 'meta/_journal.json')))
  if (!found) throw new Error(`No migrations found (looked in ${candidates.filter(Boolean).join(', ')}); set MIGRATIONS_DIR.`)
  return found
}

// Serializes migrations when several app instances start at once against one PostgreSQL.
const MIGRATION_LOCK_ID = 727_274_001

async function openPostgres(url: string, poolMax = 10): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolMax })
  // An idle connection dropped by the server must not crash the process; the pool replaces it.
  pool.on('error', (error) => console.error('[db] idle PostgreSQL connection failed:', error.message))
  try {
    const client = await pool.connect()
    try {
      await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID])
      await migratePostgres(drizzlePostgres({ client, schema }), { migrationsFolder: migrationsFolder() })
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => {})
      client.release()
    }
  } catch (error) {
    await pool.end()
    throw error
  }
  const location = new URL(url)
  location.password = ''
  const listeners = new Set<() => Promise<void>>()
  return {
    db: drizzlePostgres({ client: pool, schema }),
    query: (text, params) => pool.query(text, params),
    kind: 'postgres',
    filesDir: undefined,
    location: location.href,
    async listen(channel, onPayload, onReconnect) {
      const stop = await listenOn(url, channel, onPayload, onReconnect)
      const stopOnce = async () => {
        listeners.delete(stopOnce)
        await stop()
      }
      listeners.add(stopOnce)
      return stopOnce
    },
    close: async () => {
      await Promise.all([...listeners].map((stop) => stop()))
      await pool.end()
    },
  }
}

/** Double-quoted, for a channel name in LISTEN (it takes no parameters). */
const identifier = (name: string) => `"${name.replaceAll('"', '""')}"`

/**
 * LISTENs on `channel` on a connection of its own (a pooled one would be handed to queries), and opens it again
 * when it drops: after 0.5 s, doubling up to 30 s while it keeps failing.
 */
async function listenOn(url: string, channel: string, onPayload: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>> {
  let stopped = false
  let current: pg.Client | undefined
  let retry: ReturnType<typeof setTimeout> | undefined
  const connect = async () => {
    const client = new pg.Client({ connectionString: url })
    client.on('notification', (message) => {
      if (message.channel === channel) onPayload(message.payload ?? '')
    })
    let dropped = false
    const drop = (delay: number) => {
      if (dropped) return
      dropped = true
      client.end().catch(() => {})
      if (!stopped) retry = setTimeout(() => void reconnect(delay), delay)
    }
    client.on('error', (error) => {
      console.error(`[db] the LISTEN connection for ${channel} failed: ${error.message}; opening it again`)
      drop(500)
    })
    client.on('end', () => drop(500))
    await client.connect()
    await client.query(`LISTEN ${identifier(channel)}`)
    current = client
  }
  const reconnect = async (delay: number) => {
    try {
      await connect()
      onReconnect?.()
    } catch (error) {
      console.error(`[db] could not LISTEN on ${channel} again: ${(error as Error).message}`)
      if (!stopped) retry = setTimeout(() => void reconnect(Math.min(delay * 2, 30_000)), delay * 2)
    }
  }
  await connect()
  return async () => {
    stopped = true
    clearTimeout(retry)
    await current?.end().catch(() => {})
  }
}

/**
 * PostgreSQL's page cache in PGlite. PostgreSQL's default, 128MB, is written over at start, so it all counts in
 * the server's memory; 16MB keeps the whole database of a directory app in cache and costs ~130 MB less
 * (`npm run bench:memory` measures both).
 */
export const PGLITE_SHARED_BUFFERS = '16MB'

/**
 * Creates a PGlite cluster (initdb) in a short-lived child process. Done in the server itself, initdb leaves
 * some 500 MB in the process that it never gives back; in a child, the server opens a ready directory.
 */
async function initPgliteDir(pgdata: string): Promise<void> {
  if (existsSync(path.join(pgdata, 'PG_VERSION'))) return
  // Into a directory beside it, renamed when complete: an initdb cut short (kill -9) leaves nothing half made.
  const partial = `${pgdata}.partial`
  rmSync(partial, { recursive: true, force: true })
  const script = `import { PGlite } from '@electric-sql/pglite'; await (await PGlite.create(process.argv[1])).close()`
  try {
    // Resolved from the working directory, the app, whose node_modules hold PGlite (a serverExternalPackage).
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, partial], { timeout: 120_000 })
  } catch (error) {
    const { stderr } = error as { stderr?: string }
    throw new Error(`Could not create the PGlite database in ${pgdata}: ${stderr?.trim() || (error as Error).message}`, { cause: error })
  }
  renameSync(partial, pgdata)
}

/**
 * MEMORY_MODE=lean: PGlite's WebAssembly (PostgreSQL, 9 MB of it) compiled by V8's baseline compiler, Liftoff, only.
 * By default V8 also compiles its hot functions again with TurboFan and keeps both: about 50 MB more once the
 * server has served a few thousand queries, for inserts about 5 % faster and a scan of 50,000 rows about 30 %
 * faster (measured on PGlite alone; `npm run bench:memory` measures the whole server). V8 reads the flag when it
 * compiles a module, so it must be set before the first PGlite starts; it holds for the whole process.
 */
function leanWasm(): void {
  v8.setFlagsFromString('--liftoff-only')
}

async function openPglite(dataDir: string, sharedBuffers = PGLITE_SHARED_BUFFERS, memoryMode: MemoryMode = 'fast'): Promise<Database> {
  if (memoryMode === 'lean') leanWasm()
  const inMemory = dataDir.startsWith('memory://')
  const release = inMemory ? () => {} : lockDataDir(dataDir)
  try {
    const pgdata = inMemory ? dataDir : path.join(dataDir, 'pglite')
    if (!inMemory) await initPgliteDir(pgdata)
    const client = pipelineQueries(await PGlite.create(pgdata, { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffers}`] }))
    const db = drizzlePglite({ client, schema })
    await migratePglite(db, { migrationsFolder: migrationsFolder() })
    const filesDir = inMemory ? mkdtempSync(path.join(tmpdir(), 'userdirectory-files-')) : path.join(dataDir, 'files')
    mkdirSync(filesDir, { recursive: true })
    const listeners = new Set<() => Promise<void>>()
    const close = async () => {
      await Promise.all([...listeners].map((stop) => stop()))
      await client.close()
      if (inMemory) rmSync(filesDir, { recursive: true, force: true })
      release()
    }
    // One process, one session: a LISTEN issued as a query, its notifications read by the pipeline (pglite-pipeline.ts).
    const listen = async (channel: string, onPayload: (payload: string) => void) => {
      const off = client.onNotification((heard, payload) => heard === channel && onPayload(payload))
      await client.query(`LISTEN ${identifier(channel)}`)
      const stop = async () => {
        listeners.delete(stop)
        off()
        await client.query(`UNLISTEN ${identifier(channel)}`).catch(() => {})
      }
      listeners.add(stop)
      return stop
    }
    return { db, query: (text, params) => client.query(text, params), kind: 'pglite', location: dataDir, filesDir, listen, close }
  } catch (error) {
    release()
    throw error
  }
}

/** Opens the database and brings its schema up to date. */
export function openDatabase(config: DatabaseConfig): Promise<Database> {
  return config.databaseUrl ? openPostgres(config.databaseUrl, config.poolMax) : openPglite(config.dataDir, config.sharedBuffers, config.memoryMode)
}

// One database per process, kept on globalThis so module reloads in dev don't open a second PGlite.
const holder = globalThis as { [key: symbol]: Promise<Database> | undefined }
const KEY = Symbol.for('userdirectory.database')

const CLOSED = Symbol.for('userdirectory.databaseClosed')
const closedFlag = globalThis as { [CLOSED]?: boolean }

/** What a call asking for the database after shutdown closed it gets (requests see a 503: db/for-requests.ts). */
export class DatabaseClosedError extends Error {
  override readonly name = 'DatabaseClosedError'
  constructor() {
    super('The database was closed: the server is shutting down.')
  }
}

/**
 * The process's database, opened (and migrated) on first use. A failed open is retried on the next call.
 * Once `closeDatabase()` has run (shutdown), it is never opened again: a handler that runs past the cut gets a
 * DatabaseClosedError, rather than reopening the database (and retaking PGlite's lock) in a process about to exit.
 */
export function database(): Promise<Database> {
  if (closedFlag[CLOSED]) return Promise.reject(new DatabaseClosedError())
  const opening = holder[KEY] ?? openDatabase(configFromEnv())
  if (!holder[KEY]) {
    holder[KEY] = opening
    opening.catch(() => {
      if (holder[KEY] === opening) holder[KEY] = undefined
    })
  }
  return opening
}

export async function db(): Promise<Db> {
  return (await database()).db
}

/** Installs an already-open database as the process's database (tests). */
export function useDatabase(database: Database): void {
  closedFlag[CLOSED] = false
  holder[KEY] = Promise.resolve(database)
}

/** Closes the process's database for good (shutdown): `database()` rejects with DatabaseClosedError from now on. */
export async function closeDatabase(): Promise<void> {
  const open = holder[KEY]
  closedFlag[CLOSED] = true
  holder[KEY] = undefined
  if (open) await (await open).close()
}
