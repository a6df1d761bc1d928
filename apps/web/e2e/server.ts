import { spawn, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { appDir, nextBin, nextEnv, TEMPLATE_DATA_DIR } from './paths'

// Starts the e2e build (`next start`, or `npm start` as deployments run it) on a free port with its own PGlite data directory.

// Generous: on a loaded 2-core machine (two test files, each with a server and a Chromium) a start can be slow.
const READY_TIMEOUT_MS = 90_000
const STOP_TIMEOUT_MS = 20_000

export interface ServerOptions {
  /** PGlite data directory; a copy of the migrated template in a fresh temporary one when absent. */
  dataDir?: string
  /** Port to listen on; a free one when absent. */
  port?: number
  /**
   * `next start` (default), or `npm start` from the repository root as a deployment runs it: npm, then
   * scripts/start.mjs serving the e2e build in-process (START_NO_BUILD=1), in a process group of its own.
   */
  command?: 'next start' | 'npm start'
  /** More environment variables for the server (e.g. DATABASE_URL, which is otherwise dropped). */
  env?: Record<string, string>
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface Server {
  /** http://127.0.0.1:<port>, no trailing slash. */
  url: string
  dataDir: string
  pid: number
  /** Sends `signal` and resolves once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<Exit>
  /** `kill -9`: no chance to clean up (the data directory lock stays behind). */
  kill9(): Promise<Exit>
  /** Everything the server printed so far (stdout and stderr interleaved). */
  output(): string
}

// Every server still running is killed when the test process ends, even if afterAll never ran:
// on exit, and on the signals Vitest (SIGTERM) or a terminal (SIGINT, SIGHUP) stop it with.
const running = new Set<ChildProcess>()
const createdDirs = new Set<string>()
/** Children started in a process group of their own (`npm start`): SIGKILL goes to the whole group. */
const groupLeaders = new Set<ChildProcess>()

function kill9(child: ChildProcess): void {
  if (groupLeaders.has(child) && child.pid) {
    try {
      process.kill(-child.pid, 'SIGKILL')
      return
    } catch {
      // The group is gone already.
    }
  }
  child.kill('SIGKILL')
}

function killAll(): void {
  for (const child of running) kill9(child)
  running.clear()
  if (process.env.E2E_KEEP_DATA !== '1') for (const dir of createdDirs) rmSync(dir, { recursive: true, force: true })
  createdDirs.clear()
}

process.once('exit', killAll)
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAll()
    // Keep the signal's default effect (terminating) unless someone else (e.g. Playwright) handles it.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
  })
}

/** A fresh, empty temporary data directory, removed when the test process exits (unless E2E_KEEP_DATA=1). */
export function makeDataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'userdirectory-e2e-'))
  createdDirs.add(dir)
  return dir
}

/**
 * A temporary data directory holding a copy of global-setup.ts's migrated template: a server starts on it in
 * about a second, where an empty one first runs initdb (several seconds of CPU). Empty if there is no template.
 */
function copyOfTemplate(): string {
  const dir = makeDataDir()
  if (existsSync(TEMPLATE_DATA_DIR)) cpSync(TEMPLATE_DATA_DIR, dir, { recursive: true })
  return dir
}

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.unref()
    probe.on('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

interface Spawned {
  child: ChildProcess
  url: string
  dataDir: string
  output(): string
  exited: Promise<Exit>
  hasExited(): boolean
}

async function spawnNext(options: ServerOptions): Promise<Spawned> {
  const dataDir = options.dataDir ?? copyOfTemplate()
  const port = options.port ?? (await freePort())
  const viaNpm = options.command === 'npm start'
  const child = viaNpm
    ? spawn('npm', ['start', '--', '--port', String(port), '--hostname', '127.0.0.1'], {
        cwd: path.resolve(appDir, '../..'),
        env: nextEnv({ DATA_DIR: dataDir, START_NO_BUILD: '1', ...options.env }),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      })
    : spawn(process.execPath, [nextBin, 'start', '--port', String(port), '--hostname', '127.0.0.1'], {
        cwd: appDir,
        env: nextEnv({ DATA_DIR: dataDir, ...options.env }),
        stdio: ['ignore', 'pipe', 'pipe'],
      })
  running.add(child)
  if (viaNpm) groupLeaders.add(child)
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  let done = false
  const exited = new Promise<Exit>((resolve) => {
    child.on('exit', () => running.delete(child))
    // 'close' rather than 'exit': by then all of its output has been read.
    child.on('close', (code, signal) => {
      done = true
      running.delete(child)
      resolve({ code, signal })
    })
    child.on('error', (error) => {
      output += `\n[e2e] could not start the server: ${String(error)}`
      done = true
      running.delete(child)
      resolve({ code: null, signal: null })
    })
  })
  return { child, url: `http://127.0.0.1:${port}`, dataDir, output: () => output, exited, hasExited: () => done }
}

const describeExit = ({ code, signal }: Exit) => (signal ? `signal ${signal}` : `exit code ${code}`)

async function waitUntilReady(server: Spawned): Promise<'ready' | Exit> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (server.hasExited()) return server.exited
    try {
      const response = await fetch(`${server.url}/api/users`, { signal: AbortSignal.timeout(5_000) })
      await response.arrayBuffer()
      if (response.status === 200) return 'ready'
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`The server at ${server.url} (DATA_DIR ${server.dataDir}) did not answer GET /api/users with 200 within ${READY_TIMEOUT_MS / 1000} s. Its output:\n${server.output()}`)
}

async function stopProcess(server: Spawned, signal: NodeJS.Signals): Promise<Exit> {
  if (server.hasExited()) return server.exited
  if (signal === 'SIGKILL') kill9(server.child)
  else server.child.kill(signal)
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS).unref())
  const result = await Promise.race([server.exited, timeout])
  if (result !== 'timeout') return result
  kill9(server.child)
  // Bounded even now: 'close' waits for every holder of the output pipes, and a stuck descendant may keep one open.
  await Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, 5_000).unref())])
  throw new Error(`The server at ${server.url} did not exit within ${STOP_TIMEOUT_MS / 1000} s of ${signal}; killed it. Its output:\n${server.output()}`)
}

/** Starts `next start` on the e2e build and resolves once GET /api/users answers 200. */
export async function startServer(options: ServerOptions = {}): Promise<Server> {
  for (let attempt = 1; ; attempt++) {
    const spawned = await spawnNext(options)
    let ready: 'ready' | Exit
    try {
      ready = await waitUntilReady(spawned)
    } catch (error) {
      await stopProcess(spawned, 'SIGKILL')
      throw error
    }
    if (ready === 'ready') {
      return {
        url: spawned.url,
        dataDir: spawned.dataDir,
        pid: spawned.child.pid!,
        stop: (signal = 'SIGTERM') => stopProcess(spawned, signal),
        kill9: () => stopProcess(spawned, 'SIGKILL'),
        output: spawned.output,
      }
    }
    // Another process may have taken the free port between our probe and Next's listen: try another one.
    if (options.port === undefined && attempt < 3 && spawned.output().includes('EADDRINUSE')) continue
    throw new Error(`The server (DATA_DIR ${spawned.dataDir}) exited with ${describeExit(ready)} before it was ready. Its output:\n${spawned.output()}`)
  }
}

export interface ExpectedExit extends Exit {
  output: string
  /** Milliseconds from spawning to exit. */
  ms: number
}

/**
 * Starts `next start` expecting it to stop by itself (e.g. a locked DATA_DIR) and resolves with its
 * exit status and output. Fails if it is still running after `timeoutMs` (it is killed then).
 */
export async function startServerExpectingExit(options: ServerOptions & { timeoutMs?: number } = {}): Promise<ExpectedExit> {
  const timeoutMs = options.timeoutMs ?? 20_000
  const startedAt = Date.now()
  const spawned = await spawnNext(options)
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref())
  const result = await Promise.race([spawned.exited, timeout])
  if (result === 'timeout') {
    await stopProcess(spawned, 'SIGKILL')
    throw new Error(`Expected the server on DATA_DIR ${spawned.dataDir} to exit by itself, but it was still running after ${timeoutMs / 1000} s. Its output:\n${spawned.output()}`)
  }
  return { ...result, output: spawned.output(), ms: Date.now() - startedAt }
}

/** VmRSS of the server's process tree (npm, the Node server), in bytes. */
export function treeRss(root: number): number {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)])
    } catch {
      // gone
    }
  }
  let kb = 0
  for (const queue = [root]; queue.length > 0; ) {
    const pid = queue.shift()!
    queue.push(...(children.get(pid) ?? []))
    try {
      kb += Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
    } catch {
      // gone
    }
  }
  return kb * 1024
}
