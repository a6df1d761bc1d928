import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, beforeEach } from 'vitest'
import { closeDatabase, openDatabase, useDatabase, type Database } from '@/server/db/client'
import { users } from '@/server/db/schema'

/** The backend this test project runs on: set per project in vitest.config.ts. */
export const backend = process.env.TEST_DB === 'postgres' ? 'postgres' : 'pglite'

async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.TEST_DATABASE_URL
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is not set')
  const name = `userdirectory_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.href,
    async drop() {
      const admin = new pg.Client({ connectionString: adminUrl })
      await admin.connect()
      await admin.query(`drop database if exists ${name} with (force)`)
      await admin.end()
    },
  }
}

/**
 * Gives the test file its own, freshly migrated database — in-memory PGlite, or a new PostgreSQL
 * database that is dropped afterwards — installed as the app's database, emptied before each test.
 */
export function setupTestDatabase(): () => Database {
  let database: Database | undefined
  let drop = async () => {}
  beforeAll(async () => {
    if (backend === 'postgres') {
      const created = await createPostgresDatabase()
      drop = created.drop
      database = await openDatabase({ databaseUrl: created.url, dataDir: '', poolMax: 4 })
    } else {
      database = await openDatabase({ dataDir: 'memory://' })
    }
    useDatabase(database)
  })
  beforeEach(async () => {
    await database!.db.delete(users)
  })
  afterAll(async () => {
    await closeDatabase()
    await drop()
  })
  return () => database!
}
