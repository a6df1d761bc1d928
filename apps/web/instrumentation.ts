// Runs once per server process, before the first request: says where client addresses come from, opens
// the database and applies migrations.
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs' || process.env.NEXT_PHASE === 'phase-production-build') return
  const { trustProxy } = await import('actionroute')
  const { trustedHops } = await import('./server/proxies')
  // scripts/server.mjs (npm start) appends the address of each connection to X-Forwarded-For, as a proxy
  // would; TRUSTED_PROXIES counts the proxies of yours in front of it, which append theirs.
  trustProxy({ hops: trustedHops() })
  const { startDatabase } = await import('./server/db/lifecycle')
  await startDatabase()
}
