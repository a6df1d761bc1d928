import { randomUUID, createHash } from 'node:crypto'
import { closeSync, fstatSync, linkSync, mkdirSync, openSync, readFileSync, readlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import path from 'node:path'

// An exclusive lock on a PGlite data directory, `<dir>/userdirectory.lock`, holding its owner as JSON.
//
// - Taking it is atomic: the complete file is written under a unique temporary name, then link(2)ed to
//   the lock's name, which fails if the name exists. Nobody ever sees a half-written lock.
// - A stale lock (its owner is dead) is removed only by the one process that first creates
//   `<lock>.takeover-<hash of the stale content>` (the same link(2) create), and only if the lock still
//   holds that very content. A lock's content is unique (a random token), so a live lock can never be
//   mistaken for the stale one it replaced; a slow racer finds different content and leaves it alone.
//   A takeover file left by a process that died mid-takeover is itself stale and is taken over the
//   same way.
// - Dead or alive: on the same machine (hostname, boot and pid namespace all match), by the owner's pid
//   and its start time from /proc (so a recycled pid is not mistaken for the owner). The owner also
//   refreshes the file's modification time every `heartbeatMs`; a lock from another machine or
//   container, whose pids cannot be checked from here, is stale once it has gone unrefreshed for
//   `staleAfterMs`. We wait for that (or for a refresh, which proves it alive) rather than fail at once.

interface LockOwner {
  pid: number
  /** Process start time from /proc (Linux), so a recycled pid is not mistaken for the owner. */
  startTime: string | null
  host: string
  /** /proc/sys/kernel/random/boot_id: pids from before a reboot mean nothing. */
  bootId?: string | null
  /** /proc/self/ns/pid: pids from another container's pid namespace mean nothing here. */
  pidNamespace?: string | null
  since: string
  /** Makes every lock file's content unique. */
  token?: string
}

export interface LockOptions {
  /** How often the owner refreshes the lock's modification time (default 5 s). */
  heartbeatMs?: number
  /** A lock from another machine unrefreshed for this long is stale (default 30 s, six heartbeats). */
  staleAfterMs?: number
  /** How long to wait for a fresh lock from another machine to go stale or be refreshed (default staleAfterMs + heartbeatMs). */
  maxWaitMs?: number
  /** Called when the lock was taken from us (we must stop writing); default: log and exit(1). */
  onLost?: (message: string) => void
  /** Tests: write the lock as if from this host. */
  host?: string
}

export const LOCK_FILE = 'userdirectory.lock'
export const HEARTBEAT_MS = 5_000
export const STALE_AFTER_MS = 30_000
/** An unreadable (empty, garbage) lock file younger than this may be being written by a non-atomic writer. */
const UNREADABLE_GRACE_MS = 2_000
/** How long racing for the lock (others mid-takeover) may take before giving up. */
const CONTENTION_BUDGET_MS = 5_000
/** Takeovers of takeovers: each level needs a process killed inside a microsecond window. */
const MAX_TAKEOVER_DEPTH = 4

export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError'
}

const pause = new Int32Array(new SharedArrayBuffer(4))
const sleep = (ms: number) => Atomics.wait(pause, 0, 0, ms)

function readOr<T>(read: () => T, fallback: T): T {
  try {
    return read()
  } catch {
    return fallback
  }
}

/** Fields of /proc/<pid>/stat after the command name: [0] is the state, [19] the start time. */
function procStat(pid: number): string[] | null {
  return readOr(() => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  }, null)
}

interface Identity {
  pid: number
  startTime: string | null
  host: string
  bootId: string | null
  pidNamespace: string | null
}

function identity(options: LockOptions): Identity {
  return {
    pid: process.pid,
    startTime: procStat(process.pid)?.[19] ?? null,
    host: options.host ?? hostname(),
    bootId: readOr(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), null),
    pidNamespace: readOr(() => readlinkSync('/proc/self/ns/pid'), null),
  }
}

/** Whether the owner's pid can be checked from here. Fields missing on either side (older locks, no /proc) are not held against it. */
function sameMachine(owner: LockOwner, me: Identity): boolean {
  const matches = (theirs: string | null | undefined, mine: string | null) => theirs == null || mine === null || theirs === mine
  return owner.host === me.host && matches(owner.bootId, me.bootId) && matches(owner.pidNamespace, me.pidNamespace)
}

/**
 * Whether the lock's owner still runs: its pid exists (signal 0 succeeds, or fails with EPERM: a process of
 * another user) and started when the owner did. A recycled pid that now belongs to another user's process is
 * not the owner: its start time says so. `probe` is for tests.
 */
export function pidAlive(owner: Pick<LockOwner, 'pid' | 'startTime'>, probe: (pid: number) => void = (pid) => process.kill(pid, 0)): boolean {
  try {
    probe(owner.pid)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (owner.startTime === null) return true
  const stat = procStat(owner.pid)
  // A zombie (state Z) has exited; only its parent has not collected it yet.
  return stat !== null && stat[0] !== 'Z' && stat[19] === owner.startTime
}

interface Holder {
  /** The file's exact content: a takeover removes the file only if it still reads this. */
  raw: string
  owner: LockOwner | null
  mtimeMs: number
  /** alive: a live process on this machine · fresh: another machine's, refreshed recently · busy: unreadable, maybe being written · stale: take it over. */
  state: 'alive' | 'fresh' | 'busy' | 'stale'
}

function parseOwner(raw: string): LockOwner | null {
  try {
    const owner = JSON.parse(raw) as LockOwner
    return Number.isInteger(owner?.pid) && typeof owner.host === 'string' ? owner : null
  } catch {
    return null
  }
}

/** Reads a lock file (content and mtime from one open file, so they belong together), or null if there is none. */
function inspect(file: string, me: Identity, staleAfterMs: number): Holder | null {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
  let raw: string
  let mtimeMs: number
  try {
    mtimeMs = fstatSync(fd).mtimeMs
    raw = readFileSync(fd, 'utf8')
  } finally {
    closeSync(fd)
  }
  const owner = parseOwner(raw)
  const age = Date.now() - mtimeMs
  let state: Holder['state']
  if (!owner) state = age > UNREADABLE_GRACE_MS ? 'stale' : 'busy'
  else if (sameMachine(owner, me)) state = pidAlive(owner) ? 'alive' : 'stale'
  else state = age > staleAfterMs ? 'stale' : 'fresh'
  return { raw, owner, mtimeMs, state }
}

/** Creates `file` holding `content`, complete, if and only if no such file exists. */
function createExclusive(file: string, content: string): boolean {
  const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`
  writeFileSync(temporary, content, { flag: 'wx' })
  try {
    linkSync(temporary, file)
    return true
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error
    // A file system without hard links: an exclusive create, briefly empty (readers give it UNREADABLE_GRACE_MS).
    try {
      writeFileSync(file, content, { flag: 'wx' })
      return true
    } catch (fallbackError) {
      if ((fallbackError as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw fallbackError
    }
  } finally {
    unlinkSync(temporary)
  }
}

function removeIfStill(file: string, raw: string): void {
  if (readOr(() => readFileSync(file, 'utf8'), null) === raw) readOr(() => unlinkSync(file), undefined)
}

const digest = (raw: string) => createHash('sha256').update(raw).digest('hex').slice(0, 24)

type Claim = { ok: true; content: string } | { ok: false; holder: Holder }

/**
 * Makes `file` ours, taking it over if it is stale. Returns the holder instead when it is alive, or
 * fresh from another machine. Waits out other processes that are mid-takeover.
 */
function claim(file: string, me: Identity, staleAfterMs: number, deadline: number, depth = 0): Claim {
  for (;;) {
    const content = JSON.stringify({ ...me, since: new Date().toISOString(), token: randomUUID() } satisfies LockOwner)
    if (createExclusive(file, content)) return { ok: true, content }
    const holder = inspect(file, me, staleAfterMs)
    if (holder === null) continue // Released (or taken over) in between: try again.
    if (holder.state === 'alive' || holder.state === 'fresh') return { ok: false, holder }
    if (holder.state === 'stale' && depth < MAX_TAKEOVER_DEPTH) {
      // Whoever creates the takeover file for this exact content may remove it; nobody else.
      const takeover = path.join(path.dirname(file), `${LOCK_FILE}.takeover-${digest(holder.raw)}`)
      const mine = claim(takeover, me, staleAfterMs, deadline, depth + 1)
      if (mine.ok) {
        try {
          removeIfStill(file, holder.raw)
        } finally {
          removeIfStill(takeover, mine.content)
        }
        continue
      }
    }
    // Another process is taking it over right now, or it may still be being written: wait a little.
    if (Date.now() > deadline) return { ok: false, holder }
    sleep(2 + Math.random() * 8)
  }
}

function lockedError(dir: string, holder: Holder, detail = ''): DataDirLockedError {
  const owner = holder.owner
  const who = owner ? `pid ${owner.pid} on ${owner.host}, since ${owner.since}${detail}` : `an unreadable lock file${detail}`
  return new DataDirLockedError(
    `The data directory ${dir} is in use by another process (${who}). ` +
      'PGlite allows one process per directory: stop the other server (npm start / npm run dev), ' +
      'or set DATA_DIR to a different directory, or set DATABASE_URL to use PostgreSQL.',
  )
}

/**
 * Takes an exclusive lock on a PGlite data directory, or throws DataDirLockedError naming the
 * directory and the owner. A lock left by a process that died (even by `kill -9`) is taken over at
 * once on the same machine, and after `staleAfterMs` without a heartbeat when it comes from another
 * machine. Returns a function that releases the lock (also called on process exit).
 */
export function lockDataDir(dir: string, options: LockOptions = {}): () => void {
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS
  const staleAfterMs = options.staleAfterMs ?? STALE_AFTER_MS
  const maxWaitMs = options.maxWaitMs ?? staleAfterMs + heartbeatMs
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, LOCK_FILE)
  const me = identity(options)
  const startedAt = Date.now()
  let watched: Holder | null = null

  for (;;) {
    const result = claim(file, me, staleAfterMs, Date.now() + CONTENTION_BUDGET_MS)
    if (result.ok) return hold(dir, file, result.content, heartbeatMs, options.onLost)
    const { holder } = result
    if (holder.state !== 'fresh') {
      throw holder.state === 'alive' ? lockedError(dir, holder) : new DataDirLockedError(`Could not lock the data directory ${dir}: other processes kept taking it for ${CONTENTION_BUDGET_MS / 1000} s.`)
    }
    // Another machine's lock, refreshed recently: a heartbeat proves it alive; silence for staleAfterMs proves it dead.
    const refreshedAgo = ` (another machine or container), refreshed ${((Date.now() - holder.mtimeMs) / 1000).toFixed(1)} s ago`
    if (watched && watched.raw === holder.raw && holder.mtimeMs > watched.mtimeMs) throw lockedError(dir, holder, refreshedAgo)
    if (Date.now() - startedAt >= maxWaitMs) throw lockedError(dir, holder, `${refreshedAgo}; it counts as stale after ${staleAfterMs / 1000} s without a refresh`)
    if (!watched || watched.raw !== holder.raw) {
      watched = holder
      console.warn(
        `[db] ${dir} is locked by pid ${holder.owner?.pid} on ${holder.owner?.host}${refreshedAgo}: ` +
          `waiting up to ${Math.ceil(staleAfterMs / 1000)} s for it to go stale (or be refreshed, if that server is still running).`,
      )
    }
    sleep(Math.min(250, Math.max(10, heartbeatMs / 4)))
  }
}

/** Keeps the lock: refreshes its mtime every heartbeat, notices if it was taken, removes it on release or exit. */
function hold(dir: string, file: string, content: string, heartbeatMs: number, onLost?: (message: string) => void): () => void {
  const lost =
    onLost ??
    ((message: string) => {
      console.error(`[db] ${message}`)
      process.exit(1)
    })
  const heartbeat = setInterval(() => {
    let raw = readOr(() => readFileSync(file, 'utf8'), null)
    // Deleted by hand: put it back, unless someone else got there first.
    if (raw === null && readOr(() => createExclusive(file, content), false)) raw = content
    if (raw === content) {
      const now = new Date()
      readOr(() => utimesSync(file, now, now), undefined)
      return
    }
    clearInterval(heartbeat)
    process.removeListener('exit', release)
    lost(
      `The lock on the data directory ${dir} was taken by another process (${raw === null ? 'the lock file is gone' : raw}). ` +
        'Stopping so that two processes never write to one PGlite directory.',
    )
  }, heartbeatMs)
  heartbeat.unref()
  let released = false
  function release() {
    if (released) return
    released = true
    clearInterval(heartbeat)
    process.removeListener('exit', release)
    removeIfStill(file, content)
  }
  process.on('exit', release)
  return release
}
