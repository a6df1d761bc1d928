import { middleware } from 'actionroute'

/** One log line per call, on either door: which operation, which door, the outcome and how long it took. LOG_LEVEL=silent turns it off. */
export const logRequests = middleware(async (ctx, next) => {
  const started = performance.now()
  const outcome = await next()
  if (process.env.LOG_LEVEL !== 'silent') {
    const ms = (performance.now() - started).toFixed(1)
    const result = outcome.ok ? 'ok' : `${outcome.error.status} ${outcome.error.code}`
    console.log(`[request] ${ctx.operation} via ${ctx.door === 'action' ? 'server action' : 'API route'} → ${result} in ${ms} ms`)
  }
  return outcome
})
