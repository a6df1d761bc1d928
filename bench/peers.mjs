// The peer benchmark (`npm run bench`): the same add-user insert through eight doors of one production build
// of bench/app — a hand-written Route Handler, actionroute's route(), oRPC's OpenAPIHandler, a plain Server
// Action, actionroute's formAction() and action(), and next-safe-action called with an object and as a form
// action (stateAction) — on PostgreSQL and on PGlite (one
// server start of the build per database). The server runs on core 0, autocannon and this script on core 1; the variants take
// turns in an order shuffled every round; after every round the rows in the table must equal the 2xx count.
// Per variant: req/s, p50, p99, the server's CPU time per request and its RSS. Writes bench/results/peers.json,
// peers.md and peers.svg. Takes the heavy-work lock itself (BENCH_LOCK=none when the caller holds it).
//
// Options (environment): BENCH_ROUNDS (10), BENCH_AMOUNT (1500 requests a round), BENCH_CONNECTIONS (20),
// BENCH_WARMUP_SECONDS (5 per variant), BENCH_DATABASES (postgres,pglite), BENCH_DATABASE_URL, BENCH_SKIP_BUILD=1,
// BENCH_MAX_BACKGROUND_CPU (10 %), BENCH_QUIET_WAIT_SECONDS (120), BENCH_RETRIES (2: a round disturbed by other
// work is measured again up to this many times), BENCH_DOORS (all: a comma-separated list of variant ids, e.g.
// `formAction,safeFormAction`, for a focused comparison; its results go to bench/results/focus/, not the committed ones).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chart } from './chart.mjs'
import { ENCODINGS } from './encodings.mjs'
import { assertAlive, benchDir, busyPercent, commandLine, cores, cpuModel, ensureDatabase, int, libraryVersion,
  load, median, packageVersion, pinNote, run, runBenchmark, serverActions, startServer, stop, treeCpuMs, treeRssBytes,
  usersTable, waitForQuiet, withoutPassword } from './harness.mjs'

const resultsDir = path.join(benchDir, 'results', process.env.BENCH_DOORS ? 'focus' : '')

const config = {
  databaseUrl: process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/actionroute_bench',
  databases: (process.env.BENCH_DATABASES || 'postgres,pglite').split(',').map((name) => name.trim()),
  amount: int('BENCH_AMOUNT', 1500),
  connections: int('BENCH_CONNECTIONS', 20),
  rounds: int('BENCH_ROUNDS', 10),
  warmupSeconds: int('BENCH_WARMUP_SECONDS', 5),
  // Other work on the machine (a test suite, a build) ruins a round: wait for it to stop first.
  quiet: { maxPercent: int('BENCH_MAX_BACKGROUND_CPU', 10), seconds: int('BENCH_QUIET_WAIT_SECONDS', 120) },
  // …and when it starts during a round, that round is measured again (this many times at most).
  retries: Number(process.env.BENCH_RETRIES ?? 2),
}

const DATABASES = {
  postgres: { label: 'PostgreSQL', env: () => ({ BENCH_DATABASE_URL: config.databaseUrl }) },
  pglite: { label: 'PGlite', env: (dataDir) => ({ BENCH_DB: 'pglite', BENCH_PGLITE_DIR: dataDir }) },
}
for (const name of config.databases) {
  if (!DATABASES[name]) throw new Error(`BENCH_DATABASES: unknown database "${name}"; use postgres, pglite or both`)
}

// A door is a path and an encoding; a Server Action's path is its page's, found in the build with its id.
// Route Handlers first, then Server Actions; each library's door beside the one written by hand.
const ALL_VARIANTS = [
  { key: 'a', id: 'hand', label: 'hand-written Route Handler', kind: 'baseline', path: '/hand', encoding: 'json' },
  { key: 'b', id: 'route', label: 'actionroute route()', kind: 'actionroute', path: '/actionroute', encoding: 'json' },
  { key: 'c', id: 'orpc', label: 'oRPC OpenAPIHandler', kind: 'peer', path: '/orpc/users', encoding: 'json' },
  { key: 'd', id: 'plainAction', label: 'plain Server Action', kind: 'baseline', action: 'addUserPlainAction', encoding: 'formAction' },
  { key: 'e', id: 'formAction', label: 'actionroute formAction()', kind: 'actionroute', action: 'addUserFormAction', encoding: 'formAction' },
  { key: 'f', id: 'action', label: 'actionroute action()', kind: 'actionroute', action: 'addUserAction', encoding: 'actionArguments' },
  { key: 'g', id: 'safeAction', label: 'next-safe-action', kind: 'peer', action: 'addUserSafeAction', encoding: 'actionArguments' },
  { key: 'h', id: 'safeFormAction', label: 'next-safe-action stateAction()', kind: 'peer', action: 'addUserSafeFormAction', encoding: 'formAction' },
]
const chosen = process.env.BENCH_DOORS?.split(',').map((id) => id.trim())
for (const id of chosen ?? []) {
  if (!ALL_VARIANTS.some((variant) => variant.id === id)) throw new Error(`BENCH_DOORS: unknown door "${id}"; use ${ALL_VARIANTS.map((v) => v.id).join(', ')}`)
}
const VARIANTS = chosen ? ALL_VARIANTS.filter((variant) => chosen.includes(variant.id)) : ALL_VARIANTS
const byId = Object.fromEntries(VARIANTS.map((variant) => [variant.id, variant]))
const measured = (id) => id in byId
const GOAL = 0.97
// actionroute's doors against the same door written by hand (the goal: at least 0.97 of its req/s), and against
// the library that takes the same request: a JSON Route Handler (oRPC), an action called with an object (next-safe-action).
const RATIOS = [
  { ours: 'route', other: 'hand', goal: GOAL },
  { ours: 'formAction', other: 'plainAction', goal: GOAL },
  { ours: 'route', other: 'orpc' },
  { ours: 'action', other: 'safeAction' },
  { ours: 'formAction', other: 'safeFormAction' },
].filter(({ ours, other }) => measured(ours) && measured(other))
// The issue's other goal: route() and formAction() each ahead of both other libraries — as it is written (oRPC's
// JSON route and next-safe-action called with an object), and for formAction() like for like: next-safe-action
// taking the same form.
const AHEAD = [
  { ours: 'route', of: ['orpc', 'safeAction'] },
  { ours: 'formAction', of: ['orpc', 'safeAction'] },
  { ours: 'formAction', of: ['safeFormAction'] },
].filter(({ ours, of }) => measured(ours) && of.every(measured))

/** Where each variant is sent: URL and headers (a Server Action's id and, as a browser sends it, the Origin). */
function targetsOf(base) {
  const actions = serverActions()
  return Object.fromEntries(
    VARIANTS.map((variant) => {
      if (!variant.action) return [variant.id, { url: base + variant.path, headers: {} }]
      const action = actions[variant.action]
      if (!action) throw new Error(`${variant.action} is not in the build's server reference manifest`)
      return [variant.id, { url: base + action.path, headers: { 'next-action': action.id, origin: base } }]
    }),
  )
}

// ---- sanity check: every door stores a valid user and refuses an invalid one, with the same rules

async function send(target, variant, input) {
  const { headers, body } = ENCODINGS[variant.encoding]
  const response = await fetch(target.url, { method: 'POST', headers: { ...headers, ...target.headers }, body: body(input) })
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() }
}

async function sanityCheck(targets, table) {
  const problems = []
  for (const variant of VARIANTS) {
    const rowsBefore = await table.count()
    const valid = await send(targets[variant.id], variant, { name: '  Sanity check  ' })
    const expected = variant.action ? { status: 200, type: 'text/x-component' } : { status: 201, type: 'application/json' }
    // The name as stored (trimmed) in the answer, and no error in an action's payload.
    const stored =
      valid.text.includes('"name":"Sanity check"') && !/"(errors|validationErrors|serverError)"|"status":"error"/.test(valid.text)
    if (valid.status !== expected.status || !valid.type.startsWith(expected.type) || !stored) {
      problems.push(`(${variant.key}) ${variant.label}: valid input → ${valid.status} ${valid.type} ${valid.text.slice(0, 300)}`)
    }
    const invalid = await send(targets[variant.id], variant, { name: '   ' })
    const refused = variant.action ? invalid.status === 200 : invalid.status === 400 || invalid.status === 422
    if (!refused || !invalid.text.includes('Name is required')) {
      problems.push(`(${variant.key}) ${variant.label}: blank name → ${invalid.status} ${invalid.text.slice(0, 300)}`)
    }
    const added = (await table.count()) - rowsBefore
    if (added !== 1) problems.push(`(${variant.key}) ${variant.label}: ${added} rows stored for one valid and one invalid input`)
  }
  if (problems.length > 0) throw new Error(`Sanity check failed:\n${problems.join('\n')}`)
  console.log('Sanity check passed: each variant stores a valid user (201, or 200 with the RSC payload) and refuses a blank name.')
}

// ---- measurement

const loadOf = (target, variant, limit) =>
  load({ url: target.url, headers: target.headers, encoding: variant.encoding, connections: config.connections, ...limit })

/**
 * Round r runs the variants in an order shuffled with r as the seed (a rerun uses the same orders). A rotation
 * would keep every door behind the same neighbour in every round, so whatever that neighbour leaves behind (its
 * garbage, the machine slowing down) would always fall on it; many short rounds in fresh orders average it out.
 */
function orderOf(round) {
  // mulberry32, a small seeded generator: Math.random() cannot be seeded.
  let seed = Math.imul(round, 0x9e3779b9)
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
  const order = [...VARIANTS]
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[order[i], order[j]] = [order[j], order[i]]
  }
  return order
}

async function measureRound(server, table, target, variant, round) {
  assertAlive(server)
  await table.truncate()
  const busyBefore = await waitForQuiet(config.quiet)
  const cpuBefore = treeCpuMs(server.pid)
  let rssPeak = treeRssBytes(server.pid)
  const sampling = setInterval(() => (rssPeak = Math.max(rssPeak, treeRssBytes(server.pid))), 500)
  let result
  try {
    result = await loadOf(target, variant, { amount: config.amount })
  } finally {
    clearInterval(sampling)
  }
  const cpuMs = treeCpuMs(server.pid) - cpuBefore
  const rssEnd = treeRssBytes(server.pid)
  const rows = await table.count()
  const busyAfter = await busyPercent()
  const completed = result.requests.total
  return {
    round,
    variant: variant.id,
    rps: completed / (result.elapsedMs / 1000),
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuUs: (cpuMs * 1000) / completed,
    rssMB: Math.max(rssPeak, rssEnd) / 2 ** 20,
    rows,
    ok: result['2xx'],
    trouble: [
      ...(rows !== result['2xx'] ? [`ROW MISMATCH: ${rows} rows vs ${result['2xx']} 2xx responses`] : []),
      ...(result.non2xx || result.errors || result.timeouts
        ? [`non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts}`]
        : []),
    ],
    background: Math.max(busyBefore, busyAfter),
  }
}

async function measureDatabase(name) {
  const database = DATABASES[name]
  console.log(`\n==== ${database.label} ====`)
  const dataDir = name === 'pglite' ? mkdtempSync(path.join(os.tmpdir(), 'actionroute-bench-pglite-')) : null
  // initdb in a process of its own, as the app does: in the server it would leave ~500 MB there (npm run bench:memory).
  if (dataDir) await run(process.execPath, ['--input-type=module', '-e', `import { PGlite } from '@electric-sql/pglite'; await (await PGlite.create(process.argv[1])).close()`, dataDir])
  if (name === 'postgres') await ensureDatabase(config.databaseUrl)
  const { base, server } = await startServer(database.env(dataDir))
  try {
    const table = usersTable(base)
    const targets = targetsOf(base)
    console.log("Sanity check (oRPC's onError interceptor logs the blank name it refuses: expected)")
    await sanityCheck(targets, table)
    for (const variant of VARIANTS) {
      await waitForQuiet(config.quiet)
      console.log(`Warm-up (${variant.key}) ${variant.label} for ${config.warmupSeconds} s`)
      await loadOf(targets[variant.id], variant, { duration: config.warmupSeconds })
      await table.settle()
    }
    const samples = []
    const problems = []
    const disturbed = []
    for (let round = 1; round <= config.rounds; round++) {
      for (const variant of orderOf(round)) {
        let sample = await measureRound(server, table, targets[variant.id], variant, round)
        for (let retry = 1; retry <= config.retries && sample.background > config.quiet.maxPercent; retry++) {
          console.log(`  other work used ${sample.background.toFixed(0)} % of the CPU around (${variant.key}): measuring it again`)
          sample = { ...(await measureRound(server, table, targets[variant.id], variant, round)), retries: retry }
        }
        samples.push(sample)
        console.log(
          `${database.label} round ${round} (${variant.key}) ${variant.label.padEnd(26)} ${sample.rps.toFixed(0).padStart(5)} req/s, ` +
            `p50 ${sample.p50} ms, p99 ${sample.p99} ms, ${sample.cpuUs.toFixed(0)} µs CPU/req, ${sample.rssMB.toFixed(0)} MB, ` +
            `${sample.rows} rows${sample.trouble.length ? '' : ' = 2xx'}`,
        )
        if (sample.trouble.length > 0) {
          const message = `${database.label} round ${round} (${variant.key}): ${sample.trouble.join('; ')}`
          problems.push(message)
          console.error(`\n!!!!!!!! ${message} !!!!!!!!\n`)
        }
        if (sample.background > config.quiet.maxPercent) {
          const message = `${database.label} round ${round} (${variant.key}): machine busy with other work (${sample.background.toFixed(0)} % CPU)`
          disturbed.push(message)
          console.error(`  !! ${message}: treat this round with suspicion`)
        }
      }
    }
    await table.truncate()
    return { name, label: database.label, samples, problems, disturbed }
  } finally {
    await stop(server)
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  }
}

// ---- summary

function summarize({ samples }) {
  const stats = Object.fromEntries(
    VARIANTS.map(({ id }) => {
      const mine = samples.filter((sample) => sample.variant === id)
      const rps = mine.map((sample) => sample.rps)
      const of = (field) => median(mine.map((sample) => sample[field]))
      return [id, { rps: median(rps), min: Math.min(...rps), max: Math.max(...rps), p50: of('p50'), p99: of('p99'), cpuUs: of('cpuUs'), rssMB: of('rssMB') }]
    }),
  )
  const rounds = [...new Set(samples.map((sample) => sample.round))]
  const rpsIn = (round, id) => samples.find((sample) => sample.round === round && sample.variant === id).rps
  // The goals are judged on the median of the per-round ratios: a round's two doors are measured within a minute of
  // each other, on the machine as it was then, while each door's median mixes rounds of a machine that speeds up
  // and slows down (on a shared VM, by as much as 2× within one run).
  const pairedOf = (ours, other) => rounds.map((round) => rpsIn(round, ours) / rpsIn(round, other))
  const ratios = RATIOS.map(({ ours, other, goal }) => {
    const paired = pairedOf(ours, other)
    const throughput = stats[ours].rps / stats[other].rps
    return {
      ours,
      other,
      throughput,
      paired: { median: median(paired), min: Math.min(...paired), max: Math.max(...paired) },
      cpu: stats[ours].cpuUs / stats[other].cpuUs,
      ...(goal ? { goal, met: median(paired) >= goal } : {}),
    }
  })
  const ahead = AHEAD.map(({ ours, of }) => ({
    ours,
    ratios: Object.fromEntries(of.map((other) => [other, median(pairedOf(ours, other))])),
    met: of.every((other) => median(pairedOf(ours, other)) > 1),
  }))
  return { stats, ratios, ahead }
}

// ---- report

const n0 = (value) => value.toFixed(0)
const ms = (value) => (Number.isInteger(value) ? String(value) : value.toFixed(1))
const verdict = (met) => (met ? '**met**' : '**missed**')

function tableOf(run) {
  const { stats, ratios, ahead } = run.summary
  const name = (id) => byId[id].label
  return [
    `### ${run.label}`,
    '',
    '| Variant | req/s (median) | req/s min–max | p50 ms | p99 ms | server CPU µs/req | server RSS MB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...VARIANTS.map(({ id, key, label }) => {
      const s = stats[id]
      return `| (${key}) ${label} | ${n0(s.rps)} | ${n0(s.min)}–${n0(s.max)} | ${ms(s.p50)} | ${ms(s.p99)} | ${n0(s.cpuUs)} | ${n0(s.rssMB)} |`
    }),
    '',
    ...ratios.map(
      (r) =>
        `- ${name(r.ours)} / ${name(r.other)}: **${r.paired.median.toFixed(3)}** req/s, the median of the rounds' ratios ` +
        `(${r.paired.min.toFixed(3)}–${r.paired.max.toFixed(3)}; the medians' ratio ${r.throughput.toFixed(3)}); ` +
        `CPU per request ${r.cpu.toFixed(3)}${r.goal ? `. Goal ≥ ${r.goal}: ${verdict(r.met)}` : ''}`,
    ),
    ...ahead.map(
      (a) =>
        `- Goal: ${name(a.ours)} ahead of ${Object.keys(a.ratios).map(name).join(' and ')}: ${verdict(a.met)} ` +
        `(${Object.entries(a.ratios).map(([other, ratio]) => `${ratio.toFixed(3)} × ${name(other)}`).join(', ')})`,
    ),
    run.problems.length > 0
      ? `- **INVALID: ${run.problems.length} round(s) with problems:** ${run.problems.join('; ')}`
      : '- Rows in `bench_users` equalled the 2xx count after every round.',
    ...(run.samples.some((sample) => sample.retries)
      ? [`- ${run.samples.filter((sample) => sample.retries).length} round(s) measured again: other work started during them.`]
      : []),
    run.disturbed.length > 0
      ? `- **NOISY: other processes used the CPU around ${run.disturbed.length} round(s)** (see "other CPU %" below).`
      : `- No other CPU load above ${config.quiet.maxPercent} % just before or after any round.`,
    '',
  ]
}

function report(data) {
  const lines = [
    '# Peer benchmark: one add-user insert through eight doors',
    '',
    `\`npm run bench\` (bench/peers.mjs, the app in bench/app): ${config.rounds} rounds of ${config.amount} requests per variant and database,`,
    `${config.connections} connections; medians over the rounds.`,
    '',
    '![Requests per second of each variant on PostgreSQL and on PGlite](peers.svg)',
    '',
    ...data.runs.flatMap(tableOf),
    '## What was measured',
    '',
    '- One production build (`next build`) of bench/app, served by `next start`, once per database: PostgreSQL through a',
    '  `pg` pool of 10, or PGlite in the server process (a fresh data directory in /tmp). Every variant validates with the',
    '  same zod 4 schema (`newUserInput`) and runs the same insert.',
    '- (a)–(c) take a JSON body. (d), (e) and (h) are called as `useActionState` calls them: `POST /actions` with',
    '  `Next-Action: <id from the build>` and React\'s multipart reply (`_1_name`, then `0` = `[{"status":"idle"},"$K1"]`);',
    '  (f) and (g) as a direct call with an object: `[{"name":…}]` as text/plain. Each answers 200 with an RSC payload.',
    '  Before measuring, every variant must store a valid user and refuse a blank name.',
    '- Ratios and goals: the median over the rounds of each round\'s ratio (a round measures both doors within a minute',
    '  of each other, on the machine as it was then); the ratio of the two doors\' medians is shown beside it.',
    '- The goals compare route() and formAction() with the same door written by hand. Against the other libraries,',
    '  the like-for-like pairs are route() and oRPC (JSON Route Handlers), action() and next-safe-action (actions',
    '  called with an object), and formAction() and next-safe-action\'s stateAction() (form actions); a form action',
    '  (multipart, form state) costs more than a JSON route or an action called with an object.',
    '- **req/s**: completed requests over the time to the last response. **p50/p99**: autocannon, whole milliseconds.',
    '  **server CPU µs/req**: utime + stime of the `next start` process tree (/proc/<pid>/stat) over the round, divided by',
    '  its requests; PostgreSQL\'s own processes are not in it (PGlite, in the server, is). **RSS**: VmRSS of that tree,',
    '  the highest reading in the round (sampled every 0.5 s), median over rounds; the server is shared by all',
    '  variants, so this is mostly the server\'s size at that point of the run.',
    `- Order: each round runs the variants in a fresh order, shuffled with the round's number as the seed; a ${config.warmupSeconds} s warm-up per variant first.`,
    '',
    '## Setup',
    '',
    `- Date: ${data.date}; took ${n0(data.seconds)} s in all`,
    `- Node ${process.version}, CPU ${data.machine.cpu} (${data.machine.cores} cores); ${pinNote}`,
    `- ${Object.entries(data.versions).map(([name, version]) => `${name} ${version}`).join(', ')}`,
    `- actionroute (last commit touching packages/actionroute/src): ${data.library}`,
    `- PostgreSQL: ${withoutPassword(config.databaseUrl)} (unpinned, on the same machine)`,
    `- Command: \`${data.command}\``,
    '',
    '## Rounds',
    '',
    '| Database | Round | Variant | req/s | p50 ms | p99 ms | CPU µs/req | RSS MB | other CPU % |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...data.runs.flatMap((run) =>
      run.samples.map(
        (s) =>
          `| ${run.label} | ${s.round} | (${byId[s.variant].key}) ${byId[s.variant].label} | ${n0(s.rps)} | ${s.p50} | ${s.p99} | ` +
          `${n0(s.cpuUs)} | ${n0(s.rssMB)} | ${n0(s.background)} |`,
      ),
    ),
    '',
  ]
  mkdirSync(resultsDir, { recursive: true })
  writeFileSync(path.join(resultsDir, 'peers.md'), lines.join('\n'))
  writeFileSync(path.join(resultsDir, 'peers.json'), `${JSON.stringify(data, null, 2)}\n`)
  writeFileSync(path.join(resultsDir, 'peers.svg'), chart(data, VARIANTS))
  console.log(`\n${data.runs.flatMap(tableOf).join('\n')}\nWritten to ${path.relative(process.cwd(), resultsDir) || '.'}/peers.md, peers.json and peers.svg`)
}

// ---- main

runBenchmark(async ({ started }) => {
  const runs = []
  for (const name of config.databases) {
    const run = await measureDatabase(name)
    runs.push({ ...run, summary: summarize(run) })
  }
  report({
    date: new Date().toISOString(),
    seconds: (Date.now() - started) / 1000,
    machine: { cpu: cpuModel(), cores, node: process.version, pinning: pinNote },
    versions: Object.fromEntries(
      ['next', '@orpc/server', '@orpc/openapi', 'next-safe-action', '@electric-sql/pglite', 'pg', 'zod'].map((name) => [name, packageVersion(name)]),
    ),
    library: libraryVersion(),
    command: commandLine('bench', 'npm run bench'),
    config: { ...config, databaseUrl: withoutPassword(config.databaseUrl) },
    runs,
  })
  if (runs.some((run) => run.problems.length > 0)) process.exitCode = 1
})
