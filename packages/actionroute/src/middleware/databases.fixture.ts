import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { onTestFinished } from 'vitest'
import type { Queryable } from './rate-limit'

export interface TestDatabase {
  name: 'PGlite' | 'PostgreSQL'
  /** PostgreSQL without TEST_DATABASE_URL: skipped, with a printed reason (a failure under REQUIRE_POSTGRES=1). */
  skip: boolean
  /** A database holding `table` (created fresh from `createSql`), dropped and closed when the test that opened it ends. */
  open(): Promise<Queryable>
}

/** The two databases a PostgreSQL store must work on: in-memory PGlite, and PostgreSQL at TEST_DATABASE_URL. */
export function testDatabases(store: string, table: string, createSql: string): TestDatabase[] {
  const url = process.env.TEST_DATABASE_URL
  if (!url) {
    if (process.env.REQUIRE_POSTGRES === '1') throw new Error(`REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set: ${store} cannot be tested.`)
    console.warn(`SKIPPING ${store} on PostgreSQL: TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/postgres).`)
  }
  /** Registers the database's clean-up with the running test, and hands the database on. */
  const closedAfterTest = (db: Queryable, close: () => Promise<unknown>) => (onTestFinished(async () => void (await close())), db)
  return [
    {
      name: 'PGlite',
      skip: false,
      open: async () => {
        const db = new PGlite()
        await db.query(createSql, [])
        return closedAfterTest(db, () => db.close())
      },
    },
    {
      name: 'PostgreSQL',
      skip: !url,
      open: async () => {
        const pool = new pg.Pool({ connectionString: url, max: 10 })
        await pool.query(`drop table if exists ${table}`)
        await pool.query(createSql, [])
        return closedAfterTest(pool, async () => (await pool.query(`drop table if exists ${table}`), await pool.end()))
      },
    },
  ]
}
