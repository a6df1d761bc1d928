import { describe, expect } from 'vitest'
import { client, onBothBackends, report, seconds, statusOf, tally } from './harness'

// A burst over the limit from one client: 100 adds at once with RATE_LIMIT_WRITES=20. The counter is a
// row in the database updated by every request at the same moment: exactly 20 get through.

const LIMIT = 20
const BURST = 100

describe(`a burst of ${BURST} writes at RATE_LIMIT_WRITES=${LIMIT}`, () => {
  onBothBackends(`exactly ${LIMIT} × 201 and ${BURST - LIMIT} × 429, ${LIMIT} rows`, 120_000, async (store) => {
    const server = await store.start({ RATE_LIMIT_WRITES: String(LIMIT) })
    const http = client(server.url, BURST)
    const startedAt = Date.now()
    const answers = await Promise.all(Array.from({ length: BURST }, (_, index) => http.addViaApi({ name: `Burst ${index}` })))
    const ms = Date.now() - startedAt
    http.close()
    const statuses = tally(answers, statusOf)
    const users = await store.users(server)
    const withoutRetryAfter = answers.filter((answer) => answer.status === 429 && !answer.headers['retry-after']).length

    report(`rate limit ${store.backend}: ${BURST} at once, limit ${LIMIT} → ${JSON.stringify(statuses)} in ${seconds(ms)}; ${users.length} rows`)
    expect(statuses).toEqual({ 201: LIMIT, 429: BURST - LIMIT })
    expect(withoutRetryAfter, '429s without Retry-After').toBe(0)
    expect(users).toHaveLength(LIMIT)
    await server.stop()
  })
})
