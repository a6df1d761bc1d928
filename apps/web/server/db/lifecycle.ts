import { closeDatabase, database } from './client'
import { DataDirLockedError } from './lock'

const SHUTDOWN_GRACE_MS = 5_000

/**
 * Opens the database when the server starts, so a locked PGlite directory stops the server at once
 * and migrations run before any request. Closes it on SIGTERM/SIGINT once Next has drained requests.
 */
export async function startDatabase(): Promise<void> {
  try {
    const { kind, location } = await database()
    console.log(`[db] ${kind} ready at ${location}`)
  } catch (error) {
    console.error(error instanceof DataDirLockedError ? `[db] ${error.message}` : error)
    process.exit(1)
  }
  process.once('SIGTERM', closeOnExit)
  process.once('SIGINT', closeOnExit)
}

/**
 * Next's own signal handler stops accepting connections, waits for requests in flight, then calls
 * process.exit(). We wrap that exit so PGlite is closed (and flushed) after the last request.
 * With NEXT_MANUAL_SIG_HANDLE set, Next leaves exiting to us.
 */
function closeOnExit(signal: NodeJS.Signals): void {
  const exit = process.exit.bind(process)
  const closeThenExit = (code?: number) => {
    const forced = setTimeout(() => exit(code), SHUTDOWN_GRACE_MS)
    closeDatabase()
      .catch((error: unknown) => console.error('[db] close failed:', error))
      .finally(() => {
        clearTimeout(forced)
        exit(code)
      })
  }
  if (process.env.NEXT_MANUAL_SIG_HANDLE) closeThenExit(signal === 'SIGINT' ? 130 : 143)
  else process.exit = closeThenExit as typeof process.exit
}
