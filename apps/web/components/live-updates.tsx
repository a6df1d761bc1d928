'use client'

import { useRouter } from 'next/navigation'
import { useEffect, useState } from 'react'
import { useHydrated } from './use-hydrated'

const KINDS = ['added', 'renamed', 'deleted'] as const
const WORDS = { added: 'added', renamed: 'renamed', deleted: 'deleted' } as const

/**
 * Keeps the list current: follows `GET /api/users/events` (server-sent events, from every instance) and refreshes
 * the page's server components after a change. EventSource reconnects by itself and sends Last-Event-ID, so a
 * change made while the connection was down arrives after it. Without JavaScript the list is as rendered.
 */
export function LiveUpdates({ after }: { after: number }) {
  const router = useRouter()
  // The first render's id only: later renders (each refresh) must not open the stream again.
  const [from] = useState(after)
  const hydrated = useHydrated()
  const [state, setState] = useState<'connecting' | 'live' | 'reconnecting'>('connecting')
  const [last, setLast] = useState<string | null>(null)
  useEffect(() => {
    const source = new EventSource(`/api/users/events?after=${from}`)
    let refresh: ReturnType<typeof setTimeout> | undefined
    const onChange = (event: MessageEvent<string>) => {
      const { kind, name } = JSON.parse(event.data) as { kind: (typeof KINDS)[number]; name: string }
      setLast(`${name} ${WORDS[kind]}`)
      // Changes that come together refresh the list once.
      clearTimeout(refresh)
      refresh = setTimeout(() => router.refresh(), 50)
    }
    for (const kind of KINDS) source.addEventListener(kind, onChange)
    source.onopen = () => setState('live')
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? 'connecting' : 'reconnecting')
    return () => {
      clearTimeout(refresh)
      source.close()
    }
  }, [from, router])
  // Without JavaScript (and before hydration) there are no live updates to speak of.
  if (!hydrated) return null
  return (
    <p className="meta live" data-live={state}>
      {state === 'live' ? 'Live: changes from anyone appear here' : state === 'reconnecting' ? 'Reconnecting…' : 'Connecting…'}
      {last ? <span aria-live="polite"> · latest: {last}</span> : null}
    </p>
  )
}
