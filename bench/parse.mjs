// The hostile-input benchmark (`npm run bench:parse`): what the worst request shapes we can build at ~1 MB
// (16 KB for a query string) cost the production build of apps/web. For each shape it reports the status
// answered, the server's CPU time per request (utime + stime of the server's process tree, /proc/<pid>/stat)
// and the latency of a GET /api/users sent while the bad request is being processed.
//
//   npm run bench:parse                                   this checkout, built in place into apps/web/.next-bench
//   BENCH_PARSE_AFTER=HEAD npm run bench:parse            a commit, in a temporary git worktree (npm ci + build there)
//   BENCH_PARSE_BEFORE=9a354e1 BENCH_PARSE_AFTER=HEAD …   both; the "before" column of the report
//   (or node bench/parse.mjs --after HEAD --before 9a354e1)
//
// Without --before the report keeps the "before" column of the previous bench/results/parse.json.
// Every build and every measurement runs under `flock $BENCH_LOCK` (default /tmp/actionroute-heavy.lock;
// BENCH_LOCK=none when the caller already holds it). The server runs on core 0, this client on core 1.
// Options (environment): BENCH_PARSE_REPS (5), BENCH_PARSE_TIMEOUT_S (40), BENCH_PARSE_ONLY (a regular
// expression on shape ids), BENCH_SKIP_BUILD=1 (reuse .next-bench), BENCH_KEEP_WORKTREES=1.
// Exit code 1 when the measured build (not "before") answers any shape with a 5xx or the server dies.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, createWriteStream } from 'node:fs'
import http from 'node:http'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { CLK_TCK, busyPercent, canPin, freePort, median, pinned, processTree, serverActions, sleep, statOf, treeCpuMs } from './harness.mjs'
import { BODY_LIMIT, GROUPS, SHAPE_IDS, buildShape, validActionRequest } from './parse-shapes.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const repoRoot = path.dirname(here)
const resultsDir = path.join(here, 'results')
const DIST_DIR = '.next-bench'
// Fixed, so the action ids of two builds of one commit agree (any 32 bytes, base64).
const ACTION_KEY = 'dVHklx0HBpt+SzyUDRhiwhtC5EUBmMCA8xlz1XGcxtw='
const GOAL_MS = 50
const SLOW_MS = 2000 // a shape this slow on its first request is measured once, not REPS times

const int = (name, fallback) => {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`)
  return value
}
const config = {
  reps: Math.max(5, int('BENCH_PARSE_REPS', 5)),
  timeoutMs: int('BENCH_PARSE_TIMEOUT_S', 40) * 1000,
  only: process.env.BENCH_PARSE_ONLY ? new RegExp(process.env.BENCH_PARSE_ONLY) : null,
  lock: process.env.BENCH_LOCK ?? '/tmp/actionroute-heavy.lock',
  skipBuild: process.env.BENCH_SKIP_BUILD === '1',
  keepWorktrees: process.env.BENCH_KEEP_WORKTREES === '1',
}

const round1 = (value) => (value === null ? null : Math.round(value * 10) / 10)

// ---- child processes: killed at the end, on error and on Ctrl-C

const children = new Set()
let stopping = false

/** Spawns a process in its own process group (so the whole group can be killed) and tracks it. */
function launch(command, args, options = {}) {
  if (stopping) throw new Error('stopping: nothing new is started')
  const child = spawn(command, args, { detached: true, ...options })
  children.add(child)
  child.on('exit', () => children.delete(child))
  return child
}

function killGroups(signal) {
  for (const child of children) {
    try {
      process.kill(-child.pid, signal)
    } catch {
      // already gone
    }
  }
}

/** Runs a command to completion, its output shown; rejects on a non-zero exit. */
function run(command, args, { cwd = repoRoot, env = process.env, quiet = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = launch(command, args, { cwd, env, stdio: ['ignore', quiet ? 'pipe' : 'inherit', quiet ? 'pipe' : 'inherit'] })
    let output = ''
    child.stdout?.on('data', (chunk) => (output += chunk))
    child.stderr?.on('data', (chunk) => (output += chunk))
    child.on('error', reject)
    child.on('exit', (code, signal) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${[command, ...args].join(' ').slice(0, 200)} exited with ${code ?? signal}\n${output.slice(-3000)}`)),
    )
  })
}

/** `command` under the shared heavy-work lock, so builds, e2e runs and benchmarks never overlap. */
const locked = (command, args) => (config.lock === 'none' ? [command, args] : ['flock', [config.lock, command, ...args]])

// =====================================================================================================
// The measuring process: `node parse.mjs --measure <json>` (under the lock, pinned to core 1). It serves
// one build with `next start` on core 0 and runs one group of shapes against it.
// =====================================================================================================

/** One HTTP exchange on a fresh connection; never rejects. `onSent` fires once the request is fully written. */
function exchange(base, { method, path: requestPath, headers = {}, body = null }, { timeoutMs, onSent, agent = false } = {}) {
  return new Promise((resolve) => {
    const started = performance.now()
    let settled = false
    const finish = (result) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve({ ms: performance.now() - started, ...result })
    }
    const request = http.request(`${base}${requestPath}`, {
      method,
      agent,
      headers: { ...headers, ...(body ? { 'content-length': body.length } : {}) },
    })
    const timer = setTimeout(() => {
      request.destroy()
      finish({ status: 'timeout', body: '' })
    }, timeoutMs ?? 60_000)
    request.on('finish', () => onSent?.())
    request.on('response', (response) => {
      const chunks = []
      response.on('data', (chunk) => chunks.push(chunk))
      response.on('end', () => finish({ status: response.statusCode, body: Buffer.concat(chunks).toString('utf8') }))
      response.on('error', (error) => finish({ status: response.statusCode, body: '', error: error.code ?? error.message }))
    })
    // The server may answer (413) and close before the whole body is written: only a missing answer is an error.
    request.on('error', (error) => setTimeout(() => finish({ status: 'error', body: '', error: error.code ?? error.message }), 50))
    request.end(body ?? undefined)
  })
}

/** What a response says in one word: the problem `code`, or the code in an action's error envelope. */
function answerOf(result) {
  if (typeof result.status !== 'number') return result.error ?? String(result.status)
  const code = result.body.match(/"code":"([A-Z_]+)"/)?.[1]
  const envelope = result.body.match(/"status":"(error|success)"/)?.[1]
  return [result.status, envelope === 'success' ? 'success' : code ?? (envelope ? 'error' : '')].filter(Boolean).join(' ')
}

/** The build's serverActions.bodySizeLimit in bytes (Next's `bytes` units: 1kb = 1024), 1 MB when not set. */
function actionBodyLimit(appDir) {
  const { config } = JSON.parse(readFileSync(path.join(appDir, DIST_DIR, 'required-server-files.json'), 'utf8'))
  const limit = config?.experimental?.serverActions?.bodySizeLimit
  if (limit === undefined || limit === null) return BODY_LIMIT
  if (typeof limit === 'number') return limit
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(limit)
  if (!match) throw new Error(`cannot read serverActions.bodySizeLimit ${JSON.stringify(limit)}`)
  return Math.floor(Number(match[1]) * 1024 ** ['b', 'kb', 'mb', 'gb'].indexOf((match[2] ?? 'b').toLowerCase()))
}

async function measureGroup({ appDir, nextBin, ids, label, resultFile }) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-parse-'))
  const logFile = path.join(tmp, 'server.log')
  const log = createWriteStream(logFile, { flags: 'a' })
  let server = null
  let serverPid = 0
  let starts = 0

  const killServer = () => {
    if (!serverPid) return
    for (const pid of processTree(serverPid).reverse()) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone
      }
    }
    serverPid = 0
  }
  const cleanUp = () => {
    killServer()
    rmSync(tmp, { recursive: true, force: true })
  }
  process.on('exit', cleanUp)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(130))
  // The orchestrator holds our stdin: when it goes away, so do we (and the server).
  if (process.env.BENCH_PARSE_PARENT_PIPE === '1') {
    process.stdin.on('end', () => process.exit(130))
    process.stdin.resume()
  }

  const port = await freePort()
  const host = `127.0.0.1:${port}`
  const base = `http://${host}`
  const tail = () => readFileSync(logFile, 'utf8').slice(-4000)
  const alive = () => serverPid !== 0 && statOf(serverPid) !== null && server.exitCode === null && server.signalCode === null

  async function startServer() {
    const dataDir = path.join(tmp, `data-${++starts}`)
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'DATABASE_URL' && !key.startsWith('npm_')))
    const [command, args] = pinned(0, process.execPath, [nextBin, 'start', '-p', String(port), '-H', '127.0.0.1'])
    server = spawn(command, args, {
      cwd: appDir,
      env: {
        ...env,
        NODE_ENV: 'production',
        NEXT_DIST_DIR: DIST_DIR,
        DATA_DIR: dataDir,
        NEXT_SERVER_ACTIONS_ENCRYPTION_KEY: ACTION_KEY,
        NEXT_TELEMETRY_DISABLED: '1',
        // Hundreds of writes a minute from one address: what is measured is parsing, not the write limit.
        RATE_LIMIT_WRITES: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    serverPid = server.pid
    server.stdout.pipe(log, { end: false })
    server.stderr.pipe(log, { end: false })
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(200)) {
      if (!alive()) throw new Error(`next start exited before answering. Its log:\n${tail()}`)
      const result = await exchange(base, { method: 'GET', path: '/api/users' }, { timeoutMs: 20_000 })
      if (result.status === 200) return
      if (typeof result.status === 'number') throw new Error(`GET /api/users answered ${result.status} at start-up:\n${result.body.slice(0, 500)}\n${tail()}`)
    }
    throw new Error(`next start did not answer GET /api/users with 200 within 60 s. Its log:\n${tail()}`)
  }

  const action = serverActions(path.join(appDir, DIST_DIR)).addUserAction
  if (!action) throw new Error('addUserAction is not in the server reference manifest')
  const { id: actionId, path: actionPath } = action
  const context = { host, actionId, actionPath, actionLimit: actionBodyLimit(appDir) }

  const get = (timeoutMs) => exchange(base, { method: 'GET', path: '/api/users' }, { timeoutMs })

  /** Sanity check and warm-up: each door answers a valid request as it should. */
  async function warmUp() {
    const problems = []
    const deadline = Date.now() + 3000
    for (let index = 0; Date.now() < deadline; index++) {
      const json = await exchange(base, {
        method: 'POST',
        path: '/api/addUser',
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify({ name: `Warm ${index}` })),
      })
      if (json.status !== 201) problems.push(`POST /api/addUser (JSON) → ${answerOf(json)}`)
      const form = await exchange(base, {
        method: 'POST',
        path: '/api/addUser',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(`name=Form+${index}`),
      })
      if (form.status !== 201) problems.push(`POST /api/addUser (urlencoded) → ${answerOf(form)}`)
      const name = `Action ${index}`
      const submitted = await exchange(base, validActionRequest(context, name))
      if (submitted.status !== 200 || !submitted.body.includes(`User ${name} added via server action`)) {
        problems.push(`Server Action ${actionId} at ${actionPath} → ${answerOf(submitted)}: ${submitted.body.slice(0, 300)}`)
      }
      const list = await get(10_000)
      if (list.status !== 200) problems.push(`GET /api/users → ${answerOf(list)}`)
      if (problems.length > 0) throw new Error(`Sanity check failed:\n${[...new Set(problems)].join('\n')}`)
    }
    const latencies = []
    for (let index = 0; index < 20; index++) latencies.push((await get(10_000)).ms)
    return { median: round1(median(latencies)), max: round1(Math.max(...latencies)) }
  }

  /**
   * Sends the bad request; once it is fully written, sends GET /api/users one after another until the bad
   * request is answered (at least one). Returns the bad request's result, its server CPU and the slowest GET.
   */
  async function withProbe(request, timeoutMs) {
    let sent
    const written = new Promise((resolve) => (sent = resolve))
    const cpuBefore = treeCpuMs(serverPid)
    let answered = false
    const bad = exchange(base, request, { timeoutMs, onSent: sent }).then((result) => {
      answered = true
      return result
    })
    await Promise.race([written, bad])
    const probes = []
    const probeDeadline = Date.now() + timeoutMs
    do {
      const probe = await get(Math.max(1000, probeDeadline - Date.now()))
      probes.push(probe.status === 200 ? probe.ms : Infinity)
    } while (!answered && Date.now() < probeDeadline)
    const result = await bad
    await sleep(20)
    return { result, cpuMs: treeCpuMs(serverPid) - cpuBefore, probes }
  }

  /** CPU alone: `batch` requests back to back, no other traffic; ms of server CPU per request. */
  async function cpuRound(request, batch, timeoutMs) {
    const before = treeCpuMs(serverPid)
    const results = []
    for (let index = 0; index < batch; index++) results.push(await exchange(base, request, { timeoutMs }))
    await sleep(20)
    return { cpuMs: (treeCpuMs(serverPid) - before) / batch, results }
  }

  async function measureShape(shape) {
    const request = shape.request
    const bytes = request.body ? request.body.length : Buffer.byteLength(`GET ${request.path} HTTP/1.1`)
    const row = { id: shape.id, door: shape.door, label: shape.label, detail: shape.detail, bytes }
    row.otherCpuPercent = Math.round(await busyPercent(300))
    const statuses = new Set()
    const answers = new Set()
    const note = (result) => {
      statuses.add(result.status)
      answers.add(answerOf(result))
    }

    // First request: the warm-up of this shape, and its only sample when it is slow.
    const scout = await withProbe(request, config.timeoutMs)
    note(scout.result)
    row.sample = scout.result.body.slice(0, 240)
    if (scout.result.status === 'timeout' || scout.result.ms >= SLOW_MS) {
      const timedOut = scout.result.status === 'timeout'
      row.timedOut = timedOut
      row.requests = 1
      row.cpuMs = { median: round1(scout.cpuMs), samples: [round1(scout.cpuMs)], batch: 1, lowerBound: timedOut }
      row.elapsedMs = round1(scout.result.ms)
      const slowest = Math.max(...scout.probes)
      row.getMs = { median: round1(slowest), max: round1(slowest), lowerBound: !Number.isFinite(slowest) || timedOut }
      if (!Number.isFinite(slowest)) row.getMs = { median: config.timeoutMs, max: config.timeoutMs, lowerBound: true }
      row.note = timedOut
        ? `no answer within ${config.timeoutMs / 1000} s: server killed and restarted`
        : 'slow: measured once (CPU includes the few concurrent GETs)'
      if (timedOut || !alive()) {
        killServer()
        await startServer()
      }
    } else {
      // Enough requests per CPU round that 1/CLK_TCK rounding stays small next to the result.
      const batch = Math.min(20, Math.max(1, Math.ceil(200 / Math.max(scout.cpuMs, 1))))
      const samples = []
      for (let index = 0; index < config.reps; index++) {
        const { cpuMs, results } = await cpuRound(request, batch, config.timeoutMs)
        results.forEach(note)
        samples.push(round1(cpuMs))
      }
      const slowest = []
      for (let index = 0; index < config.reps; index++) {
        const { result, probes } = await withProbe(request, config.timeoutMs)
        note(result)
        slowest.push(Math.max(...probes))
      }
      row.requests = 1 + config.reps * (batch + 1)
      row.cpuMs = { median: round1(median(samples)), samples, batch }
      row.elapsedMs = round1(scout.result.ms)
      row.getMs = { median: round1(median(slowest)), max: round1(Math.max(...slowest)), samples: slowest.map(round1) }
    }
    row.status = [...statuses].join('/')
    row.answer = [...answers].join(' / ')
    row.serverError = [...statuses].some((status) => typeof status === 'number' && status >= 500)
    row.notAnswered = [...statuses].some((status) => typeof status !== 'number')
    if (!alive()) {
      row.serverDied = true
      row.note = `${row.note ?? ''} THE SERVER DIED; restarted. ${tail().slice(-600)}`.trim()
      killServer()
      await startServer()
    }
    return row
  }

  const results = { label, group: ids, startedAt: new Date().toISOString(), actionBodyLimit: context.actionLimit, shapes: [] }
  const spawnedAt = Number(process.env.BENCH_PARSE_SPAWNED_AT)
  if (spawnedAt) console.log(`  [${label}] holding the lock (waited ${Math.round((Date.now() - spawnedAt) / 1000)} s)`)
  await startServer()
  results.baselineGetMs = await warmUp()
  console.log(`  [${label}] server up (pid ${serverPid}); GET /api/users alone: median ${results.baselineGetMs.median} ms`)
  for (const id of ids) {
    const shape = buildShape(id, context)
    const shapeStarted = Date.now()
    const row = await measureShape(shape)
    row.seconds = round1((Date.now() - shapeStarted) / 1000)
    results.shapes.push(row)
    const flag = row.serverError || row.notAnswered || row.serverDied ? '  !!!!!!!!' : ''
    console.log(
      `  [${label}] ${id.padEnd(26)} ${String(row.bytes).padStart(8)} B  ${String(row.answer).padEnd(28)}` +
        ` CPU ${row.cpuMs.lowerBound ? '>' : ''}${row.cpuMs.median} ms/req  GET ${row.getMs.median}/${row.getMs.max} ms  (${row.seconds} s)${flag}`,
    )
    writeFileSync(resultFile, JSON.stringify(results))
  }
  results.serverLogTail = tail().slice(-2000)
  writeFileSync(resultFile, JSON.stringify(results))
}

// =====================================================================================================
// The orchestrator: prepares each build (worktree, npm ci, next build), runs the groups, writes the report.
// =====================================================================================================

const git = (...args) => spawnSync('git', ['-C', repoRoot, ...args], { encoding: 'utf8' })

function parseArgs(argv) {
  const options = { after: process.env.BENCH_PARSE_AFTER || '.', before: process.env.BENCH_PARSE_BEFORE || null, report: false }
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]
    if (arg === '--after' || arg === '--before') options[arg.slice(2)] = argv[++index]
    else if (arg === '--report') options.report = true // only re-render parse.md from parse.json
    else throw new Error(`unknown argument ${arg}; use --after <commit|.>, --before <commit> or --report`)
  }
  return options
}

/** A commit, named by the last change to the code measured (the library or the app) when it is not that. */
function describeCommit(ref) {
  const short = (format, ...paths) => {
    const line = git('log', '-1', `--format=${format}`, ref, '--', ...paths).stdout.trim()
    return line.length > 100 ? `${line.slice(0, 99)}…` : line
  }
  const head = short('%h')
  const last = short('%h %s', 'packages/actionroute', 'apps/web')
  return last.startsWith(`${head} `) ? last : `${head} (app and library as of ${last})`
}

/** A place to build `ref`: this checkout for ".", else a fresh worktree in /tmp with its own npm ci. */
async function prepareTree(ref, label) {
  if (ref === '.') {
    const commit = describeCommit('HEAD')
    const dirty = git('status', '--porcelain', '--', 'packages/actionroute', 'apps/web').stdout.trim()
    return { root: repoRoot, ref, commit: dirty ? `${commit} + uncommitted changes` : commit, worktree: false }
  }
  const sha = git('rev-parse', '--verify', `${ref}^{commit}`).stdout.trim()
  if (!sha) throw new Error(`no such commit: ${ref}`)
  const root = path.join(os.tmpdir(), `actionroute-parse-${label}-${sha.slice(0, 8)}`)
  const commit = describeCommit(sha)
  if (existsSync(path.join(root, 'node_modules')) && config.keepWorktrees) {
    console.log(`Reusing the worktree ${root} (${commit})`)
    return { root, ref, commit, worktree: true }
  }
  if (existsSync(root)) git('worktree', 'remove', '--force', root)
  rmSync(root, { recursive: true, force: true })
  git('worktree', 'prune')
  const added = git('worktree', 'add', '--detach', root, sha)
  if (added.status !== 0) throw new Error(`git worktree add failed: ${added.stderr}`)
  console.log(`Worktree ${root} at ${commit}: npm ci (locked)…`)
  await run(...locked('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline']), { cwd: root, quiet: true })
  return { root, ref, commit, worktree: true }
}

function removeTree(tree) {
  if (!tree?.worktree || config.keepWorktrees) return
  git('worktree', 'remove', '--force', tree.root)
  rmSync(tree.root, { recursive: true, force: true })
  git('worktree', 'prune')
}

/**
 * `next build` may add the dist dir's types to tsconfig.json's "include" and point next-env.d.ts at it. In
 * this (shared) checkout, put both files back as they were before the build.
 */
function undoBuildEdits(appDir, before) {
  for (const [name, text] of Object.entries(before)) {
    const file = path.join(appDir, name)
    if (text !== null && existsSync(file) && readFileSync(file, 'utf8') !== text) {
      writeFileSync(file, text)
      console.log(`(put back apps/web/${name} as it was before next build)`)
    }
  }
}

async function build(tree) {
  const appDir = path.join(tree.root, 'apps/web')
  const nextBin = createRequire(path.join(appDir, 'package.json')).resolve('next/dist/bin/next')
  if (config.skipBuild && existsSync(path.join(appDir, DIST_DIR, 'BUILD_ID'))) {
    console.log(`BENCH_SKIP_BUILD=1: reusing ${path.join(appDir, DIST_DIR)}`)
    return { appDir, nextBin }
  }
  const nextEnvFile = path.join(appDir, 'next-env.d.ts')
  const textOf = (file) => (existsSync(file) ? readFileSync(file, 'utf8') : null)
  const before = { 'next-env.d.ts': textOf(nextEnvFile), 'tsconfig.json': textOf(path.join(appDir, 'tsconfig.json')) }
  console.log(`next build into ${path.join(appDir, DIST_DIR)} (locked)…`)
  const env = { ...process.env, NODE_ENV: 'production', NEXT_DIST_DIR: DIST_DIR, NEXT_SERVER_ACTIONS_ENCRYPTION_KEY: ACTION_KEY, NEXT_TELEMETRY_DISABLED: '1' }
  delete env.DATABASE_URL
  try {
    await run(...locked(process.execPath, [nextBin, 'build']), { cwd: appDir, env, quiet: true })
  } finally {
    if (!tree.worktree) undoBuildEdits(appDir, before)
  }
  return { appDir, nextBin }
}

async function measureTree(tree, label, { before }) {
  const { appDir, nextBin } = await build(tree)
  const groups = Object.entries(GROUPS)
    .map(([name, ids]) => [name, ids.filter((id) => !config.only || config.only.test(id))])
    .filter(([, ids]) => ids.length > 0)
  const measured = { label, ref: tree.ref, commit: tree.commit, date: new Date().toISOString(), timeoutMs: config.timeoutMs, reps: config.reps, groups: [], shapes: [] }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-parse-results-'))
  try {
    for (const [name, ids] of groups) {
      const resultFile = path.join(tmp, `${name}.json`)
      const job = JSON.stringify({ appDir, nextBin, ids, label: `${label} ${name}`, resultFile })
      console.log(`${label}: ${name} (${ids.length} shapes, locked run)…`)
      const [command, args] = locked(...pinned(1, process.execPath, [fileURLToPath(import.meta.url), '--measure', job]))
      const startedAt = Date.now()
      let failure = null
      await new Promise((resolve) => {
        const child = launch(command, args, { stdio: ['pipe', 'inherit', 'inherit'], env: { ...process.env, BENCH_PARSE_PARENT_PIPE: '1', BENCH_PARSE_SPAWNED_AT: String(Date.now()) } })
        child.on('exit', (code, signal) => {
          if (code !== 0) failure = `the measuring process exited with ${code ?? signal}`
          resolve()
        })
      })
      const result = existsSync(resultFile) ? JSON.parse(readFileSync(resultFile, 'utf8')) : { shapes: [] }
      measured.groups.push({
        name,
        seconds: Math.round((Date.now() - startedAt) / 1000),
        baselineGetMs: result.baselineGetMs,
        actionBodyLimit: result.actionBodyLimit,
        failure,
      })
      measured.shapes.push(...result.shapes)
      if (failure && !before) throw new Error(`${label} ${name}: ${failure}`)
      if (failure) console.error(`!! ${label} ${name}: ${failure} (kept what was measured)`)
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
  return measured
}

// ---- report

const machine = () => ({
  cpu: readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? 'unknown',
  cores: os.availableParallelism(),
  node: process.version,
  next: createRequire(path.join(repoRoot, 'apps/web/package.json'))('next/package.json').version,
  pinning: canPin ? 'server on core 0, client on core 1 (taskset)' : 'NOT pinned',
  clockTicks: CLK_TCK,
})

function cpuText(row) {
  if (!row) return '–'
  if (row.timedOut) return `> ${Math.round(row.cpuMs.median / 1000)} s`
  const value = row.cpuMs.median
  return value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)}`
}
function getText(row) {
  if (!row) return '–'
  const show = (value) => (value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)}`)
  const prefix = row.getMs.lowerBound ? '> ' : ''
  return row.getMs.median === row.getMs.max ? `${prefix}${show(row.getMs.max)}` : `${show(row.getMs.median)} / ${prefix}${show(row.getMs.max)}`
}
const statusText = (row) => (row ? `${row.serverError || row.notAnswered ? '**' : ''}${row.answer}${row.serverError || row.notAnswered ? '**' : ''}` : '–')

function verdict(row, baseline) {
  if (!row) return ''
  const slowCpu = row.timedOut || row.cpuMs.median > GOAL_MS
  // The median: the max of five on a core shared with other people's work says more about them than about us.
  const slowGet = row.getMs.lowerBound || row.getMs.median - (baseline ?? 0) > GOAL_MS
  const marks = []
  if (row.serverError) marks.push('5xx')
  if (row.notAnswered) marks.push('no answer')
  if (slowCpu) marks.push('CPU')
  if (slowGet) marks.push('GET')
  return marks.length ? `✗ ${marks.join(', ')}` : '✓'
}

const actionLimits = (run) =>
  [...new Set((run?.groups ?? []).map((group) => group.actionBodyLimit).filter(Boolean))].map((limit) => `${limit / 1024} KB`).join(', ') || '–'

function writeReport(data) {
  const { before, after } = data.runs
  const reps = after?.reps ?? before?.reps ?? config.reps
  const byId = (run) => new Map((run?.shapes ?? []).map((row) => [row.id, row]))
  const [b, a] = [byId(before), byId(after)]
  const baseline = (run) => median((run?.groups ?? []).map((group) => group.baselineGetMs?.median).filter((value) => value != null))
  const ids = SHAPE_IDS.filter((id) => a.has(id) || b.has(id))
  const m = data.machine
  const lines = [
    '# Hostile request shapes: server CPU and a concurrent GET',
    '',
    `\`npm run bench:parse\` (bench/parse.mjs, shapes in bench/parse-shapes.mjs): each shape as large as its door allows`,
    `(bodies just under the 1 MB limit of ${BODY_LIMIT.toLocaleString('en')} bytes, a query string just under Node's 16 KB header limit),`,
    'sent to the production build of apps/web (PGlite) one at a time.',
    '',
    `- **CPU ms/req**: utime + stime of the \`next start\` process tree from /proc/<pid>/stat, before and after; median over`,
    `  ≥ ${reps} rounds (each of enough back-to-back requests for the ${1000 / m.clockTicks} ms clock tick to matter little).`,
    '  A shape slower than 2 s is sent once; one without an answer within the timeout reads "> N s" and its server is',
    '  killed and restarted.',
    '- **GET ms**: GET /api/users sent as soon as the bad request is written, again and again until the bad one is',
    `  answered; the slowest of them, median / max over ≥ ${reps} bad requests. Alone it takes` +
      ` ${round1(baseline(after))} ms (after), ${round1(baseline(before))} ms (before).`,
    `- Goal: ≤ ${GOAL_MS} ms of CPU per request and a GET delayed (median, over its time alone) by no more than that.`,
    '  **Status** is the status and the `code` answered (an action answers 200 with the error in its envelope);',
    '  a 5xx is in bold.',
    `- Action bodies are sized under the build's \`serverActions.bodySizeLimit\`: ${actionLimits(before)} before, ${actionLimits(after)} after.`,
    '',
    `Before: \`${before?.commit ?? '(not measured)'}\`, ${before?.date ?? ''}; requests capped at ${(before?.timeoutMs ?? 0) / 1000} s.  `,
    `After: \`${after?.commit ?? '(not measured)'}\`, ${after?.date ?? ''}.`,
    '',
    '| Shape | Size | Bytes | Status before → after | CPU ms/req before → after | GET ms before → after | After vs goal |',
    '| --- | --- | ---: | --- | ---: | ---: | --- |',
    ...ids.map((id) => {
      const [x, y] = [b.get(id), a.get(id)]
      const any = y ?? x
      // A door whose limit changed between the two builds gets a differently sized shape: show both.
      const both = (pick) => (x && y && pick(x) !== pick(y) ? `${pick(x)} → ${pick(y)}` : pick(any))
      return (
        `| \`${id}\`: ${any.label} | ${both((row) => row.detail)} | ${both((row) => row.bytes.toLocaleString('en'))}` +
        ` | ${statusText(x)} → ${statusText(y)}` +
        ` | ${cpuText(x)} → **${cpuText(y)}** | ${getText(x)} → **${getText(y)}** | ${verdict(y, baseline(after))} |`
      )
    }),
    '',
  ]
  const overGoal = ids.map((id) => a.get(id)).filter((row) => row && verdict(row, baseline(after)) !== '✓')
  lines.push(
    overGoal.length
      ? `**After, off the goal:** ${overGoal.map((row) => `\`${row.id}\` (${verdict(row, baseline(after)).slice(2)})`).join(', ')}.`
      : `**After: every shape within the goal, none answered 5xx.**`,
    '',
  )
  const before5xx = ids.map((id) => b.get(id)).filter((row) => row?.serverError)
  if (before5xx.length) lines.push(`Before, answered 5xx: ${before5xx.map((row) => `\`${row.id}\``).join(', ')}.`, '')
  const notes = ids.flatMap((id) => [b.get(id), a.get(id)].filter((row) => row?.note).map((row) => `- \`${id}\` (${row === b.get(id) ? 'before' : 'after'}): ${row.note}`))
  if (notes.length) lines.push('Notes:', '', ...notes, '')
  lines.push(
    '## Setup',
    '',
    `- ${m.cpu} (${m.cores} cores), Node ${m.node}, next ${m.next}; ${m.pinning}; shared machine: the "other CPU %"`,
    '  of each shape (all cores, just before it) is in parse.json. CPU time is robust to that; latency is not.',
    `- Wall time of each locked run, lock waits included: ${[before, after].filter(Boolean).map((run) => `${run.label} ${run.groups.map((group) => `${group.name} ${group.seconds} s`).join(', ')}`).join('; ')}.`,
    '- Multipart parts carry a 1-character boundary and the usual `Content-Disposition: form-data; name="…"`:',
    '  ~52 bytes a part, so about 20,000 fit in 1 MB; the 50,000-part body (2.6 MB) is there to show it is refused cheaply.',
    '- The action door: `POST /` with `Next-Action: <addUserAction id>`, `Accept: text/x-component` and a multipart body of',
    '  `_1_<name>` entries followed by `0` = `[{"status":"idle"},"$K1"]`; a valid submission is checked before measuring.',
    '',
  )
  writeFileSync(path.join(resultsDir, 'parse.md'), lines.join('\n'))
  writeFileSync(path.join(resultsDir, 'parse.json'), `${JSON.stringify(data, null, 2)}\n`)
}

async function main() {
  const options = parseArgs(process.argv.slice(2))
  process.on('exit', () => killGroups('SIGKILL'))
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      if (stopping) return
      stopping = true
      console.error(`\n${signal}: stopping the servers`)
      killGroups('SIGTERM')
      setTimeout(() => process.exit(130), 2000)
    })
  }
  mkdirSync(resultsDir, { recursive: true })
  const previous = existsSync(path.join(resultsDir, 'parse.json')) ? JSON.parse(readFileSync(path.join(resultsDir, 'parse.json'), 'utf8')) : null
  if (options.report) {
    if (!previous) throw new Error('no bench/results/parse.json to render')
    writeReport(previous)
    console.log('Re-rendered bench/results/parse.md from parse.json.')
    return
  }
  const data = { machine: machine(), runs: { before: previous?.runs?.before ?? null, after: previous?.runs?.after ?? null } }
  const started = Date.now()

  if (options.before) {
    const tree = await prepareTree(options.before, 'before')
    try {
      data.runs.before = await measureTree(tree, 'before', { before: true })
    } finally {
      removeTree(tree)
    }
  }
  const tree = await prepareTree(options.after, 'after')
  try {
    data.runs.after = await measureTree(tree, 'after', { before: false })
  } finally {
    removeTree(tree)
  }
  data.machine.date = new Date().toISOString()
  data.seconds = Math.round((Date.now() - started) / 1000)
  writeReport(data)
  console.log(`\nWrote bench/results/parse.md and parse.json (${data.seconds} s).`)

  const bad = data.runs.after.shapes.filter((row) => row.serverError || row.notAnswered || row.serverDied)
  if (bad.length) {
    console.error(`\n!!!!!!!! ${bad.length} shape(s) answered 5xx, got no answer or killed the server: ${bad.map((row) => `${row.id} (${row.answer})`).join(', ')} !!!!!!!!\n`)
    process.exitCode = 1
  }
}

if (process.argv[2] === '--measure') {
  measureGroup(JSON.parse(process.argv[3])).then(
    () => process.exit(0),
    (error) => {
      console.error(error)
      process.exit(1)
    },
  )
} else {
  main().catch((error) => {
    console.error(error)
    process.exitCode = 1
  })
}
