import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requestJson, type ApiUser } from './api'
import { appDir } from './paths'
import { startServer, type Server } from './server'

// `npm run seed`: actionroute's typed client against the running production build, over real HTTP.

let server: Server
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server?.stop())

const tsx = createRequire(import.meta.url).resolve('tsx/cli')
function seed(count: number, url = server.url) {
  const run = spawnSync(process.execPath, [tsx, 'scripts/seed.ts'], { cwd: appDir, env: { ...process.env, SEED_URL: url, SEED_COUNT: String(count) }, encoding: 'utf8' })
  return { status: run.status, output: `${run.stdout}${run.stderr}` }
}
const stored = async () => (await requestJson<{ users: ApiUser[] }>(`${server.url}/api/users?limit=100`)).body.users

describe('npm run seed', () => {
  it('adds the demo users through the typed client and reports what it did', async () => {
    const first = seed(30)
    expect(first.status).toBe(0)
    expect(first.output).toMatch(/: 30 added, 0 already there \(email taken\), 0 failed\./)
    const users = await stored()
    expect(users).toHaveLength(30)
    expect(users.every((user) => user.door === 'route')).toBe(true)
  })

  it('is safe to run again: taken emails are counted, nothing is added twice', async () => {
    const again = seed(30)
    expect(again.status).toBe(0)
    expect(again.output).toMatch(/: 0 added, 30 already there \(email taken\), 0 failed\./)
    expect(await stored()).toHaveLength(30)
  })

  it('says what to do when the app is not running', () => {
    const down = seed(1, 'http://127.0.0.1:9')
    expect(down.status).toBe(1)
    expect(down.output).toContain('No answer from http://127.0.0.1:9: start the app first (npm start), or set SEED_URL.')
  })
})
