// The load generator, run by overhead.mjs as its own process (pinned to another core than the server):
// drives one route with autocannon and prints autocannon's result as JSON on stdout, plus `elapsedMs`.
// Usage: node load.mjs '{"url":"http://127.0.0.1:3000/hand","amount":6000,"connections":20}'
// (or "duration" in seconds instead of "amount").
import autocannon from 'autocannon'

const { url, amount, duration, connections } = JSON.parse(process.argv[2] ?? '{}')

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
      headers: { 'content-type': 'application/json' },
      // A different name on every request, like real traffic; no email.
      setupRequest: (request) => ({ ...request, body: JSON.stringify({ name: `Bench user ${++counter}` }) }),
    },
  ],
})
// autocannon's own `duration` only ends on its 1 s sample tick, which rounds a fixed-amount run up to
// whole seconds (6000 requests in 6.4 s read as 7 s): time the run to its last response instead.
instance.on('response', () => (lastResponseAt = Date.now()))
const result = await instance

process.stdout.write(JSON.stringify({ ...result, elapsedMs: lastResponseAt - startedAt }))
