// The server's start-up on Node.js (instrumentation.ts calls it once per process): says where client addresses
// come from, opens the database and applies migrations.
export async function start() {
  // Every setting is read and checked here, at start-up: a bad value stops the server with what to fix.
  const { readEnv } = await import('./server/env')
  let trustedHops: number
  try {
    ;({ trustedHops } = readEnv())
  } catch (error) {
    // Next logs a failing hook and keeps serving, every request then failing: stop instead, saying what to fix.
    console.error(`[userdirectory] ${(error as Error).message}`)
    process.exit(1)
  }
  const { trustProxy } = await import('actionroute')
  // scripts/server.mjs (npm start) appends the address of each connection to X-Forwarded-For, as a proxy
  // would; TRUSTED_PROXIES counts the proxies of yours in front of it, which append theirs.
  trustProxy({ hops: trustedHops })
  const { startDatabase } = await import('./server/db/lifecycle')
  await startDatabase()
}
