import type { Door, Exchange } from './wire'

// The numbers behind the speed row: each call's times, and what they add up to per door and mode.

export type Mode = 'serial' | 'parallel'

export interface Call {
  name: string
  ok: boolean
  /** What went wrong, when not ok (a refusal's message or the network error). */
  error?: string
  /**
   * performance.now() when the page made the call, sent its request, got the answer's headers (the server has
   * run the handler by then), had the whole answer, and saw the call settle.
   */
  calledAt: number
  sentAt: number
  headersAt: number
  answeredAt: number
  settledAt: number
}

export interface Series {
  door: Door
  mode: Mode
  /** performance.now() when the series began: every time in it is read from there. */
  startedAt: number
  calls: Call[]
}

export interface Summary {
  medianMs: number
  maxMs: number
  /** From the first call to the last one settling. */
  wallMs: number
  /** The most requests of this series sent and still waiting for their answer at one moment. */
  maxInFlight: number
  /** The longest a call waited between being made and its request being sent. */
  maxQueuedMs: number
  failed: number
}

/** A call's exchange is the one whose request body carries its (unique) name. */
export function callFrom(name: string, calledAt: number, settledAt: number, exchanges: Exchange[], outcome: { ok: boolean; error?: string }): Call {
  const exchange = exchanges.find((candidate) => candidate.requestBody.includes(name))
  return {
    name,
    ...outcome,
    ...(exchange ? {} : { ok: false, error: outcome.error ?? 'No request was seen for this call.' }),
    calledAt,
    sentAt: exchange?.sentAt ?? calledAt,
    headersAt: exchange?.headersAt ?? settledAt,
    answeredAt: exchange?.answeredAt ?? settledAt,
    settledAt,
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length === 0 ? 0 : sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** The most intervals [start, end) open at one moment: a sweep over their ends, ends before starts at a tie. */
export function maxOverlap(intervals: { start: number; end: number }[]): number {
  const events = intervals.flatMap(({ start, end }) => [
    { at: start, change: 1 },
    { at: end, change: -1 },
  ])
  events.sort((a, b) => a.at - b.at || a.change - b.change)
  let open = 0
  let most = 0
  for (const event of events) most = Math.max(most, (open += event.change))
  return most
}

export function summarize(series: Series): Summary {
  const { calls } = series
  const latencies = calls.map((call) => call.settledAt - call.calledAt)
  return {
    medianMs: median(latencies),
    maxMs: Math.max(0, ...latencies),
    wallMs: calls.length ? Math.max(...calls.map((call) => call.settledAt)) - Math.min(...calls.map((call) => call.calledAt)) : 0,
    // Sent and not yet answered. (An action's call settles once its result has come, while the rest of its
    // payload — the page's new render — may still be streaming: the next action can go out during that.)
    maxInFlight: maxOverlap(calls.map((call) => ({ start: call.sentAt, end: call.headersAt }))),
    maxQueuedMs: Math.max(0, ...calls.map((call) => call.sentAt - call.calledAt)),
    failed: calls.filter((call) => !call.ok).length,
  }
}
