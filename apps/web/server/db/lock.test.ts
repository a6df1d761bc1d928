import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { DataDirLockedError, LOCK_FILE, lockDataDir } from './lock'

const freshDir = () => mkdtempSync(path.join(tmpdir(), 'userdirectory-lock-'))

/** Starts a separate Node process that takes the lock and then waits until it is killed. */
function holdLockInChild(dir: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '-e', `require(${JSON.stringify(path.resolve(__dirname, 'lock.ts'))}).lockDataDir(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1000)`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve())
    child.on('exit', (code) => reject(new Error(`lock holder exited early with ${code}`)))
  })
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  return { child, locked, exited }
}

describe('the PGlite data directory lock', () => {
  it('refuses a second process and names the directory and the way out', async () => {
    const dir = freshDir()
    const holder = holdLockInChild(dir)
    try {
      await holder.locked
      let error: unknown
      try {
        lockDataDir(dir)
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(DataDirLockedError)
      expect((error as Error).message).toContain(dir)
      expect((error as Error).message).toContain('DATA_DIR')
      expect((error as Error).message).toContain(`pid ${holder.child.pid}`)
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
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(true)
    const release = lockDataDir(dir)
    release()
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false)
  })

  it('takes over a lock whose pid now belongs to another process', () => {
    const dir = freshDir()
    const release = lockDataDir(dir)
    // Rewrite the owner as this very pid but another start time: a recycled pid.
    const file = path.join(dir, LOCK_FILE)
    const owner = JSON.parse(readFileSync(file, 'utf8'))
    writeFileSync(file, JSON.stringify({ ...owner, startTime: '1' }))
    expect(() => lockDataDir(dir)()).not.toThrow()
    release()
  })

  it('is released on close so the next process can open the directory', () => {
    const dir = freshDir()
    lockDataDir(dir)()
    expect(() => lockDataDir(dir)()).not.toThrow()
  })
})
