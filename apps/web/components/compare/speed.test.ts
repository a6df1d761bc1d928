import { describe, expect, it } from 'vitest'
import { callFrom, maxOverlap, summarize, type Series } from './speed'
import type { Exchange } from './wire'

describe('maxOverlap', () => {
  it('counts the most intervals open at once; one ending as another starts is not an overlap', () => {
    expect(maxOverlap([])).toBe(0)
    expect(maxOverlap([{ start: 0, end: 10 }, { start: 10, end: 20 }, { start: 20, end: 30 }])).toBe(1)
    expect(maxOverlap([{ start: 0, end: 10 }, { start: 1, end: 5 }, { start: 2, end: 3 }, { start: 9, end: 12 }])).toBe(3)
  })
})

const exchange = (name: string, sentAt: number, headersAt: number, answeredAt: number) =>
  ({ requestBody: `{"name":"${name}"}`, sentAt, headersAt, answeredAt }) as Exchange

describe('callFrom and summarize', () => {
  it("finds each call's request by its name, and sums up a series", () => {
    const exchanges = [exchange('Speed 1 #a', 0, 5, 6), exchange('Speed 2 #a', 6, 9, 10), exchange('Speed 10 #a', 10, 14, 15)]
    const series: Series = {
      door: 'action',
      mode: 'parallel',
      startedAt: 0,
      calls: [
        callFrom('Speed 1 #a', 0, 7, exchanges, { ok: true }),
        callFrom('Speed 2 #a', 0, 11, exchanges, { ok: true }),
        callFrom('Speed 10 #a', 0, 16, exchanges, { ok: false, error: 'refused' }),
      ],
    }
    expect(series.calls.map((call) => call.sentAt)).toEqual([0, 6, 10])
    expect(summarize(series)).toEqual({ medianMs: 11, maxMs: 16, wallMs: 16, maxInFlight: 1, maxQueuedMs: 10, failed: 1 })
  })

  it('a call with no request seen is a failure, timed from its call to its settling', () => {
    expect(callFrom('Speed 3 #a', 2, 9, [], { ok: true })).toEqual({
      name: 'Speed 3 #a',
      ok: false,
      error: 'No request was seen for this call.',
      calledAt: 2,
      sentAt: 2,
      headersAt: 9,
      answeredAt: 9,
      settledAt: 9,
    })
  })
})
