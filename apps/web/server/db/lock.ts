import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import path from 'node:path'

/** Who holds a data directory: enough to tell a live owner from a crashed one, even after pid reuse. */
interface LockOwner {
  pid: number
  /** Process start time from /proc (Linux), so a recycled pid is not mistaken for the owner. */
  startTime: string | null
  host: string
  since: string
}

export const LOCK_FILE = 'userdirectory.lock'

/** Fields of /proc/<pid>/stat after the command name: [0] is the state, [19] the start time. */
function procStat(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return null
  }
}

const startTimeOf = (pid: number) => procStat(pid)?.[19] ?? null

function isAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true // Cannot check another machine's processes: assume it is alive.
  try {
    process.kill(owner.pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  if (owner.startTime === null) return true
  const stat = procStat(owner.pid)
  // A zombie (state Z) has exited; only its parent has not collected it yet.
  return stat !== null && stat[0] !== 'Z' && stat[19] === owner.startTime
}

function readOwner(file: string): LockOwner | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockOwner
  } catch {
    return null // Missing or half-written: treated as stale.
  }
}

export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError'
}

/**
 * Takes an exclusive lock on a PGlite data directory, or throws DataDirLockedError naming the
 * directory and the owner. A lock left by a process that died (even by `kill -9`) is taken over.
 * Returns a function that releases the lock.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, LOCK_FILE)
  const me: LockOwner = { pid: process.pid, startTime: startTimeOf(process.pid), host: hostname(), since: new Date().toISOString() }

  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx')
      writeSync(fd, JSON.stringify(me))
      closeSync(fd)
      const release = () => {
        if (readOwner(file)?.pid === me.pid) rmSync(file, { force: true })
      }
      process.once('exit', release)
      return release
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const owner = readOwner(file)
    if (owner && isAlive(owner)) {
      throw new DataDirLockedError(
        `The data directory ${dir} is in use by another process (pid ${owner.pid} on ${owner.host}, since ${owner.since}). ` +
          'PGlite allows one process per directory: stop the other server (npm start / npm run dev), ' +
          'or set DATA_DIR to a different directory, or set DATABASE_URL to use PostgreSQL.',
      )
    }
    rmSync(file, { force: true }) // Stale: its owner is gone.
  }
  throw new DataDirLockedError(`Could not lock the data directory ${dir}: another process keeps taking it.`)
}
