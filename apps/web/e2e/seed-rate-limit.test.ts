import { afterAll, beforeAll, expect, it } from 'vitest'
import { requestJson, type ApiUser } from './api'
import { seed } from './seed'
import { startServer, type Server } from './server'

// `npm run seed` past the app's write limit: the typed client waits as long as the 429's Retry-After says
// (up to the limit's 60 s window, so this file is in the slow run), says so, and every user is added.

const LIMIT = 5
const COUNT = 7
let server: Server
beforeAll(async () => {
  server = await startServer({ env: { RATE_LIMIT_WRITES: String(LIMIT) } })
})
afterAll(async () => {
  await server?.stop()
})

it(`adds all ${COUNT} users at ${LIMIT} writes a minute, saying when it waits`, { timeout: 150_000 }, async () => {
  const run = await seed(COUNT, server.url)
  expect(run.status, run.output).toBe(0)
  // Not a terminal here: one plain line per wait.
  expect(run.output).toMatch(new RegExp(`^${LIMIT}/${COUNT} — rate limited, waiting ([1-9]|[1-5][0-9]|60) s$`, 'm'))
  expect(run.output).toMatch(new RegExp(`: ${COUNT} added, 0 already there \\(email taken\\), 0 failed\\.`))
  const { body } = await requestJson<{ users: ApiUser[] }>(`${server.url}/api/users?limit=100`)
  expect(body.users).toHaveLength(COUNT)
})
