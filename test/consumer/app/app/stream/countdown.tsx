'use client'

import type { ActionOf } from 'actionroute/client'
import { useStream } from 'actionroute/react'
import type { countdown } from '../../lib/operations'

/** Calls the streaming action and shows each number as it comes (useStream); Stop ends the reading. */
export function Countdown({ action }: { action: ActionOf<typeof countdown> }) {
  const { start, stop, items, status, error } = useStream(action)
  return (
    <form action={() => start({ label: 'action', from: 200, everyMs: 50 })} aria-label="Countdown">
      <button>Start</button>
      <button type="button" onClick={stop}>
        Stop
      </button>
      <p role="status">{error ? `${status}: ${error.code}` : status}</p>
      <output aria-label="Numbers">{items.map((item) => item.n).join(' ')}</output>
    </form>
  )
}
