import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataDirLockedError, LOCK_FILE, lockDataDir, pidAlive, type LockOptions } from './lock'

const LOCK_TS = path.resolve(__dirname, 'lock.ts')
const freshDir = () => mkdtempSync(path.join(tmpdir(), 'userdirectory-lock-'))
const lockFile = (dir: string) => path.join(dir, LOCK_FILE)
const readLock = (dir: string) => JSON.parse(readFileSync(lockFile(dir), 'utf8')) as { pid: number; host: string }
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Starts a separate Node process that takes the lock (with `options`) and then waits until it is killed. */
function holdLockInChild(dir: string, options: LockOptions = {}) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '-e', `require(${JSON.stringify(LOCK_TS)}).lockDataDir(${JSON.stringify(dir)}, ${JSON.stringify(options)}); console.log('locked'); setInterval(() => {}, 1000)`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve())
    child.on('exit', (code) => reject(new Error(`lock holder exited early with ${code}`)))
  })
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  return { child, locked, exited }
}

function lockError(take: () => unknown): Error {
  try {
    take()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected lockDataDir to throw')
}

describe('the PGlite data directory lock', () => {
  it('refuses a second process and names the directory and the way out', async () => {
    const dir = freshDir()
    const holder = holdLockInChild(dir)
    try {
      await holder.locked
      const error = lockError(() => lockDataDir(dir))
      expect(error).toBeInstanceOf(DataDirLockedError)
      expect(error.message).toContain(dir)
      expect(error.message).toContain('DATA_DIR')
      expect(error.message).toContain(`pid ${holder.child.pid}`)
    } finally {
      holder.child.kill('SIGKILL')
      await holder.exited
    }
  })

  it('takes over a lock left by a process killed with SIGKILL', async () => {
    const dir = freshDir()
    const holder = holdLockInChild(dir)
    await holder.locked
    holder.child.kill('SIGKILL')
    await holder.exited
    expect(existsSync(lockFile(dir))).toBe(true)
    const release = lockDataDir(dir)
    release()
    expect(existsSync(lockFile(dir))).toBe(false)
  })

  it('takes over a lock whose pid now belongs to another process', () => {
    const dir = freshDir()
    const release = lockDataDir(dir)
    // Rewrite the owner as this very pid but another start time: a recycled pid.
    const owner = readLock(dir)
    writeFileSync(lockFile(dir), JSON.stringify({ ...owner, startTime: '1' }))
    expect(() => lockDataDir(dir)()).not.toThrow()
    release()
  })

  it('is released on close so the next process can open the directory', () => {
    const dir = freshDir()
    lockDataDir(dir)()
    expect(() => lockDataDir(dir)()).not.toThrow()
  })

  it('never leaves a temporary or takeover file behind', () => {
    const dir = freshDir()
    writeFileSync(lockFile(dir), JSON.stringify({ pid: process.pid, startTime: '1', host: hostname(), since: 'then' }))
    const release = lockDataDir(dir)
    release()
    expect(readdirSync(dir)).toEqual([])
  })

  it('takes over a file that is not a lock (empty, garbage) once it is a few seconds old, not while it may still be being written', () => {
    const dir = freshDir()
    writeFileSync(lockFile(dir), '')
    const old = new Date(Date.now() - 60_000)
    utimesSync(lockFile(dir), old, old)
    expect(() => lockDataDir(dir)()).not.toThrow()
  })
})

describe('the lock across hosts (a container restarted under a new hostname on the same volume)', () => {
  const quick = { heartbeatMs: 100, staleAfterMs: 1_000 } satisfies LockOptions

  it('refreshes its modification time every heartbeat while held', async () => {
    const dir = freshDir()
    const release = lockDataDir(dir, quick)
    try {
      const past = new Date(Date.now() - 60_000)
      utimesSync(lockFile(dir), past, past)
      await sleep(350)
      expect(Date.now() - statSync(lockFile(dir)).mtimeMs).toBeLessThan(300)
    } finally {
      release()
    }
  })

  it('takes over at once a lock from another host that has not been refreshed for longer than the stale interval', () => {
    const dir = freshDir()
    writeFileSync(lockFile(dir), JSON.stringify({ pid: process.pid, startTime: null, host: 'old-container-hostname', since: 'then' }))
    const old = new Date(Date.now() - 2 * quick.staleAfterMs)
    utimesSync(lockFile(dir), old, old)
    const started = Date.now()
    const release = lockDataDir(dir, quick)
    expect(Date.now() - started).toBeLessThan(500)
    expect(readLock(dir)).toMatchObject({ pid: process.pid, host: hostname() })
    release()
  })

  it('does not use the pid check for a lock written in another pid namespace (another container with the same hostname)', () => {
    // This process's own pid is alive here, but the lock says it was written in another pid namespace.
    const dir = freshDir()
    writeFileSync(lockFile(dir), JSON.stringify({ pid: process.pid, startTime: null, host: hostname(), pidNamespace: 'pid:[1]', since: 'then' }))
    const fresh = lockError(() => lockDataDir(dir, { ...quick, staleAfterMs: 60_000, maxWaitMs: 0 }))
    expect(fresh).toBeInstanceOf(DataDirLockedError)
    const old = new Date(Date.now() - 2 * quick.staleAfterMs)
    utimesSync(lockFile(dir), old, old)
    expect(() => lockDataDir(dir, quick)()).not.toThrow()
  })

  it('refuses a live owner on another host as soon as it sees the lock refreshed', async () => {
    const dir = freshDir()
    const holder = holdLockInChild(dir, { ...quick, host: 'other-host' })
    try {
      await holder.locked
      const started = Date.now()
      const error = lockError(() => lockDataDir(dir, quick))
      expect(error).toBeInstanceOf(DataDirLockedError)
      expect(error.message).toContain(`pid ${holder.child.pid} on other-host`)
      expect(Date.now() - started, 'refused within about one heartbeat').toBeLessThan(quick.staleAfterMs)
      expect(readLock(dir).pid).toBe(holder.child.pid)
    } finally {
      holder.child.kill('SIGKILL')
      await holder.exited
    }
  })

  it('takes over the lock of a dead owner on another host once it has gone unrefreshed for the stale interval', async () => {
    const dir = freshDir()
    const holder = holdLockInChild(dir, { ...quick, host: 'other-host' })
    await holder.locked
    holder.child.kill('SIGKILL')
    await holder.exited
    const killedAt = Date.now()
    const release = lockDataDir(dir, quick)
    const waited = Date.now() - killedAt
    expect(readLock(dir)).toMatchObject({ pid: process.pid, host: hostname() })
    expect(waited, 'waited for the stale interval, not much longer').toBeLessThan(quick.staleAfterMs + 1_000)
    expect(waited, 'did not take a lock that might still be alive').toBeGreaterThanOrEqual(quick.staleAfterMs - quick.heartbeatMs - 50)
    release()
  })

  it('tells the owner when another process took its lock (it must stop writing)', async () => {
    const dir = freshDir()
    const lost: string[] = []
    const release = lockDataDir(dir, { ...quick, onLost: (message) => lost.push(message) })
    try {
      writeFileSync(lockFile(dir), JSON.stringify({ pid: 1, startTime: null, host: 'intruder', since: 'now' }))
      await sleep(350)
      expect(lost).toHaveLength(1)
      expect(lost[0]).toContain(dir)
      expect(readLock(dir).host, 'it does not touch the new owner’s lock').toBe('intruder')
    } finally {
      release()
    }
    expect(readLock(dir).host, 'release leaves a lock it no longer owns alone').toBe('intruder')
  })
})

// 8 real processes call lockDataDir on the same directory at the same instant, 200 times: exactly one
// may win each round. Rounds alternate between no lock, and stale locks of every kind, so the
// exclusive create and the takeover of a stale lock are both raced.
describe('8 processes racing for the lock', () => {
  const WORKERS = 8
  const ROUNDS = 200
  const workers: ChildProcess[] = []
  let base: string
  let deadPid: number

  const workerCode = `
    const { lockDataDir } = require(${JSON.stringify(LOCK_TS)})
    const held = new Map()
    const pause = new Int32Array(new SharedArrayBuffer(4))
    process.on('message', (message) => {
      if (message.release) {
        for (const release of held.values()) release()
        held.clear()
        process.send({ released: true })
        return
      }
      const { dir, at } = message
      const wait = at - Date.now() - 2
      if (wait > 0) Atomics.wait(pause, 0, 0, wait)
      while (Date.now() < at) {} // the last milliseconds spinning, so all of them start together
      let result
      try {
        held.set(dir, lockDataDir(dir))
        result = 'owner'
      } catch (error) {
        result = error && error.name === 'DataDirLockedError' ? 'locked' : 'error: ' + (error && error.stack)
      }
      process.send({ dir, result, pid: process.pid })
    })
    process.send({ ready: true })
  `

  function ask(worker: ChildProcess, message: object): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`race worker exited with ${code}`))
      worker.once('exit', onExit)
      worker.once('message', (reply: Record<string, unknown>) => {
        worker.off('exit', onExit)
        resolve(reply)
      })
      worker.send(message)
    })
  }

  beforeAll(async () => {
    base = freshDir()
    const dead = spawnSync(process.execPath, ['-e', ''])
    deadPid = dead.pid!
    for (let i = 0; i < WORKERS; i++) {
      const worker = spawn(process.execPath, ['--import', 'tsx', '-e', workerCode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      workers.push(worker)
    }
    await Promise.all(
      workers.map((worker) => new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve())
        worker.once('exit', (code) => reject(new Error(`race worker exited with ${code}`)))
      })),
    )
  }, 60_000)

  afterAll(() => {
    for (const worker of workers) worker.kill('SIGKILL')
    rmSync(base, { recursive: true, force: true })
  })

  /** What is in the directory when the round starts. */
  function seed(dir: string, round: number): string {
    const old = new Date(Date.now() - 3_600_000)
    const write = (content: string, mtime?: Date) => {
      writeFileSync(lockFile(dir), content)
      if (mtime) utimesSync(lockFile(dir), mtime, mtime)
    }
    switch (round % 5) {
      case 0:
        return 'no lock'
      case 1:
        write(JSON.stringify({ pid: deadPid, startTime: null, host: hostname(), since: 'then' }))
        return 'a lock of a dead process'
      case 2:
        write(JSON.stringify({ pid: process.pid, startTime: '1', host: hostname(), since: 'then' }))
        return 'a lock of a recycled pid'
      case 3:
        write(JSON.stringify({ pid: 1, startTime: null, host: 'gone-container', since: 'then' }), old)
        return 'a lock from another host, unrefreshed for an hour'
      default:
        write('', old)
        return 'an empty lock file, an hour old'
    }
  }

  it(`gives the lock to exactly one of ${WORKERS} processes, ${ROUNDS} rounds in a row`, async () => {
    const failures: string[] = []
    const started = Date.now()
    for (let round = 0; round < ROUNDS; round++) {
      const roundDir = path.join(base, `round-${round}`)
      mkdirSync(roundDir)
      const seeded = seed(roundDir, round)
      const at = Date.now() + 25
      const replies = await Promise.all(workers.map((worker) => ask(worker, { dir: roundDir, at })))
      const owners = replies.filter((reply) => reply.result === 'owner')
      const errors = replies.filter((reply) => reply.result !== 'owner' && reply.result !== 'locked')
      const holder = existsSync(lockFile(roundDir)) ? readLock(roundDir).pid : null
      if (owners.length !== 1 || errors.length > 0 || holder !== owners[0]?.pid) {
        failures.push(`round ${round} (${seeded}): ${owners.length} owners (pids ${owners.map((o) => o.pid).join(', ')}), lock file names ${holder}${errors.length ? `, errors: ${errors.map((e) => e.result).join('; ')}` : ''}`)
      }
      await Promise.all(workers.map((worker) => ask(worker, { release: true })))
    }
    console.log(`[lock race] ${ROUNDS} rounds of ${WORKERS} processes in ${((Date.now() - started) / 1000).toFixed(1)} s, ${failures.length} bad rounds`)
    expect(failures, failures.slice(0, 10).join('\n')).toEqual([])
  }, 120_000)
})

describe('a lock whose pid now belongs to another user', () => {
  const eperm = () => {
    throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' })
  }
  const startOf = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19]!

  it('is stale when that process started at another time (signal 0 fails with EPERM, which counted as alive)', () => {
    // pid 1 stands for a process of another user: it exists, and it is not the lock's owner.
    expect(pidAlive({ pid: 1, startTime: '1' }, eperm)).toBe(startOf(1) === '1')
    expect(pidAlive({ pid: 1, startTime: `${startOf(1)}0` }, eperm)).toBe(false)
  })

  it('is alive when it is the very process that took the lock, whoever runs it', () => {
    expect(pidAlive({ pid: 1, startTime: startOf(1) }, eperm)).toBe(true)
    expect(pidAlive({ pid: process.pid, startTime: startOf(process.pid) })).toBe(true)
  })

  it('is stale when the pid no longer exists', () => {
    const gone = () => {
      throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' })
    }
    expect(pidAlive({ pid: 1, startTime: null }, gone)).toBe(false)
  })
})
