import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requestJson, type ApiUser } from './api'
import { freshPostgresDatabase, postgresRequired, testDatabaseUrl, warnIfNoPostgres } from './postgres'
import { seed } from './seed'
import { startServer, type Server } from './server'

// `npm run seed`: actionroute's typed client against the running production build, over real HTTP, on
// PGlite and on PostgreSQL.

warnIfNoPostgres('npm run seed on PostgreSQL')

const databases = [
  { name: 'PGlite', skip: false, env: async () => ({ env: {}, drop: async () => {} }) },
  {
    name: 'PostgreSQL',
    skip: !testDatabaseUrl && !postgresRequired,
    env: async () => {
      if (!testDatabaseUrl) throw new Error('REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set.')
      const database = await freshPostgresDatabase('seed')
      return { env: { DATABASE_URL: database.url }, drop: database.drop }
    },
  },
]

describe.each(databases)('npm run seed on $name', ({ skip, env }) => {
  let server: Server
  let drop = async () => {}
  beforeAll(async () => {
    if (skip) return
    const database = await env()
    drop = database.drop
    server = await startServer({ env: database.env })
  })
  afterAll(async () => {
    await server?.stop()
    await drop()
  })
  const stored = async () => (await requestJson<{ users: ApiUser[] }>(`${server.url}/api/users?limit=100`)).body.users

  it.skipIf(skip)('adds the demo users through the typed client and reports what it did', async () => {
    const first = await seed(30, server.url)
    expect(first.status).toBe(0)
    expect(first.output).toMatch(/: 30 added, 0 already there \(email taken\), 0 failed\./)
    const users = await stored()
    expect(users).toHaveLength(30)
    expect(users.every((user) => user.door === 'route')).toBe(true)
  })

  it.skipIf(skip)('is safe to run again: taken emails are counted, nothing is added twice', async () => {
    const again = await seed(30, server.url)
    expect(again.status).toBe(0)
    expect(again.output).toMatch(/: 0 added, 30 already there \(email taken\), 0 failed\./)
    expect(await stored()).toHaveLength(30)
  })
})

describe('npm run seed', () => {
  it('says what to do when the app is not running', async () => {
    const down = await seed(1, 'http://127.0.0.1:9')
    expect(down.status).toBe(1)
    expect(down.output).toContain('No answer from http://127.0.0.1:9: start the app first (npm start), or set SEED_URL.')
  })
})
