import { closeDatabase, database } from './client'
import { DataDirLockedError } from './lock'
import { closeFeed } from '@/server/users/feed'

/** Bound on shutdown when Next's own signal handler is in charge (`next start`, `next dev`). */
const SHUTDOWN_TIMEOUT_MS = 8_000

/** Set by scripts/server.mjs (`npm start`): hooks it runs once HTTP has drained, before it exits. */
const SHUTDOWN_HOOKS = Symbol.for('userdirectory.shutdownHooks')
/** …and hooks it runs as stopping starts, before HTTP drains. */
const DRAIN_HOOKS = Symbol.for('userdirectory.drainHooks')
type ShutdownHook = () => Promise<void>

/**
 * Opens the database when the server starts, so a locked PGlite directory stops the server at once
 * and migrations run before any request. Closes it on shutdown, after the last request.
 */
export async function startDatabase(): Promise<void> {
  try {
    const opened = await database()
    console.log(`[db] ${opened.kind} ready at ${opened.location}`)
    // What an upload or a delete cut short by a crash left beside PGlite's data: never visible, removed here.
    const { sweepAvatarFiles } = await import('@/server/users/avatars')
    const swept = await sweepAvatarFiles(opened)
    if (swept > 0) console.log(`[db] removed ${swept} stray avatar file${swept === 1 ? '' : 's'} from ${opened.filesDir}`)
  } catch (error) {
    console.error(error instanceof DataDirLockedError ? `[db] ${error.message}` : error)
    process.exit(1)
  }
  const hooks = (globalThis as { [SHUTDOWN_HOOKS]?: ShutdownHook[] })[SHUTDOWN_HOOKS]
  if (hooks) {
    // Our own server (npm start) stops accepting, drains requests and closes kept-alive sockets,
    // then calls this: the database is closed after the last request, whatever the signal.
    hooks.push(closeDatabaseLogged)
    // A live stream never ends by itself: ended as stopping starts, its browser reconnects to another instance.
    ;(globalThis as { [DRAIN_HOOKS]?: ShutdownHook[] })[DRAIN_HOOKS]?.push(closeFeed)
    return
  }
  process.once('SIGTERM', closeOnExit)
  process.once('SIGINT', closeOnExit)
}

async function closeDatabaseLogged(): Promise<void> {
  await closeDatabase()
  console.log('[db] closed')
}

/**
 * Under `next start` / `next dev`, Next's own signal handler stops accepting connections, waits for
 * requests in flight, then calls process.exit(). We wrap that exit so the database is closed (and
 * PGlite flushed) after the last request. Next waits for kept-alive sockets too, which under load
 * never end: after SHUTDOWN_TIMEOUT_MS we close the database and exit ourselves.
 * With NEXT_MANUAL_SIG_HANDLE set, Next leaves exiting to us.
 */
function closeOnExit(signal: NodeJS.Signals): void {
  const exit = process.exit.bind(process)
  const code = signal === 'SIGINT' ? 130 : 143
  let closing = false
  const closeThenExit = (exitCode?: number) => {
    if (closing) return
    closing = true
    setTimeout(() => exit(exitCode), 2_000).unref()
    closeDatabase()
      .catch((error: unknown) => console.error('[db] close failed:', error))
      .finally(() => exit(exitCode))
  }
  void closeFeed()
  if (process.env.NEXT_MANUAL_SIG_HANDLE) return closeThenExit(code)
  process.exit = closeThenExit as typeof process.exit
  setTimeout(() => {
    console.error(`[db] the server did not stop within ${SHUTDOWN_TIMEOUT_MS / 1000} s of ${signal} (kept-alive connections?): closing the database and exiting.`)
    closeThenExit(code)
  }, SHUTDOWN_TIMEOUT_MS).unref()
}
