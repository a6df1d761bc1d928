// Streaming operations: a handler that is an async generator (or returns an async iterable) streams its items,
// as server-sent events or NDJSON on the route door, as an async iterable of frames on the action door.
import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { ActionErrorValue } from '../action/envelope'
import { OperationError } from './errors'
import { unexpected } from './report'

/** How a streaming operation's items go out. Declaring it is what makes `ctx.signal` abort when the reader goes. */
export interface StreamOptions<Item = unknown> {
  /** Each item's JSON shape: documents the stream in OpenAPI. */
  item?: StandardSchemaV1
  /** An item's event id, sent as SSE `id:`: what a reconnecting client sends back as `Last-Event-ID` (`ctx.lastEventId`). */
  id?(item: Item): string | undefined
  /** An item's event name, sent as SSE `event:` (`added`, `progress`); none (`message`) by default. */
  event?(item: Item): string | undefined
  /** How long the route door lets a stream stay silent before it writes a comment, so proxies keep it open: 15,000 ms. */
  heartbeatMs?: number
}

/** The items of a streaming operation's output. */
export type ItemOf<Output> = Output extends AsyncIterable<infer Item> ? Item : never

/** One frame of a stream on the action door: an item, or the failure that ended the stream (always the last frame). */
export type StreamFrame<Item, Code extends string = string> = { item: Item } | { error: ActionErrorValue<Code> }

export const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function'

/** What a stream's failure becomes: its own error, or an INTERNAL one with an id, logged. */
export function streamFailure(error: unknown, where: { operation: string; door: 'action' | 'route' }): OperationError {
  return error instanceof OperationError ? error : unexpected(error, where)
}

/** Text that cannot break an SSE frame: an id or event name holding a line break or NUL would start another field. */
function field(name: string, value: string | undefined): string {
  if (value === undefined) return ''
  if (/[\r\n\0]/.test(value)) throw new TypeError(`An SSE ${name} cannot hold a line break or NUL: ${JSON.stringify(value.slice(0, 40))}`)
  return `${name}: ${value}\n`
}

/** One item as an SSE event: `id:` and `event:` when the operation names them, the item as JSON on one `data:` line. */
export function sseFrame<Item>(item: Item, options: StreamOptions<Item>): string {
  // JSON.stringify never writes a raw line break, so one data line carries the whole item.
  return `${field('id', options.id?.(item))}${field('event', options.event?.(item))}data: ${JSON.stringify(item) ?? 'null'}\n\n`
}

/** The failure that ends a stream, as its last SSE event (`event: error`, an RFC 9457 problem as data). */
export function sseError(problem: object): string {
  return `event: error\ndata: ${JSON.stringify(problem)}\n\n`
}

/**
 * The action door's stream: each item as a frame, a failure as the last frame (React would hide an error's message
 * in production). `abort` is called however it ends, and at once when the reader stops (`return()`, or `throw()`,
 * which React calls when the page that asked went away), even while the
 * handler waits for its next item: an async generator would queue that `return()` behind the wait, so the handler's
 * `ctx.signal` would abort only after the next item came.
 */
export function actionFrames(items: AsyncIterable<unknown>, operation: string, abort: () => void): AsyncIterableIterator<StreamFrame<unknown>> {
  const iterator = items[Symbol.asyncIterator]()
  let ended = false
  const end = () => {
    if (!ended) abort()
    ended = true
  }
  const finished = { done: true, value: undefined } as const
  return {
    [Symbol.asyncIterator]() {
      return this
    },
    async next() {
      if (ended) return finished
      try {
        const next = await iterator.next()
        if (ended) return finished
        if (!next.done) return { done: false, value: { item: next.value } }
        end()
        return finished
      } catch (error) {
        if (ended) return finished
        end()
        const { code, status, message, issues, errorId } = streamFailure(error, { operation, door: 'action' })
        return { done: false, value: { error: { code, status, message, issues, ...(errorId ? { errorId } : {}) } } }
      }
    },
    async return() {
      end()
      // Not awaited: the handler runs its `finally` once its current wait ends, which ctx.signal has just cut short.
      void Promise.resolve(iterator.return?.()).catch(() => {})
      return finished
    },
    // What React calls when it stops serializing (the request was aborted: the page went away): the same stop.
    async throw() {
      return this.return!()
    },
  }
}
