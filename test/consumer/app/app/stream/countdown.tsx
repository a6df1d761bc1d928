'use client'

import type { ActionOf } from 'actionroute/client'
import { useRef, useState } from 'react'
import type { countdown } from '../../lib/operations'

/** Calls the streaming action and shows each number as it comes; Stop ends the reading. */
export function Countdown({ action }: { action: ActionOf<typeof countdown> }) {
  const [seen, setSeen] = useState<number[]>([])
  const [state, setState] = useState('idle')
  const stop = useRef(false)
  async function start() {
    stop.current = false
    setSeen([])
    setState('running')
    const result = await action({ label: 'action', from: 200, everyMs: 50 })
    if (!result.ok) return setState(`refused: ${result.error.code}`)
    for await (const frame of result.data) {
      if ('error' in frame) return setState(`failed: ${frame.error.code}`)
      setSeen((numbers) => [...numbers, frame.item.n])
      if (stop.current) return setState('stopped')
    }
    setState('done')
  }
  return (
    <form action={start} aria-label="Countdown">
      <button>Start</button>
      <button type="button" onClick={() => (stop.current = true)}>
        Stop
      </button>
      <p role="status">{state}</p>
      <output aria-label="Numbers">{seen.join(' ')}</output>
    </form>
  )
}
