import { ProxyTracerProvider, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api'
import type { Context } from './context'
import type { Outcome } from './middleware'

/**
 * Runs one call of an operation in an OpenTelemetry span named after the operation, on either door:
 * `actionroute.operation`, `actionroute.door`, `actionroute.outcome` (`ok` or the error code) and, for
 * an unexpected error, `actionroute.error_id` (the id the caller was given). A no-op until the app
 * registers an OpenTelemetry SDK (e.g. `@vercel/otel` in instrumentation.ts).
 */
export function traced<Output>(ctx: Context, run: () => Promise<Outcome<Output>>): Promise<Outcome<Output>> {
  const tracer = registeredTracer()
  // No SDK registered: a no-op span would still cost a context and a closure on every call.
  if (!tracer) return run()
  const attributes = { 'actionroute.operation': ctx.operation, 'actionroute.door': ctx.door }
  return tracer.startActiveSpan(ctx.operation, { attributes }, async (span) => {
    try {
      const outcome = await run()
      span.setAttribute('actionroute.outcome', outcome.ok ? 'ok' : outcome.error.code)
      if (!outcome.ok && outcome.error.errorId) span.setAttribute('actionroute.error_id', outcome.error.errorId)
      // Server faults only: a refused input is the caller's, and a healthy answer.
      if (!outcome.ok && outcome.error.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error.code })
      return outcome
    } catch (error) {
      // Next's redirect(), notFound() and the like pass through here on purpose: not a failure of ours.
      span.setAttribute('actionroute.outcome', 'interrupted')
      throw error
    } finally {
      span.end()
    }
  })
}

/**
 * Our tracer from the registered OpenTelemetry SDK, or undefined when none is. Until an SDK registers,
 * the global provider is this API copy's own proxy with no delegate; a provider registered through
 * another copy of the API (Next.js bundles one) is not that proxy, and is asked directly.
 */
function registeredTracer(): Tracer | undefined {
  const provider = trace.getTracerProvider()
  return provider instanceof ProxyTracerProvider ? provider.getDelegateTracer('actionroute') : provider.getTracer('actionroute')
}
