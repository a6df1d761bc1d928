import { existsSync } from 'node:fs'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres'
import { migrate as migratePostgres } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import { lockDataDir } from './lock'
import * as schema from './schema'

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>

export interface Database {
  db: Db
  /** Plain SQL with parameters, for libraries that take pg's `query(text, params)` (actionroute's postgresStore). */
  query(text: string, params: unknown[]): Promise<{ rows: unknown[] }>
  kind: 'pglite' | 'postgres'
  /** Where the data lives, for logs: a directory or a URL without its password. */
  location: string
  close(): Promise<void>
}

export interface DatabaseConfig {
  /** PostgreSQL connection string; when absent, PGlite in `dataDir`. */
  databaseUrl?: string
  /** PGlite data directory, or `memory://` for a throw-away database. */
  dataDir: string
  poolMax?: number
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const poolMax = env.DATABASE_POOL_MAX ? Number(env.DATABASE_POOL_MAX) : undefined
  if (poolMax !== undefined && !(Number.isInteger(poolMax) && poolMax > 0)) {
    throw new Error(`DATABASE_POOL_MAX must be a whole number above 0, not "${env.DATABASE_POOL_MAX}".`)
  }
  return {
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
    dataDir: path.resolve(/*turbopackIgnore: true*/ env.DATA_DIR || '.data'),
    ...(poolMax ? { poolMax } : {}),
  }
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
  return {
    db: drizzlePostgres({ client: pool, schema }),
    query: (text, params) => pool.query(text, params),
    kind: 'postgres',
    location: location.href,
    close: () => pool.end(),
  }
}

async function openPglite(dataDir: string): Promise<Database> {
  const inMemory = dataDir.startsWith('memory://')
  const release = inMemory ? () => {} : lockDataDir(dataDir)
  try {
    const client = await PGlite.create(inMemory ? dataDir : path.join(dataDir, 'pglite'))
    const db = drizzlePglite({ client, schema })
    await migratePglite(db, { migrationsFolder: migrationsFolder() })
    const close = async () => {
      await client.close()
      release()
    }
    return { db, query: (text, params) => client.query(text, params), kind: 'pglite', location: dataDir, close }
  } catch (error) {
    release()
    throw error
  }
}

/** Opens the database and brings its schema up to date. */
export function openDatabase(config: DatabaseConfig): Promise<Database> {
  return config.databaseUrl ? openPostgres(config.databaseUrl, config.poolMax) : openPglite(config.dataDir)
}

// One database per process, kept on globalThis so module reloads in dev don't open a second PGlite.
const holder = globalThis as { [key: symbol]: Promise<Database> | undefined }
const KEY = Symbol.for('userdirectory.database')

/** The process's database, opened (and migrated) on first use. A failed open is retried on the next call. */
export function database(): Promise<Database> {
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
  holder[KEY] = Promise.resolve(database)
}

export async function closeDatabase(): Promise<void> {
  const open = holder[KEY]
  holder[KEY] = undefined
  if (open) await (await open).close()
}
