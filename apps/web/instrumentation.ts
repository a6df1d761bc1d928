// Runs once per server process, before the first request. The Node.js work is in instrumentation-node.ts,
// imported only on that runtime: Next also compiles this file for the Edge runtime, where process.exit and
// the database have no place.
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs' || process.env.NEXT_PHASE === 'phase-production-build') return
  const { start } = await import('./instrumentation-node')
  await start()
}
