'use client'

import { useEffect, useRef, useState } from 'react'

/**
 * Times a submission from the moment it starts until `settled` changes (a new action state or response).
 * Returns the last duration in ms and a `start` callback for the form's onSubmit.
 */
export function useRoundTrip(settled: unknown): [number | null, () => void] {
  const startedAt = useRef<number | null>(null)
  const [ms, setMs] = useState<number | null>(null)
  useEffect(() => {
    if (startedAt.current === null) return
    const elapsed = Math.round(performance.now() - startedAt.current)
    startedAt.current = null
    setMs(elapsed)
  }, [settled])
  return [ms, () => (startedAt.current = performance.now())]
}
