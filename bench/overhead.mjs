// The overhead benchmark (`npm run bench:overhead`): what actionroute's route() costs per request compared
// with a hand-written Next.js Route Handler doing the same insert. One production build serves both; the
// server runs on core 0 and autocannon on core 1, variants alternate over several fixed-size rounds, and
// the database rows are checked against autocannon's 2xx count after every round.
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

const here = path.dirname(fileURLToPath(import.meta.url))
const appDir = path.join(here, 'app')
const resultsFile = path.join(here, 'results', 'overhead.md')
const require = createRequire(import.meta.url)
const nextBin = require.resolve('next/dist/bin/next')

const int = (name, fallback) => {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`)
  return value
}
const config = {
  databaseUrl: process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/actionroute_bench',
  amount: int('BENCH_AMOUNT', 6000),
  connections: int('BENCH_CONNECTIONS', 20),
  rounds: int('BENCH_ROUNDS', 10), // round-to-round spread is ±5–10 %: fewer rounds cannot resolve 3 %
  warmupSeconds: int('BENCH_WARMUP_SECONDS', 3),
  skipBuild: process.env.BENCH_SKIP_BUILD === '1',
  // Other work on the machine (a test suite, a build) ruins a round: wait for it to stop first.
  maxBackgroundCpu: int('BENCH_MAX_BACKGROUND_CPU', 10),
  quietWaitSeconds: int('BENCH_QUIET_WAIT_SECONDS', 120),
}
const VARIANTS = [
  { key: 'a', label: 'hand-written Route Handler', path: '/hand' },
  { key: 'b', label: 'actionroute `route(addUser)`', path: '/actionroute' },
]
const GOAL = { throughput: 0.97, p99: 1.05 }

// ---- child processes: every one is its own process group, killed at the end, on error and on Ctrl-C

const children = new Set()

function launch(command, args, options = {}) {
  const child = spawn(command, args, { detached: true, ...options })
  children.add(child)
  child.on('exit', () => children.delete(child))
  return child
}

function killAll(signal = 'SIGKILL') {
  for (const child of children) {
    try {
      process.kill(-child.pid, signal)
    } catch {
      // already gone
    }
  }
}

let stopping = false

async function stopAll() {
  stopping = true
  killAll('SIGTERM')
  const deadline = Date.now() + 5000
  while (children.size > 0 && Date.now() < deadline) await sleep(50)
  killAll('SIGKILL')
}

process.on('exit', () => killAll())
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping the server and the load generator`)
    stopAll().finally(() => process.exit(130))
  })
}

/** Runs a command to completion; resolves with its stdout, rejects on a non-zero exit. */
function run(command, args, { inherit = false, env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    const child = launch(command, args, { env, stdio: ['ignore', inherit ? 'inherit' : 'pipe', 'inherit'] })
    let stdout = ''
    child.stdout?.on('data', (chunk) => (stdout += chunk))
    child.on('error', reject)
    child.on('exit', (code, signal) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${[command, ...args.slice(0, 3)].join(' ')} exited with ${code ?? signal}`)),
    )
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// ---- CPU pinning

const hasTaskset = spawnSync('taskset', ['--version']).status === 0
const cores = os.availableParallelism()
const canPin = hasTaskset && cores >= 2
const pinNote = canPin
  ? 'server pinned to core 0, load generator to core 1 (taskset)'
  : `NOT pinned (${hasTaskset ? `only ${cores} core` : 'taskset is missing'}): server and load generator share the CPU`

const pinned = (core, command, args) => (canPin ? ['taskset', ['-c', String(core), command, ...args]] : [command, args])

// ---- database

async function prepareDatabase() {
  const name = decodeURIComponent(new URL(config.databaseUrl).pathname.slice(1))
  const adminUrl = new URL(config.databaseUrl)
  adminUrl.pathname = '/postgres'
  const admin = new pg.Client({ connectionString: adminUrl.href })
  await admin.connect()
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name])
    if (!rowCount) await admin.query(`create database "${name.replaceAll('"', '""')}"`)
  } finally {
    await admin.end()
  }
  const db = new pg.Pool({ connectionString: config.databaseUrl, max: 1 })
  await db.query(`create table if not exists bench_users (
    id bigint generated always as identity primary key,
    name text not null,
    email text,
    created_at timestamptz not null default now()
  )`)
  // It is emptied every round anyway; an autovacuum kicking in mid-round would only add noise.
  await db.query('alter table bench_users set (autovacuum_enabled = false)')
  return db
}

const countRows = async (db) => (await db.query('select count(*)::int as n from bench_users')).rows[0].n
const truncate = (db) => db.query('truncate bench_users restart identity')

/** After a duration-bound run, requests still in flight get served: wait until the row count stops moving. */
async function settle(db) {
  let previous = -1
  for (let rows = await countRows(db); rows !== previous; rows = await countRows(db)) {
    previous = rows
    await sleep(300)
  }
}

// ---- background load: how busy the whole machine is while the benchmark itself is idle

function cpuTimes() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number)
  return { idle: fields[3] + fields[4], total: fields.reduce((sum, value) => sum + value, 0) }
}

/** Percent of all cores' time spent busy over the next `ms`. */
async function busyPercent(ms = 1000) {
  const before = cpuTimes()
  await sleep(ms)
  const after = cpuTimes()
  const total = after.total - before.total
  return total > 0 ? (100 * (total - (after.idle - before.idle))) / total : 0
}

/** Waits (up to quietWaitSeconds) until other processes leave the CPU alone; returns the last reading. */
async function waitForQuiet() {
  const deadline = Date.now() + config.quietWaitSeconds * 1000
  let busy = await busyPercent()
  if (busy > config.maxBackgroundCpu) console.log(`  machine busy (${busy.toFixed(0)} % CPU by others), waiting…`)
  while (busy > config.maxBackgroundCpu && Date.now() < deadline) busy = await busyPercent(2000)
  return busy
}

// ---- server

async function freePort() {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function startServer(port) {
  const [command, args] = pinned(0, process.execPath, [nextBin, 'start', appDir, '-p', String(port), '-H', '127.0.0.1'])
  const server = launch(command, args, {
    env: { ...process.env, BENCH_DATABASE_URL: config.databaseUrl, NEXT_TELEMETRY_DISABLED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const prefix = (chunk) => chunk.toString().replace(/^(?=.)/gm, '[server] ')
  server.stdout.on('data', (chunk) => process.stdout.write(prefix(chunk)))
  server.stderr.on('data', (chunk) => process.stderr.write(prefix(chunk)))
  server.on('exit', (code, signal) => {
    if (!stopping) console.error(`\n!!!!!!!! next start (pid ${server.pid}) died: ${signal ?? `exit code ${code}`} !!!!!!!!\n`)
  })
  const base = `http://127.0.0.1:${port}`
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(200)) {
    if (server.exitCode !== null) throw new Error(`next start exited with ${server.exitCode}`)
    try {
      await fetch(`${base}/hand`) // any answer (405) means it is up
      return { base, server }
    } catch {
      // not listening yet
    }
  }
  throw new Error('next start did not answer within 30 s')
}

// ---- sanity check: both routes answer alike

async function post(url, body) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  return { status: response.status, body: await response.json().catch(() => null) }
}

/** The keys and value types of a JSON value, recursively: what "the same body shape" means here. */
const shapeOf = (value) =>
  value && typeof value === 'object'
    ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, shapeOf(value[key])]))
    : typeof value

async function sanityCheck(base) {
  const problems = []
  const shapes = []
  for (const variant of VARIANTS) {
    const url = base + variant.path
    const ok = await post(url, JSON.stringify({ name: '  Sanity check  ' }))
    const expected = 'User Sanity check added via API route'
    if (ok.status !== 201 || ok.body?.message !== expected || ok.body?.user?.name !== 'Sanity check') {
      problems.push(`${variant.path}: valid body → ${ok.status} ${JSON.stringify(ok.body)}`)
    }
    shapes.push(JSON.stringify(shapeOf(ok.body)))
    for (const invalid of [{ name: '   ' }, { name: 'line\nbreak' }, { name: 'x'.repeat(101) }, { name: 'Ada', email: 'nope' }]) {
      const { status } = await post(url, JSON.stringify(invalid))
      if (status !== 422) problems.push(`${variant.path}: ${JSON.stringify(invalid)} → ${status}, expected 422`)
    }
    const { status } = await post(url, '{"name":')
    if (status !== 400) problems.push(`${variant.path}: malformed JSON → ${status}, expected 400`)
  }
  if (shapes[0] !== shapes[1]) problems.push(`201 bodies differ in shape:\n  a: ${shapes[0]}\n  b: ${shapes[1]}`)
  if (problems.length > 0) throw new Error(`Sanity check failed:\n${problems.join('\n')}`)
  console.log(`Sanity check passed: 201 with the same body shape ${shapes[0]}; 422 and 400 from both.`)
}

// ---- load

async function load(base, variant, limit) {
  const options = { url: base + variant.path, connections: config.connections, ...limit }
  const [command, args] = pinned(1, process.execPath, [path.join(here, 'load.mjs'), JSON.stringify(options)])
  return JSON.parse(await run(command, args))
}

const median = (values) => {
  const sorted = [...values].sort((x, y) => x - y)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

async function measure(base, db, server) {
  const alive = () => {
    if (server.exitCode !== null || server.signalCode !== null) throw new Error('The server died: no results.')
  }
  for (const variant of VARIANTS) {
    await waitForQuiet()
    console.log(`Warm-up ${variant.key} (${variant.path}) for ${config.warmupSeconds} s`)
    await load(base, variant, { duration: config.warmupSeconds })
    await settle(db)
  }
  const samples = []
  const problems = []
  const disturbed = []
  for (let round = 1; round <= config.rounds; round++) {
    const order = round % 2 === 1 ? VARIANTS : [...VARIANTS].reverse()
    for (const variant of order) {
      alive()
      await truncate(db)
      const busyBefore = await waitForQuiet()
      const result = await load(base, variant, { amount: config.amount })
      const rows = await countRows(db)
      const busyAfter = await busyPercent()
      const sample = {
        round,
        variant: variant.key,
        rps: result.requests.total / (result.elapsedMs / 1000),
        p50: result.latency.p50,
        p99: result.latency.p99,
        background: Math.max(busyBefore, busyAfter),
      }
      samples.push(sample)
      const trouble = []
      if (rows !== result['2xx']) trouble.push(`ROW MISMATCH: ${rows} rows vs ${result['2xx']} 2xx responses`)
      if (sample.background > config.maxBackgroundCpu) {
        const message = `round ${round} ${variant.key}: machine busy with other work (${sample.background.toFixed(0)} % CPU)`
        disturbed.push(message)
        console.error(`  !! ${message}: treat this round with suspicion`)
      }
      if (result.non2xx || result.errors || result.timeouts) {
        trouble.push(`non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts}`)
      }
      console.log(
        `round ${round} ${variant.key}: ${sample.rps.toFixed(0)} req/s, p50 ${sample.p50} ms, p99 ${sample.p99} ms, ` +
          `${rows} rows${trouble.length ? '' : ' = 2xx'}`,
      )
      if (trouble.length > 0) {
        const message = `round ${round} ${variant.key}: ${trouble.join('; ')}`
        problems.push(message)
        console.error(`\n!!!!!!!! ${message} !!!!!!!!\n`)
      }
    }
  }
  await truncate(db)
  return { samples, problems, disturbed }
}

// ---- report

function summarize(samples) {
  const stats = Object.fromEntries(
    VARIANTS.map(({ key }) => {
      const mine = samples.filter((sample) => sample.variant === key)
      const rps = mine.map((sample) => sample.rps)
      return [
        key,
        {
          rps: median(rps),
          min: Math.min(...rps),
          max: Math.max(...rps),
          p50: median(mine.map((s) => s.p50)),
          p99: median(mine.map((s) => s.p99)),
        },
      ]
    }),
  )
  // Each round's b against the a measured right next to it: less exposed to slow drift than the medians.
  const paired = [...new Set(samples.map((s) => s.round))].map((round) => {
    const [a, b] = ['a', 'b'].map((key) => samples.find((s) => s.round === round && s.variant === key).rps)
    return b / a
  })
  return { stats, throughputRatio: stats.b.rps / stats.a.rps, p99Ratio: stats.b.p99 / stats.a.p99, paired }
}

function commandLine() {
  const overrides = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_'))
    .map(([name, value]) => {
      if (name !== 'BENCH_DATABASE_URL') return `${name}=${value}`
      const url = new URL(value)
      if (url.password) url.password = '***'
      return `${name}=${url.href}`
    })
  const invoked = process.env.npm_lifecycle_event === 'overhead' ? 'npm run bench:overhead' : 'node bench/overhead.mjs'
  return [...overrides, invoked].join(' ')
}

/** The library is edited while benchmarks run: say which version was measured. */
function libraryVersion() {
  const git = (...args) => spawnSync('git', ['-C', here, ...args], { encoding: 'utf8' }).stdout?.trim()
  const commit = git('log', '-1', '--format=%h %s', '--', '../packages/actionroute/src')
  if (!commit) return 'unknown (no git)'
  return git('status', '--porcelain', '--', '../packages/actionroute/src') ? `${commit} + uncommitted changes` : commit
}

function report({ samples, problems, disturbed }, seconds) {
  const { stats, throughputRatio, p99Ratio, paired } = summarize(samples)
  const n0 = (value) => value.toFixed(0)
  const ms = (value) => (Number.isInteger(value) ? String(value) : value.toFixed(1))
  const verdict = (ok) => (ok ? '**met**' : '**missed**')
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? 'unknown'
  const lines = [
    '# actionroute overhead benchmark',
    '',
    '| Variant | req/s (median) | req/s min–max | p50 ms (median) | p99 ms (median) |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...VARIANTS.map(({ key, label }) => {
      const s = stats[key]
      return `| (${key}) ${label} | ${n0(s.rps)} | ${n0(s.min)}–${n0(s.max)} | ${ms(s.p50)} | ${ms(s.p99)} |`
    }),
    `| **b / a** | **${throughputRatio.toFixed(3)}** | | | **${p99Ratio.toFixed(3)}** |`,
    '',
    `- Goal throughput b/a ≥ ${GOAL.throughput}: ${verdict(throughputRatio >= GOAL.throughput)}` +
      ` (b/a within each round: median ${median(paired).toFixed(3)}, ` +
      `${Math.min(...paired).toFixed(3)}–${Math.max(...paired).toFixed(3)})`,
    `- Goal p99 b/a ≤ ${GOAL.p99} (within 5 %): ${verdict(p99Ratio <= GOAL.p99)}` +
      ' (autocannon latencies are whole milliseconds)',
    problems.length > 0
      ? `- **INVALID: ${problems.length} round(s) with problems:** ${problems.join('; ')}`
      : '- Rows in `bench_users` equalled the 2xx count after every round.',
    disturbed.length > 0
      ? `- **NOISY: other processes used the CPU around ${disturbed.length} round(s)** (see "other CPU %" below).`
      : `- No other CPU load above ${config.maxBackgroundCpu} % just before or after any round.`,
    '',
    '## Setup',
    '',
    `- Date: ${new Date().toISOString()}`,
    `- Node ${process.version}, next ${require('next/package.json').version}, CPU ${cpu} (${cores} cores)`,
    `- actionroute (last commit touching packages/actionroute/src): ${libraryVersion()}`,
    `- ${pinNote}`,
    `- ${config.rounds} rounds of ${config.amount} requests per variant (order flipped every round),` +
      ` ${config.connections} connections, ${config.warmupSeconds} s warm-up per variant; took ${n0(seconds)} s`,
    `- Command: \`${commandLine()}\``,
    '',
    '## Rounds',
    '',
    '| Round | Variant | req/s | p50 ms | p99 ms | other CPU % |',
    '| ---: | --- | ---: | ---: | ---: | ---: |',
    ...samples.map((s) => `| ${s.round} | ${s.variant} | ${n0(s.rps)} | ${s.p50} | ${s.p99} | ${n0(s.background)} |`),
    '',
  ]
  const markdown = lines.join('\n')
  mkdirSync(path.dirname(resultsFile), { recursive: true })
  writeFileSync(resultsFile, markdown)
  console.log(`\n${markdown}\nWritten to ${path.relative(process.cwd(), resultsFile)}`)
}

// ---- main

async function main() {
  const started = Date.now()
  const db = await prepareDatabase()
  try {
    if (config.skipBuild) console.log('BENCH_SKIP_BUILD=1: using the existing build in bench/app/.next')
    else await run(process.execPath, [nextBin, 'build', appDir], { inherit: true, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } })
    console.log(pinNote)
    const { base, server } = await startServer(await freePort())
    await sanityCheck(base)
    const results = await measure(base, db, server)
    report(results, (Date.now() - started) / 1000)
    if (results.problems.length > 0) process.exitCode = 1
  } finally {
    await db.end()
    await stopAll()
  }
}

main().catch(async (error) => {
  console.error(error)
  await stopAll()
  process.exit(1)
})
