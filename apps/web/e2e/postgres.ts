import pg from 'pg'

// PostgreSQL for the e2e suite: TEST_DATABASE_URL names a server where each test creates and drops its own
// database. Without it those tests skip, with a message; with REQUIRE_POSTGRES=1 (CI) they fail instead.

export const testDatabaseUrl = process.env.TEST_DATABASE_URL
export const postgresRequired = process.env.REQUIRE_POSTGRES === '1'

/** Says, once per file, which tests skip for want of PostgreSQL. */
export function warnIfNoPostgres(what: string): void {
  if (testDatabaseUrl) return
  console.warn(`SKIPPING ${what}: TEST_DATABASE_URL is not set${postgresRequired ? ' (and REQUIRE_POSTGRES=1: it fails instead)' : ''}.`)
}

/** A database of its own on TEST_DATABASE_URL's server, dropped by the returned function. */
export async function freshPostgresDatabase(purpose: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `userdirectory_${purpose}_${process.pid}_${Date.now()}`
  const admin = new pg.Client({ connectionString: testDatabaseUrl })
  await admin.connect()
  await admin.query(`create database "${name}"`)
  await admin.end()
  const url = new URL(testDatabaseUrl!)
  url.pathname = `/${name}`
  return {
    url: url.href,
    drop: async () => {
      const client = new pg.Client({ connectionString: testDatabaseUrl })
      await client.connect()
      try {
        await client.query(`drop database if exists "${name}" with (force)`)
      } finally {
        await client.end()
      }
    },
  }
}
