import { describe, expect } from 'vitest'
import { addedUser, client, onBothBackends, report, seconds, type Store } from './harness'

// kill -9 of `npm start` (npm and the server, the whole process group) while clients are writing, ten
// times over on the same data: every write that was acknowledged — a 201 from the API, a success
// envelope from the Server Action — is there when the server comes back. On PGlite each restart also
// takes over the lock the killed server left behind.

const ROUNDS = 10
const LOAD_MS = 1_000
const CONNECTIONS = 20
/** Of the connections, this many call the Server Action instead of the API. */
const ACTION_CONNECTIONS = 4

interface Acked {
  id: string
  name: string
  round: number
}

/** Writers on kept-alive connections, each sending its next add as soon as the last is answered. */
function startLoad(url: string, round: number) {
  const http = client(url, CONNECTIONS)
  const acked: Acked[] = []
  let unanswered = 0
  let running = true
  const loop = async (connection: number) => {
    for (let n = 0; running; n++) {
      const name = `Round ${round} ${connection}-${n}`
      const answer = connection < ACTION_CONNECTIONS ? await http.addViaAction({ name }) : await http.addViaApi({ name })
      const user = addedUser(answer)
      if (user) acked.push({ id: user.id, name, round })
      else {
        unanswered++
        await new Promise((resolve) => setTimeout(resolve, 20)) // the server is gone
      }
    }
  }
  const loops = Promise.all(Array.from({ length: CONNECTIONS }, (_, connection) => loop(connection)))
  return {
    acked,
    unanswered: () => unanswered,
    async stop() {
      running = false
      await loops
      http.close()
    },
  }
}

async function killRounds(store: Store) {
  const acked: Acked[] = []
  const missing: (Acked & { checkedAfterRound: number })[] = []
  const rounds: string[] = []
  const check = async (afterRound: number, server: Awaited<ReturnType<Store['start']>>) => {
    const present = new Set((await store.users(server)).map((user) => user.id))
    for (const write of acked) {
      if (!present.has(write.id) && !missing.some((m) => m.id === write.id)) missing.push({ ...write, checkedAfterRound: afterRound })
    }
    return present.size
  }

  const startedAt = Date.now()
  for (let round = 1; round <= ROUNDS; round++) {
    const startingAt = Date.now()
    const server = await store.start({ RATE_LIMIT_WRITES: '0' })
    const startMs = Date.now() - startingAt
    if (round > 1) await check(round - 1, server)
    const load = startLoad(server.url, round)
    await new Promise((resolve) => setTimeout(resolve, LOAD_MS))
    const exit = await server.kill9()
    await load.stop()
    acked.push(...load.acked)
    rounds.push(`${load.acked.length} acked/${load.unanswered()} unanswered (start ${startMs} ms)`)
    expect(exit.signal, `round ${round}: the server died of SIGKILL`).toBe('SIGKILL')
    expect(load.acked.length, `round ${round}: writes were acknowledged before the kill`).toBeGreaterThan(0)
  }
  const server = await store.start({ RATE_LIMIT_WRITES: '0' })
  const rows = await check(ROUNDS, server)
  await server.stop()

  report(
    `kill -9 ${store.backend}: ${ROUNDS} rounds of ${LOAD_MS} ms load on ${CONNECTIONS} connections (${ACTION_CONNECTIONS} Server Action) in ${seconds(Date.now() - startedAt)}; ` +
      `${acked.length} writes acknowledged, ${missing.length} missing afterwards, ${rows} rows; per round: ${rounds.join(', ')}`,
  )
  expect(missing, 'acknowledged before a kill -9, missing after the restart').toEqual([])
  expect(rows, 'rows: every acknowledged write, plus at most the writes cut before their answer').toBeGreaterThanOrEqual(acked.length)
}

describe(`kill -9 under write load, ${ROUNDS} rounds on the same data`, () => {
  onBothBackends('no acknowledged write is missing after any restart', 300_000, killRounds)
})
