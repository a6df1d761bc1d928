// The overhead benchmark (`npm run bench:overhead`): what actionroute's route() costs per request compared
// with a hand-written Next.js Route Handler doing the same insert. One production build serves both; the
// server runs on core 0 and autocannon on core 1, variants alternate over several fixed-size rounds, and
// the database rows are checked against autocannon's 2xx count after every round. The harness (harness.mjs)
// is peers.mjs's, and it takes the heavy-work lock (BENCH_LOCK=none when the caller holds it).
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { assertAlive, benchDir, busyPercent, commandLine, cores, cpuModel, ensureDatabase, int, libraryVersion,
  load, median, packageVersion, pinNote, runBenchmark, startServer, usersTable, waitForQuiet } from './harness.mjs'

const resultsFile = path.join(benchDir, 'results', 'overhead.md')

const config = {
  databaseUrl: process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/actionroute_bench',
  amount: int('BENCH_AMOUNT', 6000),
  connections: int('BENCH_CONNECTIONS', 20),
  rounds: int('BENCH_ROUNDS', 10), // round-to-round spread is ±5–10 %: fewer rounds cannot resolve 3 %
  warmupSeconds: int('BENCH_WARMUP_SECONDS', 3),
  // Other work on the machine (a test suite, a build) ruins a round: wait for it to stop first.
  quiet: { maxPercent: int('BENCH_MAX_BACKGROUND_CPU', 10), seconds: int('BENCH_QUIET_WAIT_SECONDS', 120) },
}
const VARIANTS = [
  { key: 'a', label: 'hand-written Route Handler', path: '/hand' },
  { key: 'b', label: 'actionroute `route(addUser)`', path: '/actionroute' },
]
const GOAL = { throughput: 0.97, p99: 1.05 }

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

const loadOf = (base, variant, limit) =>
  load({ url: base + variant.path, encoding: 'json', connections: config.connections, ...limit })

async function measure(base, server) {
  const table = usersTable(base)
  for (const variant of VARIANTS) {
    await waitForQuiet(config.quiet)
    console.log(`Warm-up ${variant.key} (${variant.path}) for ${config.warmupSeconds} s`)
    await loadOf(base, variant, { duration: config.warmupSeconds })
    await table.settle()
  }
  const samples = []
  const problems = []
  const disturbed = []
  for (let round = 1; round <= config.rounds; round++) {
    const order = round % 2 === 1 ? VARIANTS : [...VARIANTS].reverse()
    for (const variant of order) {
      assertAlive(server)
      await table.truncate()
      const busyBefore = await waitForQuiet(config.quiet)
      const result = await loadOf(base, variant, { amount: config.amount })
      const rows = await table.count()
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
      if (sample.background > config.quiet.maxPercent) {
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
  await table.truncate()
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

function report({ samples, problems, disturbed }, seconds) {
  const { stats, throughputRatio, p99Ratio, paired } = summarize(samples)
  const n0 = (value) => value.toFixed(0)
  const ms = (value) => (Number.isInteger(value) ? String(value) : value.toFixed(1))
  const verdict = (ok) => (ok ? '**met**' : '**missed**')
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
      : `- No other CPU load above ${config.quiet.maxPercent} % just before or after any round.`,
    '',
    '## Setup',
    '',
    `- Date: ${new Date().toISOString()}`,
    `- Node ${process.version}, next ${packageVersion('next')}, CPU ${cpuModel()} (${cores} cores)`,
    `- actionroute (last commit touching packages/actionroute/src): ${libraryVersion()}`,
    `- ${pinNote}`,
    `- ${config.rounds} rounds of ${config.amount} requests per variant (order flipped every round),` +
      ` ${config.connections} connections, ${config.warmupSeconds} s warm-up per variant; took ${n0(seconds)} s`,
    `- Command: \`${commandLine('overhead', 'npm run bench:overhead')}\``,
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

runBenchmark(async ({ started }) => {
  await ensureDatabase(config.databaseUrl)
  const { base, server } = await startServer({ BENCH_DATABASE_URL: config.databaseUrl })
  await sanityCheck(base)
  const results = await measure(base, server)
  report(results, (Date.now() - started) / 1000)
  if (results.problems.length > 0) process.exitCode = 1
})
