// The app's memory (`npm run bench:memory`): the User Directory's production server as `npm start` runs it
// (apps/web/scripts/start.mjs, which builds first if the build is missing or stale), on PGlite in a fresh data
// directory and on PostgreSQL, each measured
//   - after start-up: once GET /api/users answers and the server has been idle for 3 s;
//   - under load: the peak over MEMORY_REQUESTS (50,000) mixed requests, 10 connections — adds through the API
//     and the Server Action form, the list, a search, a user by id, the home page;
//   - after the load: 5 s idle later.
// RSS of the server's process tree (/proc), server on core 0 and the load generator (this process) on core 1.
// Each database in each MEMORY_MODE the app offers (lean, its default, and fast: see the README), one after the other.
// Writes bench/results/memory.md and memory.json. Options (environment): MEMORY_DATABASES (pglite,postgres),
// MEMORY_MODES (lean,fast), MEMORY_NODE_ARGS (more flags for the server's node, e.g. `--max-semi-space-size=4`),
// MEMORY_REQUESTS (50000), MEMORY_DATABASE_URL (postgres://postgres@127.0.0.1:5432/actionroute_memory: created,
// emptied), PGLITE_SHARED_BUFFERS (passed on to the app: see its README).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'
import pg from 'pg'
import { ENCODINGS } from './encodings.mjs'
import { benchDir, cpuModel, ensureDatabase, int, pinSelf, serverActions, sleep, startApp, stop, treeRssBytes, withoutPassword } from './harness.mjs'

const webDir = path.join(benchDir, '../apps/web')
const requests = int('MEMORY_REQUESTS', 50_000)
const list = (value) => value.split(',').map((name) => name.trim())
const databases = list(process.env.MEMORY_DATABASES || 'pglite,postgres')
const modes = list(process.env.MEMORY_MODES || 'lean,fast')
const databaseUrl = process.env.MEMORY_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/actionroute_memory'
const MiB = 2 ** 20
/** Extra flags for the server's node (e.g. `--max-semi-space-size=4`), to measure what they buy. */
const nodeArgs = (process.env.MEMORY_NODE_ARGS || '').split(' ').filter(Boolean)

/** The mix of requests, each a new user where it adds one (no email: nothing can collide). */
function mixedRequests(addUserAction) {
  let counter = 0
  const form = ENCODINGS.formAction
  const json = ENCODINGS.json
  return [
    { method: 'POST', path: '/api/addUser', headers: json.headers, setupRequest: (r) => ({ ...r, body: json.body({ name: `Memory user ${++counter}` }) }) },
    { method: 'GET', path: '/api/users?limit=20' },
    {
      method: 'POST',
      path: addUserAction.path,
      headers: { ...form.headers, 'next-action': addUserAction.id },
      setupRequest: (r) => ({ ...r, body: form.body({ name: `Memory user ${++counter}` }) }),
    },
    { method: 'GET', path: '/api/users?q=Memory%20user%201&limit=5' },
    { method: 'GET', path: '/' },
  ]
}

async function measure(database, mode) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'actionroute-memory-'))
  const env = { MEMORY_MODE: mode, ...(database === 'pglite' ? { DATA_DIR: dataDir } : { DATABASE_URL: databaseUrl }) }
  if (database === 'postgres') {
    await ensureDatabase(databaseUrl)
    const client = new pg.Client({ connectionString: databaseUrl })
    await client.connect()
    await client.query('drop schema if exists public cascade; drop schema if exists drizzle cascade; create schema public')
    await client.end()
  }
  try {
    const { base, server } = await startApp(env, { nodeArgs })
    await sleep(3000)
    const startup = treeRssBytes(server.pid)
    let peak = startup
    const sampler = setInterval(() => (peak = Math.max(peak, treeRssBytes(server.pid))), 250)
    const addUserAction = serverActions(path.join(webDir, process.env.NEXT_DIST_DIR || '.next')).addUserAction
    const startedAt = Date.now()
    const result = await autocannon({ url: base, connections: 10, amount: requests, requests: mixedRequests(addUserAction) })
    clearInterval(sampler)
    const seconds = (Date.now() - startedAt) / 1000
    const bad = result.non2xx + result.errors + result.timeouts
    if (bad) throw new Error(`${database}: ${bad} of ${requests} requests failed (non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts})`)
    await sleep(5000)
    const after = treeRssBytes(server.pid)
    await stop(server)
    return { database, mode, startupMiB: startup / MiB, peakMiB: peak / MiB, afterMiB: after / MiB, requests, seconds, reqPerSec: requests / seconds }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const rows = []
// This process generates the load: keep it off the server's core.
pinSelf(1)
for (const database of databases) for (const mode of modes) {
  console.log(`== ${database}, MEMORY_MODE=${mode}: npm start, then ${requests.toLocaleString('en')} mixed requests`)
  const row = await measure(database, mode)
  console.log(`   after start-up ${row.startupMiB.toFixed(0)} MiB · peak ${row.peakMiB.toFixed(0)} MiB · after ${row.afterMiB.toFixed(0)} MiB · ${row.reqPerSec.toFixed(0)} req/s`)
  rows.push(row)
}

const label = { pglite: `PGlite (shared_buffers ${process.env.PGLITE_SHARED_BUFFERS || 'the app default'})`, postgres: 'PostgreSQL' }
const extraArgs = nodeArgs.length ? `, ${nodeArgs.join(' ')}` : ''
const table = [
  '| Database, MEMORY_MODE | after start-up | peak under load | after the load | req/s of the mix |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${label[r.database]}, ${r.mode}${extraArgs} | ${r.startupMiB.toFixed(0)} MiB | ${r.peakMiB.toFixed(0)} MiB | ${r.afterMiB.toFixed(0)} MiB | ${r.reqPerSec.toFixed(0)} |`),
].join('\n')
const setup = `${requests.toLocaleString('en')} requests, 10 connections; ${cpuModel()}, ${os.cpus().length} cores; Node ${process.version}; ${databases.includes('postgres') ? withoutPassword(databaseUrl) : ''}`
console.log(`\n${table}\n\n${setup}`)
mkdirSync(path.join(benchDir, 'results'), { recursive: true })
writeFileSync(path.join(benchDir, 'results/memory.json'), JSON.stringify({ setup, rows }, null, 2) + '\n')
writeFileSync(path.join(benchDir, 'results/memory.md'), `# npm run bench:memory\n\nRSS of the app's server process tree (\`npm start\`).\n\n${table}\n\n${setup}\n`)
process.exit(0)

