import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requestJson, seedUser, type ApiUser } from './api'
import { launchBrowser } from './browser'
import { makeDataDir, startServer, startServerExpectingExit, type Server, type ServerOptions } from './server'
import { addUser, eventually, linesOf, rows, pagesFor } from './ui'

// The PGlite data directory across server restarts, crashes, and a second server pointed at it.

const LOCK_FILE = 'userdirectory.lock'

let browser: Browser
const started: Server[] = []

beforeAll(async () => {
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await Promise.allSettled(started.map((server) => server.stop('SIGKILL')))
})

const open = pagesFor(() => browser)

async function start(options: ServerOptions): Promise<Server> {
  const server = await startServer(options)
  started.push(server)
  return server
}

const lockOwner = (dataDir: string) => (JSON.parse(readFileSync(path.join(dataDir, LOCK_FILE), 'utf8')) as { pid: number }).pid

describe('the data directory', () => {
  it('keeps users across a graceful restart (SIGTERM), and the lock is released on the way out', async () => {
    const dataDir = makeDataDir()
    const first = await start({ dataDir })
    const { page, context } = await open(first.url)
    const form = await addUser(page, 'Server Action', { name: 'Kept Person', email: 'kept.person@example.com' })
    await eventually(() => linesOf(form.status), 'Server Action status').toContain('User Kept Person added via server action')
    await context.close() // its idle keep-alive connections would hold up the graceful shutdown by seconds

    const exit = await first.stop('SIGTERM')
    expect(existsSync(path.join(dataDir, LOCK_FILE)), `lock file after SIGTERM (server ${JSON.stringify(exit)}):\n${first.output()}`).toBe(false)

    const second = await start({ dataDir })
    const { page: after } = await open(second.url)
    expect((await rows(after)).filter((row) => row.name === 'Kept Person'), 'after the restart').toMatchObject([
      { email: 'kept.person@example.com', via: 'server action' },
    ])
    await after.context().close()
    await second.stop('SIGTERM')
  })

  it('after kill -9, a new server takes over the stale lock and has everything that was acknowledged', async () => {
    const dataDir = makeDataDir()
    const doomed = await start({ dataDir })
    // Acknowledged by both doors: a 201 from the API, the success message from the Server Action.
    const viaApi = await seedUser(doomed.url, { name: 'Acked Via Api' })
    const { page, context } = await open(doomed.url)
    const form = await addUser(page, 'Server Action', { name: 'Acked Via Action' })
    await eventually(() => linesOf(form.status), 'Server Action status').toContain('User Acked Via Action added via server action')

    await doomed.kill9()
    expect(lockOwner(dataDir), 'the killed server left its lock behind').toBe(doomed.pid)

    const next = await start({ dataDir })
    expect(lockOwner(dataDir), 'the new server owns the lock').toBe(next.pid)
    const fetched = await requestJson<ApiUser>(`${next.url}/api/users/${viaApi.id}`)
    expect(fetched.status, `GET /api/users/${viaApi.id} after the crash`).toBe(200)
    expect(fetched.body).toEqual(viaApi)
    await context.close()
    const { page: after } = await open(next.url)
    expect((await rows(after)).map((row) => `${row.name} (${row.via})`)).toEqual(
      expect.arrayContaining(['Acked Via Api (API route)', 'Acked Via Action (server action)']),
    )
    await after.context().close()
    await next.stop('SIGTERM')
  })

  it('refuses a second server on the same DATA_DIR at once, saying which directory and what to do', async () => {
    const holder = await start({ dataDir: makeDataDir() })
    const second = await startServerExpectingExit({ dataDir: holder.dataDir, timeoutMs: 20_000 })

    expect(second.code, `exit code of the second server; its output:\n${second.output}`).not.toBe(0)
    expect(second.code, 'it exits by itself, not by a signal').not.toBeNull()
    expect(second.ms, 'it gives up at once').toBeLessThan(15_000)
    expect(second.output).toContain(holder.dataDir)
    expect(second.output).toContain('DATA_DIR')
    expect(second.output).toContain(`pid ${holder.pid}`)

    // The first server is unaffected and still owns the directory.
    expect((await requestJson(`${holder.url}/api/users`)).status).toBe(200)
    expect(lockOwner(holder.dataDir)).toBe(holder.pid)
    await holder.stop('SIGTERM')
  })
})
