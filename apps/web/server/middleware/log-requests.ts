import { middleware } from 'actionroute'
import { after } from 'next/server'
import { env } from '@/server/env'

/** Writes a line once the response has gone (Next's `after()`), so logging never delays it; outside the Next server (tests, scripts), at once. */
function logAfterResponse(line: string): void {
  if (process.env.NEXT_RUNTIME) after(() => console.log(line))
  else console.log(line)
}

/** One log line per call, on either door: which operation, which door, the outcome and how long it took. LOG_LEVEL=silent turns it off. */
export const logRequests = middleware(async function logRequests(ctx, next) {
  const started = performance.now()
  const outcome = await next()
  if (env().logRequests) {
    const ms = (performance.now() - started).toFixed(1)
    const result = outcome.ok ? 'ok' : `${outcome.error.status} ${outcome.error.code}`
    logAfterResponse(`[request] ${ctx.operation} via ${ctx.door === 'action' ? 'server action' : 'API route'} → ${result} in ${ms} ms`)
  }
  return outcome
})
