// A streaming operation's answer on the route door: server-sent events (text/event-stream), or NDJSON when the
// client asks for `application/x-ndjson`. Pulled: the next item is asked of the handler only when the connection
// has taken the last one, so a slow reader holds at most one item here (and what the socket buffers).
import { sseError, sseFrame, streamFailure, type StreamOptions } from '../core/stream'
import { toProblem } from './problem'

export const SSE_CONTENT_TYPE = 'text/event-stream; charset=utf-8'
export const NDJSON_CONTENT_TYPE = 'application/x-ndjson'
export const DEFAULT_HEARTBEAT_MS = 15_000

/** NDJSON only when the client asks for it and not for SSE: SSE is what EventSource and browsers read. */
export function wantsNdjson(request: Request): boolean {
  const accept = request.headers.get('accept') ?? ''
  return accept.includes(NDJSON_CONTENT_TYPE) && !accept.includes('text/event-stream')
}

const encoder = new TextEncoder()

/**
 * The body of a streaming answer. `abort` is called however the stream ends (finished, failed, or cancelled by
 * the reader going away), so the handler's `ctx.signal` stops what it waits for; the iterator's `return()` then
 * runs its `finally`. `finished`, once the handler is done with its work: it returned, threw, or ran its `finally`
 * after a cancel (the call's uploaded files go then, not before).
 */
export function eventStream(
  items: AsyncIterable<unknown>,
  { ndjson, options, operation, abort, finished }: { ndjson: boolean; options: StreamOptions; operation: string; abort: () => void; finished?: () => void },
): ReadableStream<Uint8Array> {
  const iterator = items[Symbol.asyncIterator]()
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS
  let heartbeat: ReturnType<typeof setInterval> | undefined
  let ended = false
  const end = () => {
    ended = true
    clearInterval(heartbeat)
    abort()
  }
  let done = false
  const finish = () => {
    if (!done) finished?.()
    done = true
  }
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (ndjson) return
        // At once, before any item: servers and proxies send the headers with the first bytes, and until then a
        // browser's EventSource does not know the stream is open.
        controller.enqueue(encoder.encode(': stream open\n\n'))
        if (heartbeatMs <= 0) return
        heartbeat = setInterval(() => {
          // Only into an empty queue: a reader that does not read gets no pile of comments.
          if (!ended && (controller.desiredSize ?? 0) >= 0) controller.enqueue(encoder.encode(': keep-alive\n\n'))
        }, heartbeatMs)
        heartbeat.unref?.()
      },
      async pull(controller) {
        let text: string
        try {
          const next = await iterator.next()
          if (ended) return
          if (next.done) {
            end()
            finish()
            return controller.close()
          }
          text = ndjson ? `${JSON.stringify(next.value) ?? 'null'}\n` : sseFrame(next.value, options)
        } catch (error) {
          if (ended) return
          const problem = toProblem(streamFailure(error, { operation, door: 'route' }))
          end()
          finish()
          controller.enqueue(encoder.encode(ndjson ? `${JSON.stringify({ error: problem })}\n` : sseError(problem)))
          return controller.close()
        }
        controller.enqueue(encoder.encode(text))
      },
      cancel() {
        end()
        // Not awaited: a generator waiting inside the handler runs its `finally` once that wait ends (ctx.signal).
        void Promise.resolve(iterator.return?.())
          .catch(() => {})
          .finally(finish)
      },
    },
    { highWaterMark: 0 },
  )
}
