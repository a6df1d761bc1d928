import { Pool } from 'pg'

// The insert both route variants share, so that only the request handling differs between them.

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

const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/actionroute_bench'

// One pool for the whole server, even if the bundler gives each route its own copy of this module.
const shared = globalThis as typeof globalThis & { benchPool?: Pool }
const pool = (shared.benchPool ??= new Pool({ connectionString: databaseUrl, max: 10 }))

export async function insertUser(input: NewUser): Promise<BenchUser> {
  const { rows } = await pool.query<BenchUser>('insert into bench_users (name, email) values ($1, $2) returning *', [
    input.name,
    input.email ?? null,
  ])
  return rows[0]!
}
