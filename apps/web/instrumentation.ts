// Runs once per server process, before the first request: opens the database and applies migrations.
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs' || process.env.NEXT_PHASE === 'phase-production-build') return
  const { startDatabase } = await import('./server/db/lifecycle')
  await startDatabase()
}
