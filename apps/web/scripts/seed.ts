// npm run seed — fills the User Directory with demo users through its HTTP API, using actionroute's typed
// client (the paths table is imported as a type only). The app must be running: SEED_URL (default
// http://localhost:3000), SEED_COUNT (default 50). Safe to run again: a taken email is counted, not fatal.
// Over the app's write limit (60 a minute per address) it waits as long as the 429's Retry-After says.
import { createClient } from 'actionroute/client'
import type { api } from '../server/api'

const FIRST = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim', 'Hedy', 'Linus']
const LAST = ['Lovelace', 'Turing', 'Hopper', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Berners-Lee', 'Lamarr', 'Torvalds']

const baseUrl = process.env.SEED_URL || 'http://localhost:3000'
const count = Number(process.env.SEED_COUNT || 50)
if (!Number.isInteger(count) || count < 1 || count > 10_000) throw new Error(`SEED_COUNT must be a whole number from 1 to 10,000, not "${process.env.SEED_COUNT}".`)

let answered = 0
const directory = createClient<typeof api>({
  baseUrl,
  // The limit's window is 60 s, so no wait it asks for is longer (65 s leaves a margin for rounding).
  retryAfter: {
    maxWaitMs: 65_000,
    onWait: ({ ms, status }) => {
      const note = `${status === 429 ? 'rate limited' : 'unavailable'}, waiting ${Math.ceil(ms / 1000)} s`
      // Not a terminal (CI): one line per wait, so the log says where the time went.
      if (process.stdout.isTTY) progress(answered, count, note)
      else console.log(`${answered}/${count} — ${note}`)
    },
  },
})

function progress(done: number, total: number, note?: string) {
  if (!process.stdout.isTTY) return
  const width = 30
  const filled = Math.round((done / total) * width)
  // \x1b[K clears what a longer line before it (one with a note) left on the right.
  process.stdout.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${note ? ` — ${note}` : ''}\x1b[K`)
}

const outcome = { added: 0, taken: 0, failed: [] as string[] }
const started = Date.now()
for (let index = 0; index < count; index++) {
  const first = FIRST[index % FIRST.length]!
  const last = LAST[Math.floor(index / FIRST.length) % LAST.length]!
  const name = `${first} ${last}${index >= FIRST.length * LAST.length ? ` ${index}` : ''}`
  const email = `${first}.${last}${index}@example.com`.toLowerCase().replace(/[^a-z0-9.@-]/g, '')
  const result = await directory.POST('/api/users', { body: { name, email } })
  if (result.ok) outcome.added++
  else if (result.error.code === 'EMAIL_TAKEN') outcome.taken++
  else if (result.error.code === 'NETWORK_ERROR') {
    console.error(`\nNo answer from ${baseUrl}: start the app first (npm start), or set SEED_URL.`)
    process.exit(1)
  } else outcome.failed.push(`${name}: ${result.status} ${result.error.code} ${result.error.detail}`)
  progress(++answered, count)
}
if (process.stdout.isTTY) process.stdout.write('\n')
console.log(
  `Seeded ${baseUrl} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${outcome.added} added, ` +
    `${outcome.taken} already there (email taken), ${outcome.failed.length} failed.`,
)
for (const line of outcome.failed) console.log(`  ${line}`)
process.exit(outcome.failed.length ? 1 : 0)
