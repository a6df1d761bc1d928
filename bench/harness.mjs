// What the HTTP benchmarks share (overhead.mjs, peers.mjs; parse.mjs reads /proc with it): child processes
// killed as a group, the heavy-work lock, CPU pinning, the machine's background load, the CPU time and RSS of
// a process tree, and one production build of bench/app served by `next start` and driven by load.mjs.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

export const benchDir = path.dirname(fileURLToPath(import.meta.url))
export const appDir = path.join(benchDir, 'app')
const require = createRequire(import.meta.url)
export const nextBin = require.resolve('next/dist/bin/next')

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

export function median(values) {
  if (values.length === 0) return null
  const sorted = [...values].sort((x, y) => x - y)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** A positive whole number from the environment. */
export function int(name, fallback) {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`)
  return value
}

// ---- child processes: every one is its own process group, killed at the end, on error and on Ctrl-C

const children = new Set()
const expectedExits = new WeakSet()

export function launch(command, args, options = {}) {
  const child = spawn(command, args, { detached: true, ...options })
  children.add(child)
  child.on('exit', () => children.delete(child))
  return child
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal)
  } catch {
    // already gone
  }
}

/** SIGTERM, then SIGKILL after 5 s, to one child's group (or every child's); resolves once they are gone. */
export async function stop(only) {
  const targets = only ? [only] : [...children]
  for (const child of targets) {
    expectedExits.add(child)
    killGroup(child, 'SIGTERM')
  }
  const gone = () => targets.every((child) => child.exitCode !== null || child.signalCode !== null)
  for (const deadline = Date.now() + 5000; !gone() && Date.now() < deadline; ) await sleep(50)
  for (const child of targets) killGroup(child, 'SIGKILL')
}

/** Kills every child on exit, and stops them on Ctrl-C. */
function stopOnSignals() {
  process.on('exit', () => children.forEach((child) => killGroup(child, 'SIGKILL')))
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      console.error(`\n${signal}: stopping the server and the load generator`)
      stop().finally(() => process.exit(130))
    })
  }
}

/** Runs a command to completion; resolves with its stdout, rejects on a non-zero exit. */
export function run(command, args, { inherit = false, env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    const child = launch(command, args, { env, stdio: ['ignore', inherit ? 'inherit' : 'pipe', 'inherit'] })
    let stdout = ''
    child.stdout?.on('data', (chunk) => (stdout += chunk))
    child.on('error', reject)
    child.on('exit', (code, signal) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${[command, ...args.slice(0, 3)].join(' ')} exited with ${code ?? signal}`)),
    )
  })
}

/**
 * Takes the heavy-work lock (`$BENCH_LOCK`, default /tmp/actionroute-heavy.lock; `none` when the caller holds
 * it), so that builds, test suites and benchmarks on this machine never overlap; resolves with its release.
 * A `flock … read` child holds it: should this process die, the pipe closes and the lock goes with it.
 */
export async function holdLock() {
  const lock = process.env.BENCH_LOCK ?? '/tmp/actionroute-heavy.lock'
  if (lock === 'none') return () => {}
  const holder = spawn('flock', [lock, 'sh', '-c', 'echo held; read _'], { stdio: ['pipe', 'pipe', 'inherit'] })
  const waiting = setTimeout(() => console.log(`Waiting for ${lock}: a build, test suite or benchmark is running…`), 1000)
  await new Promise((resolve, reject) => {
    holder.stdout.once('data', resolve)
    holder.on('error', reject)
    holder.on('exit', (code) => reject(new Error(`flock ${lock} exited with ${code}`)))
  })
  clearTimeout(waiting)
  return () => holder.stdin.end()
}

// ---- CPU pinning

const hasTaskset = spawnSync('taskset', ['--version']).status === 0
export const cores = os.availableParallelism()
export const canPin = hasTaskset && cores >= 2
export const pinNote = canPin
  ? 'server pinned to core 0, load generator to core 1 (taskset)'
  : `NOT pinned (${hasTaskset ? `only ${cores} core` : 'taskset is missing'}): server and load generator share the CPU`

export const pinned = (core, command, args) => (canPin ? ['taskset', ['-c', String(core), command, ...args]] : [command, args])

/** Moves this process (every thread) to `core`, beside the load generator, so that its polling of /proc stays off the server's core. */
export function pinSelf(core) {
  if (canPin) spawnSync('taskset', ['-apc', String(core), String(process.pid)], { stdio: 'ignore' })
}

export const cpuModel = () => readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? 'unknown'

// ---- /proc: a process tree's CPU time and memory

export const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100

/** Fields of /proc/<pid>/stat after the command name: [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime. */
export function statOf(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return text.slice(text.lastIndexOf(')') + 2).split(' ')
  } catch {
    return null
  }
}

/** The pid and every descendant of it (next start may serve from a child process). */
export function processTree(root) {
  const childrenOf = new Map()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const fields = statOf(entry)
    if (!fields) continue
    const ppid = Number(fields[1])
    if (!childrenOf.has(ppid)) childrenOf.set(ppid, [])
    childrenOf.get(ppid).push(Number(entry))
  }
  const tree = []
  const queue = [root]
  while (queue.length > 0) {
    const pid = queue.shift()
    tree.push(pid)
    queue.push(...(childrenOf.get(pid) ?? []))
  }
  return tree
}

/** utime + stime (+ reaped children's) of the tree, in milliseconds; 1/CLK_TCK resolution. */
export function treeCpuMs(root) {
  let ticks = 0
  for (const pid of processTree(root)) {
    const fields = statOf(pid)
    if (fields) ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])
  }
  return (ticks * 1000) / CLK_TCK
}

/** VmRSS summed over the tree, in bytes. */
export function treeRssBytes(root) {
  let kb = 0
  for (const pid of processTree(root)) {
    try {
      kb += Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m)?.[1] ?? 0)
    } catch {
      // gone
    }
  }
  return kb * 1024
}

// ---- background load: how busy the whole machine is while the benchmark itself is idle

function cpuTimes() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number)
  return { idle: fields[3] + fields[4], total: fields.reduce((sum, value) => sum + value, 0) }
}

/** Percent of all cores' time spent busy over the next `ms`. */
export async function busyPercent(ms = 1000) {
  const before = cpuTimes()
  await sleep(ms)
  const after = cpuTimes()
  const total = after.total - before.total
  return total > 0 ? (100 * (total - (after.idle - before.idle))) / total : 0
}

/** Waits (up to `seconds`) until other processes use no more than `maxPercent` of the CPU; returns the last reading. */
export async function waitForQuiet({ maxPercent, seconds }) {
  const deadline = Date.now() + seconds * 1000
  let busy = await busyPercent()
  if (busy > maxPercent) console.log(`  machine busy (${busy.toFixed(0)} % CPU by others), waiting…`)
  while (busy > maxPercent && Date.now() < deadline) busy = await busyPercent(2000)
  return busy
}

// ---- PostgreSQL: the database the bench app's pool connects to must exist (the app makes its table)

/**
 * Runs `fn(admin, name, quoted)` on a connection to the `postgres` database of `databaseUrl`'s server, where `name` is
 * the database `databaseUrl` names and `quoted` that name as an SQL identifier; the connection is closed after.
 */
export async function withAdmin(databaseUrl, fn) {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1))
  const adminUrl = new URL(databaseUrl)
  adminUrl.pathname = '/postgres'
  const admin = new pg.Client({ connectionString: adminUrl.href })
  await admin.connect()
  try {
    return await fn(admin, name, `"${name.replaceAll('"', '""')}"`)
  } finally {
    await admin.end()
  }
}

export function ensureDatabase(databaseUrl) {
  return withAdmin(databaseUrl, async (admin, name, quoted) => {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name])
    if (!rowCount) await admin.query(`create database ${quoted}`)
  })
}

/** A database URL fit for a report: the password masked. */
export function withoutPassword(url) {
  const parsed = new URL(url)
  if (parsed.password) parsed.password = '***'
  return parsed.href
}

// ---- the bench app: one build, served by `next start`

/** `next build` of bench/app, unless BENCH_SKIP_BUILD=1 says to use the one there. */
async function buildApp() {
  if (process.env.BENCH_SKIP_BUILD === '1') console.log('BENCH_SKIP_BUILD=1: using the existing build in bench/app/.next')
  else await run(process.execPath, [nextBin, 'build', appDir], { inherit: true, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } })
}

/**
 * A benchmark's frame: the heavy-work lock held throughout, this process moved beside the load generator, the
 * app built, `measure({ started })` run, and every child stopped at the end, on an error (exit code 1) and on Ctrl-C.
 */
export function runBenchmark(measure) {
  stopOnSignals()
  const frame = async () => {
    const release = await holdLock()
    const started = Date.now()
    try {
      pinSelf(1)
      await buildApp()
      console.log(pinNote)
      await measure({ started })
    } finally {
      await stop()
      release()
    }
  }
  frame().catch(async (error) => {
    console.error(error)
    await stop()
    process.exit(1)
  })
}

export async function freePort() {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * `next start` of the build on core 0 with `env` added and `nodeArgs` for its node; resolves once GET /rows answers
 * (the database is open).
 */
export async function startServer(env, { nodeArgs = [] } = {}) {
  const port = await freePort()
  const [command, args] = pinned(0, process.execPath, [...nodeArgs, nextBin, 'start', appDir, '-p', String(port), '-H', '127.0.0.1'])
  const server = launch(command, args, {
    env: { ...process.env, ...env, NEXT_TELEMETRY_DISABLED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const prefix = (chunk) => chunk.toString().replace(/^(?=.)/gm, '[server] ')
  server.stdout.on('data', (chunk) => process.stdout.write(prefix(chunk)))
  server.stderr.on('data', (chunk) => process.stderr.write(prefix(chunk)))
  server.on('exit', (code, signal) => {
    if (!expectedExits.has(server)) console.error(`\n!!!!!!!! next start (pid ${server.pid}) died: ${signal ?? `exit code ${code}`} !!!!!!!!\n`)
  })
  const base = `http://127.0.0.1:${port}`
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(200)) {
    if (server.exitCode !== null) throw new Error(`next start exited with ${server.exitCode}`)
    const response = await fetch(`${base}/rows`).catch(() => null) // null: not listening yet
    if (response?.ok) return { base, server }
    if (response) throw new Error(`GET /rows answered ${response.status} at start-up: ${await response.text()}`)
  }
  throw new Error('next start did not answer within 60 s')
}

/** Throws when the server has exited: its results would be worthless. */
export function assertAlive(server) {
  if (server.exitCode !== null || server.signalCode !== null) throw new Error('The server died: no results.')
}

/** A build's Server Actions by exported name: their id and the path of the page they belong to. */
export function serverActions(distDir = path.join(appDir, '.next')) {
  const manifest = JSON.parse(readFileSync(path.join(distDir, 'server/server-reference-manifest.json'), 'utf8'))
  return Object.fromEntries(
    Object.entries(manifest.node).map(([id, entry]) => {
      const page = Object.keys(entry.workers)[0] ?? 'app/page'
      return [entry.exportedName, { id, path: page.replace(/^app/, '').replace(/\/page$/, '') || '/' }]
    }),
  )
}

/** The bench_users table through the app's GET/DELETE /rows: the same for PostgreSQL and for PGlite in the server. */
export function usersTable(base) {
  const count = async () => (await (await fetch(`${base}/rows`)).json()).rows
  return {
    count,
    truncate: async () => {
      const response = await fetch(`${base}/rows`, { method: 'DELETE' })
      if (!response.ok) throw new Error(`DELETE /rows answered ${response.status}`)
    },
    /** After a duration-bound run, requests still in flight get served: wait until the count stops moving. */
    settle: async () => {
      let previous = -1
      for (let rows = await count(); rows !== previous; rows = await count()) {
        previous = rows
        await sleep(300)
      }
    },
  }
}

/**
 * autocannon on core 1 (load.mjs): POSTs to `url` with `headers`, each body a new user in `encoding`
 * (encodings.mjs), for `amount` requests or `duration` seconds. Resolves with autocannon's result.
 */
export async function load(options) {
  const [command, args] = pinned(1, process.execPath, [path.join(benchDir, 'load.mjs'), JSON.stringify(options)])
  return JSON.parse(await run(command, args))
}

// ---- the report's setup lines

/** The installed version of a package the bench app uses (found from its entry point: not every package exports package.json). */
export function packageVersion(name) {
  for (let dir = path.dirname(fileURLToPath(import.meta.resolve(name))); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json')
    const manifest = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null
    if (manifest?.name === name) return manifest.version
  }
  return 'unknown'
}

/** The library is edited while benchmarks run: say which version was measured. */
export function libraryVersion() {
  const git = (...args) => spawnSync('git', ['-C', benchDir, ...args], { encoding: 'utf8' }).stdout?.trim()
  const line = git('log', '-1', '--format=%h %s', '--', '../packages/actionroute/src')
  if (!line) return 'unknown (no git)'
  const commit = line.length > 100 ? `${line.slice(0, 99)}…` : line
  return git('status', '--porcelain', '--', '../packages/actionroute/src') ? `${commit} + uncommitted changes` : commit
}

/** How this run was started, with the BENCH_ settings that differ from the defaults (passwords masked). */
export function commandLine(npmScript, invoked) {
  const overrides = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_') && name !== 'BENCH_LOCK')
    .map(([name, value]) => `${name}=${name === 'BENCH_DATABASE_URL' ? withoutPassword(value) : value}`)
  return [...overrides, process.env.npm_lifecycle_event === npmScript ? invoked : `node bench/${path.basename(process.argv[1])}`].join(' ')
}

/**
 * The User Directory's `npm start` server (apps/web/scripts/start.mjs) on core 0, with `env` on top of the bench's
 * defaults (no write limit, no request log) and `nodeArgs` for its node; resolves once GET /api/users answers 200.
 * Generous: a start that builds the app first takes minutes.
 */
export async function startApp(env, { nodeArgs = [] } = {}) {
  const port = await freePort()
  const webDir = path.join(benchDir, '../apps/web')
  const [command, args] = pinned(0, process.execPath, [...nodeArgs, path.join(webDir, 'scripts/start.mjs'), '--port', String(port), '--hostname', '127.0.0.1'])
  const server = launch(command, args, {
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', RATE_LIMIT_WRITES: '0', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const base = `http://127.0.0.1:${port}`
  for (const deadline = Date.now() + 300_000; Date.now() < deadline; await sleep(200)) {
    if (server.exitCode !== null) throw new Error(`npm start exited with ${server.exitCode}`)
    const response = await fetch(`${base}/api/users`).catch(() => null)
    if (response?.status === 200) return { base, server }
  }
  throw new Error('npm start did not answer within 300 s')
}
