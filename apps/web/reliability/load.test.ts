import { describe, expect } from 'vitest'
import { addedUser, client, describeAnswer, onBothBackends, pool, report, seconds, statusOf, tally } from './harness'

// 5,000 adds, half through POST /api/addUser and half as raw Server Action calls, 50 in flight at any
// moment: every answer is a success, and the database ends with exactly those 5,000 users, once each.

const TOTAL = 5_000
const IN_FLIGHT = 50

describe(`${TOTAL.toLocaleString('en')} adds through both doors, ${IN_FLIGHT} in flight`, () => {
  onBothBackends(`every answer a success, exactly ${TOTAL.toLocaleString('en')} rows`, 240_000, async (store) => {
    const server = await store.start({ RATE_LIMIT_WRITES: '0' })
    const http = client(server.url, IN_FLIGHT)
    const nameOf = (index: number) => `Load ${index % 2 === 0 ? 'api' : 'action'} ${index}`
    const startedAt = Date.now()
    const latency = { api: 0, action: 0 }
    const answers = await pool(TOTAL, IN_FLIGHT, async (index) => {
      const sentAt = performance.now()
      const answer = index % 2 === 0 ? await http.addViaApi({ name: nameOf(index) }) : await http.addViaAction({ name: nameOf(index) })
      latency[index % 2 === 0 ? 'api' : 'action'] += performance.now() - sentAt
      return answer
    })
    const ms = Date.now() - startedAt
    http.close()

    const failed = answers.flatMap((answer, index) => (addedUser(answer) ? [] : [`${nameOf(index)}: ${describeAnswer(answer)}`]))
    const users = await store.users(server)
    const byName = tally(users, (user) => user.name)
    const duplicated = Object.entries(byName).filter(([, count]) => count > 1)
    const expected = new Set(Array.from({ length: TOTAL }, (_, index) => nameOf(index)))
    const unexpected = users.filter((user) => !expected.has(user.name))
    const acknowledgedIds = answers.flatMap((answer) => addedUser(answer)?.id ?? [])
    const present = new Set(users.map((user) => user.id))
    const lost = acknowledgedIds.filter((id) => !present.has(id))

    report(
      `load ${store.backend}: ${TOTAL} adds (${TOTAL / 2} API, ${TOTAL / 2} Server Action), ${IN_FLIGHT} in flight, in ${seconds(ms)} ` +
        `(${Math.round(TOTAL / (ms / 1000))}/s; mean answer time API ${Math.round(latency.api / (TOTAL / 2))} ms, Server Action ${Math.round(latency.action / (TOTAL / 2))} ms); answers ${JSON.stringify(tally(answers, statusOf))}, ${failed.length} not a success; ` +
        `${users.length} rows (${JSON.stringify(tally(users, (user) => user.door))}), ${duplicated.length} names twice, ${lost.length} acknowledged but missing`,
    )
    expect(failed.slice(0, 10), `${failed.length} answers were not a success`).toEqual([])
    expect(lost, 'acknowledged but not in the database').toEqual([])
    expect(duplicated, 'names stored more than once').toEqual([])
    expect(unexpected, 'rows nobody asked for').toEqual([])
    expect(users).toHaveLength(TOTAL)
    expect(tally(users, (user) => user.door)).toEqual({ route: TOTAL / 2, action: TOTAL / 2 })
    await server.stop()
  })
})
