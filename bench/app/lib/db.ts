import { PGlite, types } from '@electric-sql/pglite'
import { Pool } from 'pg'
// The User Directory's PGlite as it runs there: each query with parameters in one trip into the backend.
import { pipelineQueries } from '../../../apps/web/server/db/pglite-pipeline'

// The insert every variant shares, so that only the request handling differs between them. One database per
// server start: PostgreSQL through a `pg` pool, or PGlite in this process when BENCH_DB=pglite.

export interface BenchUser {
  id: string
  name: string
  email: string | null
  created_at: Date
}

export interface NewUser {
  name: string
  email?: string | undefined
}

interface Database {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>
}

const SCHEMA = `
  create table if not exists bench_users (
    id bigint generated always as identity primary key,
    name text not null,
    email text,
    created_at timestamptz not null default now()
  );
  -- Emptied every round anyway: an autovacuum kicking in mid-round would only add noise.
  alter table bench_users set (autovacuum_enabled = false);`

async function openPostgres(): Promise<Database> {
  const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/actionroute_bench'
  const pool = new Pool({ connectionString: url, max: 10 })
  await pool.query(SCHEMA)
  return pool
}

async function openPglite(): Promise<Database> {
  const dataDir = process.env.BENCH_PGLITE_DIR
  if (!dataDir) throw new Error('BENCH_DB=pglite needs BENCH_PGLITE_DIR, the data directory (bench/peers.mjs makes a fresh one).')
  // int8 as text, as `pg` answers it, so both databases give the same JSON; shared_buffers as the User Directory
  // sets it (apps/web/server/db/client.ts), whose data directory peers.mjs has created in another process, as it does.
  const db = await PGlite.create(dataDir, {
    parsers: { [types.INT8]: (value: string) => value },
    startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'],
  })
  // BENCH_PGLITE_PIPELINE=0: PGlite.query as it comes, to measure what the pipeline buys.
  if (process.env.BENCH_PGLITE_PIPELINE !== '0') pipelineQueries(db)
  await db.exec(SCHEMA)
  return db
}

// One database for the whole server, even if the bundler gives each route its own copy of this module.
const shared = globalThis as typeof globalThis & { benchDatabase?: Promise<Database> }

/** The server's database, opened on first use; a failed open is tried again on the next call. */
export function database(): Promise<Database> {
  shared.benchDatabase ??= (process.env.BENCH_DB === 'pglite' ? openPglite() : openPostgres()).catch((error: unknown) => {
    shared.benchDatabase = undefined
    throw error
  })
  return shared.benchDatabase
}

export async function insertUser(input: NewUser): Promise<BenchUser> {
  const db = await database()
  const { rows } = await db.query('insert into bench_users (name, email) values ($1, $2) returning *', [input.name, input.email ?? null])
  return rows[0] as BenchUser
}

/** The row count, for the benchmark's check that every 2xx stored one row. */
export async function countUsers(): Promise<number> {
  const db = await database()
  const { rows } = await db.query('select count(*)::int as n from bench_users')
  return (rows[0] as { n: number }).n
}

export async function deleteUsers(): Promise<void> {
  const db = await database()
  await db.query('truncate bench_users restart identity')
}
