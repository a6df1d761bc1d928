import { middleware } from 'actionroute'

const quiet = process.env.LOG_LEVEL === 'silent'

/** One log line per call, on either door: which operation, which door, the outcome and how long it took. */
export const logRequests = middleware(async (ctx, next) => {
  const started = performance.now()
  const outcome = await next()
  if (!quiet) {
    const ms = (performance.now() - started).toFixed(1)
    const result = outcome.ok ? 'ok' : `${outcome.error.status} ${outcome.error.code}`
    console.log(`[request] ${ctx.operation} via ${ctx.transport === 'action' ? 'server action' : 'API route'} → ${result} in ${ms} ms`)
  }
  return outcome
})
