import { ProxyTracerProvider, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api'
import type { Context } from './context'
import { OperationError } from './errors'
import { isAsyncIterable } from './stream'
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
    let streaming = false
    try {
      const outcome = await run()
      // A stream's span lasts as long as the stream: it ends with the last item, a failure, or the reader going.
      if (outcome.ok && isAsyncIterable(outcome.data)) {
        streaming = true
        return { ok: true as const, data: spanned(outcome.data, span) as Output }
      }
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
      if (!streaming) span.end()
    }
  })
}

/**
 * `items`, ending `span` when the stream ends: `actionroute.items` the count, `actionroute.outcome` `ok`, the
 * failure's code, or `cancelled` when the reader went first.
 */
function spanned(items: AsyncIterable<unknown>, span: Span): AsyncIterable<unknown> {
  const iterator = items[Symbol.asyncIterator]()
  let count = 0
  let ended = false
  const end = (outcome: string, failed = false) => {
    if (ended) return
    ended = true
    span.setAttribute('actionroute.items', count)
    span.setAttribute('actionroute.outcome', outcome)
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome })
    span.end()
  }
  const stream: AsyncIterableIterator<unknown> = {
    [Symbol.asyncIterator]: () => stream,
    async next() {
      try {
        const next = await iterator.next()
        if (next.done) end('ok')
        else count++
        return next
      } catch (error) {
        const code = error instanceof OperationError ? error.code : 'INTERNAL'
        end(code, !(error instanceof OperationError) || error.status >= 500)
        throw error
      }
    },
    async return(value?: unknown) {
      end('cancelled')
      return iterator.return ? iterator.return(value) : { done: true, value }
    },
    async throw(reason?: unknown) {
      end('cancelled')
      return iterator.throw ? iterator.throw(reason) : { done: true, value: undefined }
    },
  }
  return stream
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
