import { useCallback, useEffect, useRef, useState } from 'react'
import type { ActionResult } from '../action/action'
import type { ActionErrorValue } from '../action/envelope'
import type { StreamFrame } from '../core/stream'
import { settle, type CallErrorCode } from './use-action'

export type StreamStatus = 'idle' | 'streaming' | 'done' | 'stopped' | 'error'

export interface UseStream<Input, Item, Code extends string> {
  /** Calls the action and reads its stream, dropping what an earlier call was reading. */
  start(input: Input): void
  /** Stops reading. The server's handler stops when the page goes away; until then it runs to its end. */
  stop(): void
  /** The items so far, at most `keep` of them (the latest). */
  items: Item[]
  status: StreamStatus
  /** The refusal before the stream (its `{ ok: false }`), or the failure that ended it (its last frame). */
  error: ActionErrorValue<Code | CallErrorCode> | undefined
}

export interface UseStreamOptions<Item> {
  /** How many items to keep, the latest: 1,000 by default. */
  keep?: number
  /** Told each item as it comes (to keep a total, say), before it is kept. */
  onItem?(item: Item): void
}

type StreamAction<Input, Item, Code extends string> = (input: Input) => Promise<ActionResult<AsyncIterable<StreamFrame<Item, Code>>, Code>>

/**
 * Reads a streaming operation's action door (`action(op)` of an operation with `stream`) in a client component:
 * `const { start, stop, items, status, error } = useStream(countdownAction)`. Items arrive as React streams them;
 * a failure is the last frame, with the operation's typed code. Leaving the page stops the server's handler.
 */
export function useStream<Input, Item, Code extends string>(
  action: StreamAction<Input, Item, Code>,
  { keep = 1_000, onItem }: UseStreamOptions<Item> = {},
): UseStream<Input, Item, Code> {
  const [items, setItems] = useState<Item[]>([])
  const [status, setStatus] = useState<StreamStatus>('idle')
  const [error, setError] = useState<ActionErrorValue<Code | CallErrorCode>>()
  // The call being read: a newer one, or stop(), makes it stale, and a stale call's frames are dropped.
  const current = useRef<{ stopped: boolean; frames?: AsyncIterator<StreamFrame<Item, Code>> }>(undefined)
  const onItemRef = useRef(onItem)
  useEffect(() => {
    onItemRef.current = onItem
  })

  const stop = useCallback(() => {
    const reading = current.current
    if (!reading || reading.stopped) return
    reading.stopped = true
    void reading.frames?.return?.()
    setStatus((now) => (now === 'streaming' ? 'stopped' : now))
  }, [])

  const start = useCallback(
    (input: Input) => {
      stop()
      const reading: { stopped: boolean; frames?: AsyncIterator<StreamFrame<Item, Code>> } = { stopped: false }
      current.current = reading
      setItems([])
      setError(undefined)
      setStatus('streaming')
      void (async () => {
        const result = await settle(action, input)
        if (reading.stopped) return
        if (!result.ok) {
          setError(result.error)
          return setStatus('error')
        }
        const frames = (reading.frames = result.data[Symbol.asyncIterator]())
        try {
          for (let next = await frames.next(); !next.done && !reading.stopped; next = await frames.next()) {
            const frame = next.value
            if ('error' in frame) {
              setError(frame.error)
              return setStatus('error')
            }
            onItemRef.current?.(frame.item)
            setItems((kept) => (kept.length < keep ? [...kept, frame.item] : [...kept.slice(kept.length - keep + 1), frame.item]))
          }
          if (!reading.stopped) setStatus('done')
        } catch {
          // The connection the stream came on broke.
          if (reading.stopped) return
          setError({ code: 'NETWORK_ERROR', status: 0, message: 'The stream was cut off.', issues: [] })
          setStatus('error')
        }
      })()
    },
    [action, keep, stop],
  )

  // Unmounted: stop reading.
  useEffect(() => stop, [stop])

  return { start, stop, items, status, error }
}
