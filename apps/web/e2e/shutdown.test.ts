import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import http from 'node:http'
import type net from 'node:net'
import path from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { appDir, nextEnv } from './paths'
import { freshPostgresDatabase, postgresRequired, testDatabaseUrl, warnIfNoPostgres } from './postgres'
import { freePort, makeDataDir, startServer, type Server } from './server'

// Stopping the server the way a supervisor does (docker stop, systemd, Kubernetes: SIGTERM to the
// process it started, here `npm start`) while clients keep kept-alive connections busy. Within the
// bound every process of the tree is gone, every answered write is in the database, and the PGlite
// lock is released.

const SHUTDOWN_BOUND_MS = 8_000 // scripts/server.mjs SHUTDOWN_TIMEOUT_MS: inside docker stop's 10 s
const DRAIN_TIMEOUT_MS = 5_000 // scripts/server.mjs: connections still busy then are cut
const NEXT_START_BOUND_MS = 10_000 // server/db/lifecycle.ts under `next start`: 8 s, then closing the database (≤ 2 s)
const LOAD_BEFORE_SIGNAL_MS = 2_000
const CONNECTIONS = 24
const LOCK_FILE = 'userdirectory.lock'

warnIfNoPostgres('the PostgreSQL shutdown test')

const started: Server[] = []
afterAll(async () => {
  await Promise.allSettled(started.map((server) => server.stop('SIGKILL')))
})

async function start(options: Parameters<typeof startServer>[0]): Promise<Server> {
  const server = await startServer({ command: 'npm start', ...options })
  started.push(server)
  return server
}

// ---------------------------------------------------------------------------------------------------
// Processes

/** pid → parent pid, for every process (Linux /proc). */
function parents(): Map<number, number> {
  const map = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      map.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {
      // Gone meanwhile.
    }
  }
  return map
}

/** `root` and all of its descendants. */
function processTree(root: number): number[] {
  const byParent = parents()
  const tree = [root]
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of byParent) if (ppid === tree[i]) tree.push(pid)
  return tree
}

/** Running, or a zombie nobody has collected: both still count (the port, the lock, a supervisor's wait). */
const exists = (pid: number) => existsSync(`/proc/${pid}`)
const commandOf = (pid: number) => readOr(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim(), '?')

function readOr<T>(read: () => T, fallback: T): T {
  try {
    return read()
  } catch {
    return fallback
  }
}

async function until(condition: () => boolean, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
}

/** Resolves with the ms from `since` until none of `pids` exists, or rejects after `limitMs`. */
async function allGone(pids: number[], since: number, limitMs: number): Promise<number> {
  for (;;) {
    if (!pids.some(exists)) return Date.now() - since
    if (Date.now() - since > limitMs) throw new Error(`still running ${limitMs} ms after the signal: ${pids.filter(exists).map((pid) => `${pid} (${commandOf(pid)})`).join(', ')}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

// ---------------------------------------------------------------------------------------------------
// Load: kept-alive connections, each sending POST /api/addUser one after another

interface Acked {
  id: string
  name: string
}

function startLoad(url: string, label: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS })
  const acked: Acked[] = []
  const failures = new Map<string, number>()
  let running = true
  let ackedAfterSignal = 0
  let signalledAt = Infinity

  const post = (name: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = http.request(`${url}/api/addUser`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => (body += chunk))
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
        response.on('error', reject)
      })
      request.on('error', reject)
      request.end(JSON.stringify({ name }))
    })

  async function loop(connection: number) {
    for (let n = 0; running; n++) {
      const name = `${label} ${connection}-${n}`
      try {
        const { status, body } = await post(name)
        if (status >= 200 && status < 300) {
          acked.push({ id: (JSON.parse(body) as { user: { id: string } }).user.id, name })
          if (Date.now() >= signalledAt) ackedAfterSignal++
        } else failures.set(`HTTP ${status}`, (failures.get(`HTTP ${status}`) ?? 0) + 1)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
        failures.set(code, (failures.get(code) ?? 0) + 1)
        await new Promise((resolve) => setTimeout(resolve, 20)) // refused: the server is gone
      }
    }
  }
  const loops = Promise.all(Array.from({ length: CONNECTIONS }, (_, connection) => loop(connection)))
  return {
    acked,
    failures,
    signalled: () => (signalledAt = Date.now()),
    ackedAfterSignal: () => ackedAfterSignal,
    async stop() {
      running = false
      await loops
      agent.destroy()
    },
  }
}

/** A POST whose body has not fully arrived when the signal comes: in flight, it must still be answered. */
function halfSentRequest(url: string, name: string) {
  const body = JSON.stringify({ name })
  const request = http.request(`${url}/api/addUser`, {
    method: 'POST',
    agent: new http.Agent({ keepAlive: true }),
    // 100-continue: Node's server answers "100 Continue" once it has parsed the headers, so the test knows
    // the request is in the server's hands (a busy machine can take longer than any fixed wait).
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
  })
  const answered = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
    request.on('response', (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (text += chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, connection: response.headers.connection, body: text }))
    })
    request.on('error', reject)
  })
  answered.catch(() => {})
  request.flushHeaders()
  const received = new Promise<void>((resolve) => request.once('continue', () => request.write(body.slice(0, 5), () => resolve())))
  return { received, finish: () => request.end(body.slice(5)), answered }
}

/** A kept-alive connection that answered one request and then sits idle. */
async function idleKeepAliveConnection(url: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const request = http.get(`${url}/api/users?limit=1`, { agent }, (response) => {
      response.resume()
      response.on('end', () => resolve(request.socket!))
    })
    request.on('error', reject)
  })
  let closedAt = 0
  socket.once('close', () => (closedAt = Date.now()))
  return { closedAt: () => closedAt, destroy: () => agent.destroy() }
}

// ---------------------------------------------------------------------------------------------------
// What the database holds afterwards

interface PageOfUsers {
  users: { id: string }[]
  nextCursor: string | null
}

/** Every user id, through GET /api/users page by page. */
async function idsViaApi(url: string): Promise<Set<string>> {
  const ids = new Set<string>()
  for (let cursor: string | null = '', pages = 0; cursor !== null; pages++) {
    if (pages > 1_000) throw new Error('more than 1,000 pages of users')
    const response = await fetch(`${url}/api/users?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    if (response.status !== 200) throw new Error(`GET /api/users answered ${response.status}: ${await response.text()}`)
    const page = (await response.json()) as PageOfUsers
    for (const user of page.users) ids.add(user.id)
    cursor = page.nextCursor
  }
  return ids
}

async function idsInPostgres(databaseUrl: string): Promise<Set<string>> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ id: string }>('select id from users')
    return new Set(rows.map((row) => row.id))
  } finally {
    await client.end()
  }
}


// ---------------------------------------------------------------------------------------------------

interface Outcome {
  exitMs: number
  acked: Acked[]
  ackedAfterSignal: number
  tree: string[]
  output: string
}

interface StopOptions {
  /** The server is scripts/server.mjs (npm start); otherwise plain `next start`. */
  ours?: boolean
  /** A client that sends half a request body and then nothing: only a bound ends its connection. */
  stuckClient?: boolean
}

/**
 * Puts the server under keep-alive load, sends `signal` to its top process (npm for npm start) and
 * measures how long until every process of its tree is gone. A request in flight (its body still
 * arriving, completed once the server is stopping) and an idle kept-alive connection are there when
 * the signal comes.
 */
async function stopUnderLoad(server: Server, signal: NodeJS.Signals, label: string, { ours = true, stuckClient = false }: StopOptions = {}): Promise<Outcome> {
  const bound = ours ? SHUTDOWN_BOUND_MS : NEXT_START_BOUND_MS
  const tree = processTree(server.pid)
  if (ours) expect(tree.map(commandOf), 'npm start: npm and the server it runs, nothing in between').toEqual([expect.stringMatching(/^npm start/), expect.stringMatching(/^next-server/)])
  const load = startLoad(server.url, label)
  const idle = await idleKeepAliveConnection(server.url)
  await new Promise((resolve) => setTimeout(resolve, LOAD_BEFORE_SIGNAL_MS))
  const inFlight = halfSentRequest(server.url, `${label} in flight`)
  await inFlight.received
  const stuck = stuckClient ? halfSentRequest(server.url, `${label} stuck`) : null
  await stuck?.received
  // Both requests are in flight: the server has their headers and part of their bodies.

  const signalledAt = Date.now()
  load.signalled()
  process.kill(server.pid, signal)
  // The rest of the body arrives once the server is stopping (ours says so; Next says nothing).
  void until(() => !ours || server.output().includes(`${signal}: stopping`), 5_000).then(() => setTimeout(() => inFlight.finish(), 50))
  let exitMs: number
  try {
    exitMs = await allGone(tree, signalledAt, bound + 2_000)
  } finally {
    await load.stop()
    idle.destroy()
  }
  const exited = await server.stop('SIGKILL') // already gone: only collects how it ended
  const output = server.output()

  const answer = await inFlight.answered
  expect(answer, `the request in flight at ${signal} is answered${ours ? ', with Connection: close' : ''}. Server output:\n${output}`).toMatchObject({ status: 201, ...(ours ? { connection: 'close' } : {}) })
  const inFlightUser = JSON.parse(answer.body) as { user: Acked }
  const acked = [...load.acked, { id: inFlightUser.user.id, name: inFlightUser.user.name }]

  expect(idle.closedAt(), 'the idle kept-alive connection was closed by the server').toBeGreaterThan(0)
  expect(idle.closedAt() - signalledAt, 'and at once, not when its keep-alive timeout ran out').toBeLessThan(1_000)
  expect(exitMs, `every process gone within ${bound} ms of ${signal}; server output:\n${output}`).toBeLessThanOrEqual(bound)
  expect(exited.code ?? exited.signal, 'the server exited').not.toBeNull()
  if (ours) expect(output).toMatch(/\[server\] stopped after \d+ ms/)
  if (ours && !stuckClient) expect(output, 'nothing cut: every request in flight was answered').toContain('every request answered')
  if (stuckClient) {
    expect(await stuck!.answered.then(() => 'answered', (error: NodeJS.ErrnoException) => error.code), 'the stuck request is cut, never answered').toMatch(/ECONNRESET|socket hang up/)
    const cutAt = ours ? DRAIN_TIMEOUT_MS : SHUTDOWN_BOUND_MS
    expect(exitMs, `only the bound ends a stuck client's connection (${cutAt} ms)`).toBeGreaterThanOrEqual(cutAt - 200)
    if (ours) expect(output).toContain(`cut the connections still open after ${DRAIN_TIMEOUT_MS} ms`)
  }
  expect(load.acked.length, 'the load got answers before the signal').toBeGreaterThan(20)

  console.log(
    `[shutdown] ${label}: ${signal} → all ${tree.length} processes gone in ${exitMs} ms; ` +
      `${acked.length} writes acknowledged (${load.ackedAfterSignal()} after the signal), failures after it: ${JSON.stringify(Object.fromEntries(load.failures))}`,
  )
  return { exitMs, acked, ackedAfterSignal: load.ackedAfterSignal(), tree: tree.map(commandOf), output }
}

function expectAllPresent(acked: Acked[], present: Set<string>) {
  const missing = acked.filter((user) => !present.has(user.id))
  console.log(`[shutdown] ${acked.length} acknowledged, ${missing.length} missing, ${present.size} rows in the database`)
  expect(missing, 'acknowledged (2xx) but not in the database').toEqual([])
}

/** After a stop on PGlite: the lock is gone, and a restarted server on the same data has every acknowledged write. */
async function expectReleasedAndKept(dataDir: string, acked: Acked[]) {
  expect(existsSync(path.join(dataDir, LOCK_FILE)), 'the PGlite lock is released').toBe(false)
  const again = await start({ dataDir })
  try {
    expectAllPresent(acked, await idsViaApi(again.url))
  } finally {
    await again.stop('SIGTERM')
  }
}

describe('stopping npm start under keep-alive load', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`PGlite, ${signal}: the whole tree exits within the bound, every acknowledged write is kept, the lock is released`, async () => {
      const dataDir = makeDataDir()
      const server = await start({ dataDir })
      const { acked } = await stopUnderLoad(server, signal, `PGlite ${signal}`)
      await expectReleasedAndKept(dataDir, acked)
    })
  }

  it.skipIf(!testDatabaseUrl && !postgresRequired)('PostgreSQL (DATABASE_URL), SIGTERM: the whole tree exits within the bound, every acknowledged write is in PostgreSQL', async () => {
    if (!testDatabaseUrl) throw new Error('REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set.')
    const database = await freshPostgresDatabase('shutdown')
    try {
      const server = await start({ env: { DATABASE_URL: database.url } })
      const { acked, output } = await stopUnderLoad(server, 'SIGTERM', 'PostgreSQL SIGTERM')
      expect(output).toContain('[db] postgres ready')
      expectAllPresent(acked, await idsInPostgres(database.url))
    } finally {
      await database.drop()
    }
  })

  it('PGlite, SIGTERM, and a client that never finishes its request: its connection is cut at the drain bound, the rest as above', async () => {
    const dataDir = makeDataDir()
    const server = await start({ dataDir })
    const { acked } = await stopUnderLoad(server, 'SIGTERM', 'PGlite stuck client', { stuckClient: true })
    await expectReleasedAndKept(dataDir, acked)
  })

  it('plain next start, whose own SIGTERM handling waits for every connection: the database is closed and the process exits at our bound anyway', async () => {
    // For `next start` run directly (npm start does not): server/db/lifecycle.ts closes the database
    // and exits 8 s after the signal if Next has not, here held up by a client that never finishes.
    const dataDir = makeDataDir()
    const server = await startServer({ dataDir })
    started.push(server)
    const { acked } = await stopUnderLoad(server, 'SIGTERM', 'next start', { ours: false, stuckClient: true })
    expect(server.output()).toContain('did not stop within 8 s of SIGTERM')
    await expectReleasedAndKept(dataDir, acked)
  })

  it('stops too when the process in between dies of the signal instead of passing it on (a shell without exec)', async () => {
    // sh -c 'node start.mjs; …': dash forks, and dies of SIGTERM without passing it on. The server,
    // re-parented, notices within half a second and stops as if it had been sent SIGTERM.
    const dataDir = makeDataDir()
    const port = await freePort()
    const shell = spawn('sh', ['-c', `node scripts/start.mjs --port ${port} --hostname 127.0.0.1; echo "exited with $?"`], {
      cwd: appDir,
      env: nextEnv({ DATA_DIR: dataDir, START_NO_BUILD: '1' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    shell.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    shell.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const url = `http://127.0.0.1:${port}`
    const deadline = Date.now() + 30_000
    while (!(await fetch(`${url}/api/users`).then((r) => r.ok, () => false))) {
      if (Date.now() > deadline) throw new Error(`not ready:\n${output}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const tree = processTree(shell.pid!)
    const signalledAt = Date.now()
    shell.kill('SIGTERM')
    const exitMs = await allGone(tree, signalledAt, SHUTDOWN_BOUND_MS + 2_000)
    expect(exitMs, output).toBeLessThanOrEqual(SHUTDOWN_BOUND_MS)
    expect(existsSync(path.join(dataDir, LOCK_FILE)), 'the PGlite lock is released').toBe(false)
    console.log(`[shutdown] orphaned server: all ${tree.length} processes gone ${exitMs} ms after SIGTERM to the shell`)
  })
})
