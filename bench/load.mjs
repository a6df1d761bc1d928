// The load generator, run by the benchmarks as its own process (pinned to another core than the server):
// drives one door with autocannon and prints autocannon's result as JSON on stdout, plus `elapsedMs`.
// Usage: node load.mjs '{"url":"http://127.0.0.1:3000/hand","encoding":"json","amount":6000,"connections":20}'
// ("duration" in seconds instead of "amount"; "headers" are added to the encoding's, e.g. Next-Action).
import autocannon from 'autocannon'
import { ENCODINGS } from './encodings.mjs'

const { url, encoding = 'json', headers = {}, amount, duration, connections } = JSON.parse(process.argv[2] ?? '{}')
const { headers: contentHeaders, body } = ENCODINGS[encoding]

let counter = 0
const startedAt = Date.now()
let lastResponseAt = startedAt
const instance = autocannon({
  url,
  connections,
  ...(amount ? { amount } : { duration }),
  requests: [
    {
      method: 'POST',
      headers: { ...contentHeaders, ...headers },
      // A different name on every request, like real traffic; no email.
      setupRequest: (request) => ({ ...request, body: body({ name: `Bench user ${++counter}` }) }),
    },
  ],
})
// autocannon's own `duration` only ends on its 1 s sample tick, which rounds a fixed-amount run up to
// whole seconds (6000 requests in 6.4 s read as 7 s): time the run to its last response instead.
instance.on('response', () => (lastResponseAt = Date.now()))
const result = await instance

process.stdout.write(JSON.stringify({ ...result, elapsedMs: lastResponseAt - startedAt }))
