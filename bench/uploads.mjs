// The upload benchmark (`npm run bench:uploads`), issue 17's two measurements, each from one run:
//
//  1. Route door, one big file: a BENCH_UPLOAD_MB (100) MiB file of random bytes, sent as multipart/form-data, through
//     actionroute's route() in a production build of bench/app (app/upload/route.ts: `z.object({ file:
//     z.file().max(200_000_000) })`, the file streamed into the default sink, temporaryFiles(), removed when the call
//     ends; the handler answers `file.size`), against a bare `node:http` server that pipes the same request body to a
//     file in the same directory with stream.pipeline, then stats and removes it (the sink's file is removed before
//     route() answers too). For reference, a third door: a Route Handler written by hand in the same build
//     (app/upload-hand/route.ts) piping `request.body` to a file, which tells Next's share from actionroute's. These
//     three run with NODE_ARGS (see there: V8's collector on the one core they have); a fourth door, route() again in
//     a second `next start` with V8's defaults, tells what that changes (none when BENCH_UPLOAD_NODE_ARGS is empty).
//     The servers run on core 0 at once (the idle ones cost nothing); this script streams each body from the file
//     with node:http on core 1. BENCH_UPLOAD_WARMUP (4) uploads per door right after the start (a fresh server is
//     2–3 × slower on its first ones), then rounds of BENCH_UPLOAD_PER_ROUND (3) uploads per door, one after the other,
//     each door first in turn (one upload takes a quarter of a second: alone, it is at the mercy of a hiccup), in two
//     phases (see PHASES): BENCH_UPLOAD_ROUNDS (7) rounds with the doors taking turns within seconds, then
//     BENCH_UPLOAD_IDLE_ROUNDS (3; 0 for none) with each door measured after BENCH_UPLOAD_IDLE_SECONDS (30) idle.
//     Per door and round: MiB/s of the bodies (each from its first byte sent to its answer read), the server's CPU
//     time per 100 MiB, core 0's busy time that was not the server's, and the server's RSS before and at its peak
//     (sampled every 100 ms). Per round, route() ÷ bare; the median over the rounds. Goal (issue 17): ≥ 0.8, RSS flat.
//  2. Avatar upload end to end on the User Directory (apps/web), started as `npm start` starts it (scripts/start.mjs;
//     built here once first when the build is stale, then START_NO_BUILD=1: both databases serve the same build, even
//     if the sources change meanwhile), on PGlite in a fresh DATA_DIR and on PostgreSQL: `PUT
//     /api/users/{id}/avatar` with a ~1 MB PNG in the multipart field `avatar` (made with the app's sharp), to 16
//     users seeded through POST /api/users in turn; the app parses, sniffs, resizes to a 256×256 WebP and stores it.
//     BENCH_AVATAR_WARMUP (20) requests, then BENCH_AVATAR_REQUESTS (200), BENCH_AVATAR_CONCURRENCY (4) at a time:
//     p50, p99 (nearest rank), mean and max latency, req/s, the server's CPU per request and its RSS. Writes are open
//     without API_KEYS (the app's default); RATE_LIMIT_WRITES=0 and LOG_LEVEL=silent, as in bench/memory.mjs. Every
//     answer must be 200, the stored avatar a 256×256 WebP, and no upload directory may be left in the server's TMPDIR.
//
// Writes bench/results/uploads.md and uploads.json. Takes the heavy-work lock itself (BENCH_LOCK=none when the
// caller holds it). Before each measured upload or batch it waits for the machine to be quiet, and measures an upload
// again (BENCH_RETRIES, 2, times at most) when other work used the CPU around it. Options (environment):
// BENCH_UPLOAD_PARTS (route,avatar), BENCH_UPLOAD_MB, BENCH_UPLOAD_WARMUP, BENCH_UPLOAD_ROUNDS, BENCH_UPLOAD_PER_ROUND,
// BENCH_UPLOAD_IDLE_ROUNDS, BENCH_UPLOAD_IDLE_SECONDS, BENCH_UPLOAD_NODE_ARGS (NODE_ARGS),
// BENCH_AVATAR_DATABASES (pglite,postgres), BENCH_AVATAR_REQUESTS, BENCH_AVATAR_CONCURRENCY, BENCH_AVATAR_WARMUP,
// BENCH_AVATAR_DATABASE_URL (postgres://postgres@127.0.0.1:5432/actionroute_uploads: created, its schemas dropped
// first), BENCH_DATABASE_URL (the bench app's, as for peers.mjs: next start needs it to answer GET /rows at
// start-up), BENCH_SKIP_BUILD=1 (bench/app), BENCH_MAX_BACKGROUND_CPU (10 %), BENCH_QUIET_WAIT_SECONDS (120).
import { closeSync, createReadStream, createWriteStream, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { stat, unlink } from 'node:fs/promises'
import http from 'node:http'
import { spawnSync } from 'node:child_process'
import { randomBytes, randomFillSync } from 'node:crypto'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'

/**
 * V8 flags for the servers of part 1 (but the fourth door's). Each server has one core (taskset), as in a container
 * with one CPU, and V8's collector by default hands marking and sweeping to threads of its own, which then wait for
 * that same core: after some idle time (see PHASES), the memory of the chunks an upload has already dropped is not
 * swept in time and sets off a full collection every 40–90 ms. --single-threaded-gc does that work on the main
 * thread, at once. The README recommends it for a server on one core; it must be given on node's command line
 * (NODE_OPTIONS refuses it).
 */
const NODE_ARGS = '--single-threaded-gc'

// ---- the bare baseline server: `node uploads.mjs --bare-server <dir>` (started by the benchmark below)

if (process.argv[2] === '--bare-server') {
  const dir = process.argv[3]
  let count = 0
  const server = http.createServer(async (request, response) => {
    if (request.method !== 'POST') return void response.end('ok')
    const file = path.join(dir, `bare-${process.pid}-${++count}`)
    try {
      await pipeline(request, createWriteStream(file, { flags: 'wx', mode: 0o600 }))
      const { size } = await stat(file)
      await unlink(file)
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ size }))
    } catch (error) {
      await unlink(file).catch(() => {})
      response.writeHead(500).end(String(error))
    }
  })
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })))
} else {
  await benchmark()
}

async function benchmark() {
  const { assertAlive, benchDir, busyPercent, CLK_TCK, commandLine, cores, cpuModel, ensureDatabase, int, launch, libraryVersion,
    median, nextBin, packageVersion, pinNote, pinned, processTree, runBenchmark, sleep, startApp, startServer, stop, treeCpuMs, treeRssBytes, waitForQuiet,
    withoutPassword } = await import('./harness.mjs')

  const { default: pg } = await import('pg')
  const webDir = path.join(benchDir, '../apps/web')
  // The app's own sharp (the image library the avatar route uses), to make the PNG it receives.
  const sharp = createRequire(path.join(webDir, 'package.json'))('sharp')
  const list = (value) => value.split(',').map((name) => name.trim()).filter(Boolean)
  const MiB = 2 ** 20

  const config = {
    parts: list(process.env.BENCH_UPLOAD_PARTS || 'route,avatar'),
    fileMiB: int('BENCH_UPLOAD_MB', 100),
    // V8 flags for the servers of part 1 but the "route(), V8's defaults" door, which runs only when flags are given.
    nodeArgs: (process.env.BENCH_UPLOAD_NODE_ARGS ?? NODE_ARGS).split(/\s+/).filter(Boolean),
    rounds: int('BENCH_UPLOAD_ROUNDS', 7),
    warmup: int('BENCH_UPLOAD_WARMUP', 4),
    perRound: int('BENCH_UPLOAD_PER_ROUND', 3),
    idleRounds: Number(process.env.BENCH_UPLOAD_IDLE_ROUNDS ?? 3),
    idleSeconds: int('BENCH_UPLOAD_IDLE_SECONDS', 30),
    // A measurement disturbed by other work is taken again, this many times at most.
    retries: Number(process.env.BENCH_RETRIES ?? 2),
    avatarDatabases: list(process.env.BENCH_AVATAR_DATABASES || 'pglite,postgres'),
    avatarRequests: int('BENCH_AVATAR_REQUESTS', 200),
    avatarConcurrency: int('BENCH_AVATAR_CONCURRENCY', 4),
    avatarWarmup: int('BENCH_AVATAR_WARMUP', 20),
    avatarDatabaseUrl: process.env.BENCH_AVATAR_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/actionroute_uploads',
    benchDatabaseUrl: process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/actionroute_bench',
    quiet: { maxPercent: int('BENCH_MAX_BACKGROUND_CPU', 10), seconds: int('BENCH_QUIET_WAIT_SECONDS', 120) },
  }
  for (const part of config.parts) if (!['route', 'avatar'].includes(part)) throw new Error(`BENCH_UPLOAD_PARTS: unknown part "${part}"; use route, avatar or both`)
  for (const name of config.avatarDatabases) if (!['pglite', 'postgres'].includes(name)) throw new Error(`BENCH_AVATAR_DATABASES: unknown database "${name}"`)

  /** Samples a server's RSS every 100 ms from now; `done()` stops and answers the reading before and the peak, in bytes. */
  function rssOf(pid) {
    // The tree is listed once (a scan of /proc every 100 ms would cost the sender's core more than the reading).
    const pids = processTree(pid)
    const rss = () => pids.reduce((sum, one) => sum + rssBytesOf(one), 0)
    const before = rss()
    let peak = before
    const timer = setInterval(() => (peak = Math.max(peak, rss())), 100)
    return { before, done: () => (clearInterval(timer), { before, peak: Math.max(peak, rss()) }) }
  }

  /** VmRSS of one process, in bytes (0 once it is gone). */
  function rssBytesOf(pid) {
    try {
      return Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m)?.[1] ?? 0) * 1024
    } catch {
      return 0
    }
  }

  /** Busy time of one core so far, in ms (/proc/stat: all but idle and iowait). */
  function coreBusyMs(core) {
    const line = readFileSync('/proc/stat', 'utf8').split('\n').find((text) => text.startsWith(`cpu${core} `))
    const fields = line.trim().split(/\s+/).slice(1, 9).map(Number)
    return ((fields.reduce((sum, value) => sum + value, 0) - fields[3] - fields[4]) * 1000) / CLK_TCK
  }

  // ---- 1. the route door against the bare server

  /** A multipart body: head, the file's bytes (streamed from `file`), tail. */
  function multipartOf(file, size) {
    const boundary = `----actionrouteUploadBench${randomBytes(12).toString('hex')}`
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    )
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
    return { boundary, head, tail, file, fileSize: size, length: head.length + size + tail.length }
  }

  /** POSTs the body, the file streamed from disk; resolves with the status, the answer and the seconds to the answer's end. */
  function send(url, body) {
    return new Promise((resolve, reject) => {
      const started = performance.now()
      const request = http.request(url, {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${body.boundary}`, 'content-length': String(body.length) },
      })
      request.on('response', (response) => {
        const chunks = []
        response.on('data', (chunk) => chunks.push(chunk))
        response.on('end', () => resolve({ status: response.statusCode, text: Buffer.concat(chunks).toString(), seconds: (performance.now() - started) / 1000 }))
        response.on('error', reject)
      })
      request.on('error', reject)
      request.write(body.head)
      const file = createReadStream(body.file, { highWaterMark: 256 * 1024 })
      file.on('error', reject)
      file.pipe(request, { end: false })
      file.on('end', () => request.end(body.tail))
    })
  }

  /** The bare baseline on core 0: this very file with --bare-server, writing into `dir`. */
  async function startBare(dir) {
    const [command, args] = pinned(0, process.execPath, [...config.nodeArgs, path.join(benchDir, 'uploads.mjs'), '--bare-server', dir])
    const server = launch(command, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    const port = await new Promise((resolve, reject) => {
      server.stdout.once('data', (chunk) => resolve(JSON.parse(chunk.toString()).port))
      server.on('exit', (code) => reject(new Error(`the bare server exited with ${code}`)))
    })
    return { server, url: `http://127.0.0.1:${port}/` }
  }

  /**
   * The two states a Next server meets an upload in. Right after a burst of work V8's heap still has the room the
   * start-up left it (the old generation's limit some 30–90 MB above what is live). After some 30 s idle, a full
   * collection (the memory reducer's, among others) sets that limit 8–30 MB above what is live, and with V8's
   * default collector on one core the next uploads through Next then often (not always) run a full collection every
   * 40–90 ms for as long as bytes arrive, 3–5 × the CPU per byte, the hand-written route as much as route():
   * --trace-incremental-marking shows each marking start on "allocation limit" or "task" with the heap itself hardly
   * grown, so what fills the room is memory outside the heap, the chunks not swept yet. Tried on 2026-12-05 and not
   * enough: --no-memory-reducer, --min-semi-space-size=4 and =16, --max-semi-space-size=4. NODE_ARGS
   * (--single-threaded-gc) is what held. A server that is up for long meets most uploads in the second state. The
   * bare server's heap is so small that either costs it little.
   */
  const PHASES = [
    { id: 'busy', rounds: config.rounds, idleSeconds: 0, title: 'each door again within seconds of its previous upload' },
    { id: 'idle', rounds: config.idleRounds, idleSeconds: config.idleSeconds, title: `each door after ${config.idleSeconds} s idle` },
  ].filter((phase) => phase.rounds > 0)

  /** Per door: medians over the rounds, RSS; per round, the ratios of the doors' MiB/s. */
  function summarize(samples, ids, rounds, rssAtStartMiB) {
    const of = (id) => samples.filter((sample) => sample.variant === id)
    const ratioOf = (ours, other) => {
      const perRound = Array.from({ length: rounds }, (_, i) => of(ours)[i].mibPerSecond / of(other)[i].mibPerSecond)
      return { median: median(perRound), min: Math.min(...perRound), max: Math.max(...perRound), perRound }
    }
    const summary = Object.fromEntries(
      ids.map((id) => {
        const mine = of(id)
        const speeds = mine.map((sample) => sample.mibPerSecond)
        return [id, {
          mibPerSecond: median(speeds),
          min: Math.min(...speeds),
          max: Math.max(...speeds),
          cpuMsPer100MiB: median(mine.map((sample) => sample.cpuMsPer100MiB)),
          rssAtStartMiB: rssAtStartMiB[id],
          rssBeforeMiB: mine[0].rssBeforeMiB,
          rssPeakMiB: Math.max(...mine.map((sample) => sample.rssPeakMiB)),
          rssGrowthMiB: Math.max(...mine.map((sample) => sample.rssPeakMiB - sample.rssBeforeMiB)),
        }]
      }),
    )
    const goal = ratioOf('ours', 'bare')
    return {
      ...summary,
      ratio: { ...goal, goal: 0.8, met: goal.median >= 0.8 },
      ratioOfHand: ratioOf('ours', 'hand'),
      handOfBare: ratioOf('hand', 'bare'),
      ...(ids.includes('plain') ? { plainOfBare: ratioOf('plain', 'bare') } : {}),
    }
  }

  async function measureRoute() {
    console.log(`\n==== 1. route() door: a ${config.fileMiB} MiB file, against a bare node:http pipeline to the same disk ====`)
    const workDir = mkdtempSync(path.join(os.tmpdir(), 'actionroute-bench-uploads-'))
    const sinkDir = path.join(workDir, 'sink')
    mkdirSync(sinkDir)
    try {
      // The file: random bytes (no boundary in them, but for a chance of 2^-300), written once, read from the page cache.
      const source = path.join(workDir, 'source.bin')
      const fd = openSync(source, 'w')
      const block = Buffer.alloc(MiB)
      for (let i = 0; i < config.fileMiB; i++) writeSync(fd, randomFillSync(block))
      closeSync(fd)
      const body = multipartOf(source, config.fileMiB * MiB)
      await ensureDatabase(config.benchDatabaseUrl)
      // A quiet machine before the servers start: from then on they must not sit idle before the first phase (below).
      await waitForQuiet(config.quiet)
      const serverEnv = { BENCH_DATABASE_URL: config.benchDatabaseUrl, BENCH_UPLOAD_DIR: sinkDir }
      const ours = await startServer(serverEnv, { nodeArgs: config.nodeArgs })
      const plain = config.nodeArgs.length > 0 ? await startServer(serverEnv) : undefined
      const bare = await startBare(sinkDir)
      const startedAt = performance.now()
      const variants = {
        bare: { label: 'bare node:http pipeline', url: bare.url, server: bare.server, expected: body.length },
        hand: { label: 'hand-written Next route', url: `${ours.base}/upload-hand`, server: ours.server, expected: body.length },
        ours: { label: 'actionroute route()', url: `${ours.base}/upload`, server: ours.server, expected: body.fileSize },
        ...(plain ? { plain: { label: "route(), V8's defaults", url: `${plain.base}/upload`, server: plain.server, expected: body.fileSize } } : {}),
      }
      const ids = Object.keys(variants)
      /** When each server's last upload ended: how long it sat idle matters (see PHASES). */
      const lastUse = new Map()
      try {
        /** `count` uploads one after the other through a door: their MiB/s together, the server's CPU time and RSS. */
        const uploadOnce = async (id, count = 1) => {
          const variant = variants[id]
          assertAlive(variant.server)
          const idleSeconds = (performance.now() - (lastUse.get(variant.server) ?? startedAt)) / 1000
          const rss = rssOf(variant.server.pid)
          const cpuBefore = treeCpuMs(variant.server.pid)
          const coreBefore = coreBusyMs(0)
          let seconds = 0
          for (let i = 0; i < count; i++) {
            const answer = await send(variant.url, body)
            seconds += answer.seconds
            const size = answer.status === 200 ? JSON.parse(answer.text).size : undefined
            if (size !== variant.expected) throw new Error(`${variant.label} answered ${answer.status} ${answer.text.slice(0, 300)}; expected 200 with size ${variant.expected}`)
            const left = readdirSync(sinkDir)
            if (left.length > 0) throw new Error(`${variant.label} left ${left.join(', ')} in ${sinkDir}`)
          }
          lastUse.set(variant.server, performance.now())
          const memory = rss.done()
          const cpuMs = treeCpuMs(variant.server.pid) - cpuBefore
          // Core 0's busy time that was not the server's: other work on its core (or the kernel's, for the network).
          const otherOnCore = Math.max(0, coreBusyMs(0) - coreBefore - cpuMs)
          return {
            variant: id,
            uploads: count,
            idleSeconds,
            seconds,
            mibPerSecond: (count * body.length) / MiB / seconds,
            cpuMsPer100MiB: (cpuMs * 100 * MiB) / (count * body.length),
            otherOnCorePercent: (100 * otherOnCore) / (seconds * 1000),
            rssBeforeMiB: memory.before / MiB,
            rssPeakMiB: memory.peak / MiB,
          }
        }
        const rssAtStartMiB = { bare: treeRssBytes(bare.server.pid) / MiB, ours: treeRssBytes(ours.server.pid) / MiB }
        if (plain) rssAtStartMiB.plain = treeRssBytes(plain.server.pid) / MiB
        rssAtStartMiB.hand = rssAtStartMiB.ours
        // The first uploads through a fresh server are 2–3 times slower than the later ones (V8 compiles the hot
        // paths as they run): each door gets several before it is measured, back to back, right after the start.
        for (const id of ids) {
          const speeds = []
          for (let i = 0; i < config.warmup; i++) speeds.push((await uploadOnce(id)).mibPerSecond)
          console.log(`Warm-up ${variants[id].label}: ${speeds.map((speed) => speed.toFixed(0)).join(', ')} MiB/s`)
        }
        const disturbed = []
        const measure = async (id, round, phase) => {
          // Idle for the phase's time (the last second of it spent checking that the machine is quiet).
          if (phase.idleSeconds > 1) await sleep((phase.idleSeconds - 1) * 1000)
          const busyBefore = await waitForQuiet(config.quiet)
          const sample = { phase: phase.id, round, ...(await uploadOnce(id, config.perRound)) }
          sample.background = Math.max(busyBefore, await busyPercent())
          return sample
        }
        const phases = []
        for (const phase of PHASES) {
          console.log(`-- ${phase.title}`)
          const samples = []
          for (let round = 1; round <= phase.rounds; round++) {
            // Each door first in turn: bare, hand, ours; then hand, ours, bare; …
            for (const id of ids.map((_, i) => ids[(i + round - 1) % ids.length])) {
              let sample = await measure(id, round, phase)
              for (let retry = 1; retry <= config.retries && sample.background > config.quiet.maxPercent; retry++) {
                console.log(`  other work used ${sample.background.toFixed(0)} % of the CPU around round ${round} (${id}): measuring it again`)
                sample = { ...(await measure(id, round, phase)), retries: retry }
              }
              if (sample.background > config.quiet.maxPercent) disturbed.push(`${phase.id} round ${round} (${id}): ${sample.background.toFixed(0)} % CPU by others`)
              samples.push(sample)
              console.log(
                `round ${round} ${variants[id].label.padEnd(24)} ${sample.mibPerSecond.toFixed(0).padStart(5)} MiB/s (${sample.uploads} in ${sample.seconds.toFixed(2)} s, ` +
                  `idle ${sample.idleSeconds.toFixed(0)} s before), server CPU ${sample.cpuMsPer100MiB.toFixed(0)} ms/100 MiB, ` +
                  `others on core 0 ${sample.otherOnCorePercent.toFixed(0)} %, server RSS ${sample.rssBeforeMiB.toFixed(0)} → peak ${sample.rssPeakMiB.toFixed(0)} MiB`,
              )
            }
          }
          phases.push({ ...phase, samples, summary: summarize(samples, ids, phase.rounds, rssAtStartMiB) })
        }
        return { bodyBytes: body.length, fileBytes: body.fileSize, phases, disturbed }
      } finally {
        await stop(ours.server)
        if (plain) await stop(plain.server)
        await stop(bare.server)
      }
    } finally {
      rmSync(workDir, { recursive: true, force: true })
    }
  }

  // ---- 2. avatars on the User Directory

  /** The app's production build, made here (on both cores) when the sources are newer, not by npm start on core 0; then never again in this run. */
  async function buildWebIfStale() {
    const { isFresh } = await import('../apps/web/scripts/build-freshness.mjs')
    const distDir = path.join(webDir, process.env.NEXT_DIST_DIR || '.next')
    if (isFresh(webDir, distDir)) return console.log('apps/web: the production build is fresh')
    console.log('apps/web: building (the build is missing or older than the sources)')
    // In the app's directory, as npm start builds it: its next.config.ts imports from there.
    const build = launch(process.execPath, [nextBin, 'build'], { cwd: webDir, stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } })
    const code = await new Promise((resolve, reject) => build.on('exit', resolve).on('error', reject))
    if (code !== 0) throw new Error(`next build of apps/web exited with ${code}`)
  }

  /** A PNG of about 1 MB (720 × 540: gradients with noise in them, as a photo saved as PNG is); deterministic. */
  async function avatarPng() {
    const width = 720
    const height = 540
    const pixels = Buffer.alloc(width * height * 3)
    let seed = 17
    const noise = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24) % 16
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const at = (y * width + x) * 3
        pixels[at] = ((x * 255) / width + noise()) & 0xff
        pixels[at + 1] = ((y * 255) / height + noise()) & 0xff
        pixels[at + 2] = (((x + y) * 127) / width + noise()) & 0xff
      }
    }
    const png = await sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer()
    return { png, width, height }
  }

  function avatarBody(png) {
    const boundary = '----WebKitFormBoundaryAvatarUploadBench'
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="avatar"; filename="avatar.png"\r\nContent-Type: image/png\r\n\r\n`),
      png,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ])
    return { body, contentType: `multipart/form-data; boundary=${boundary}` }
  }

  /** `count` PUTs, `concurrency` at a time, user after user; resolves with each one's latency in ms. */
  async function putAvatars(base, users, upload, count, concurrency) {
    const latencies = []
    let next = 0
    const worker = async () => {
      while (next < count) {
        const user = users[next++ % users.length]
        const started = performance.now()
        const response = await fetch(`${base}/api/users/${user.id}/avatar`, { method: 'PUT', headers: { 'content-type': upload.contentType }, body: upload.body })
        const text = await response.text()
        latencies.push(performance.now() - started)
        if (response.status !== 200 || !text.includes('"message":"Avatar of ')) throw new Error(`PUT avatar answered ${response.status}: ${text.slice(0, 300)}`)
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
    return latencies
  }

  /** The nearest-rank percentile. */
  const percentile = (values, p) => [...values].sort((x, y) => x - y)[Math.max(0, Math.ceil((p / 100) * values.length) - 1)]

  async function measureAvatars(database, image) {
    const label = database === 'pglite' ? 'PGlite' : 'PostgreSQL'
    console.log(`\n==== 2. avatar upload on the User Directory, ${label} ====`)
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'actionroute-bench-avatars-'))
    // The server's TMPDIR: its upload files go there, so that any left behind is seen.
    const tmpDir = path.join(dataDir, 'tmp')
    mkdirSync(tmpDir)
    const env = { TMPDIR: tmpDir, ...(database === 'pglite' ? { DATA_DIR: path.join(dataDir, 'data') } : { DATABASE_URL: config.avatarDatabaseUrl }) }
    if (database === 'postgres') {
      await ensureDatabase(config.avatarDatabaseUrl)
      const client = new pg.Client({ connectionString: config.avatarDatabaseUrl })
      await client.connect()
      await client.query('drop schema if exists public cascade; drop schema if exists drizzle cascade; create schema public')
      await client.end()
    }
    try {
      const { base, server } = await startApp({ START_NO_BUILD: '1', ...env })
      try {
        const users = []
        for (let i = 0; i < 16; i++) {
          const response = await fetch(`${base}/api/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `Avatar bench ${i + 1}` }) })
          if (response.status !== 201) throw new Error(`Seeding a user answered ${response.status}: ${await response.text()}`)
          users.push((await response.json()).user)
        }
        const upload = avatarBody(image.png)
        await waitForQuiet(config.quiet)
        await putAvatars(base, users, upload, config.avatarWarmup, config.avatarConcurrency)
        // Sanity: what was stored is a 256 × 256 WebP, served as such.
        const served = await fetch(`${base}/api/users/${users[0].id}/avatar`)
        const stored = await sharp(Buffer.from(await served.arrayBuffer())).metadata()
        if (served.status !== 200 || served.headers.get('content-type') !== 'image/webp' || stored.format !== 'webp' || stored.width !== 256 || stored.height !== 256) {
          throw new Error(`GET avatar answered ${served.status} ${served.headers.get('content-type')}, ${stored.format} ${stored.width}×${stored.height}`)
        }
        const busyBefore = await waitForQuiet(config.quiet)
        assertAlive(server)
        const rss = rssOf(server.pid)
        const cpuBefore = treeCpuMs(server.pid)
        const started = performance.now()
        const latencies = await putAvatars(base, users, upload, config.avatarRequests, config.avatarConcurrency)
        const seconds = (performance.now() - started) / 1000
        const cpuMs = treeCpuMs(server.pid) - cpuBefore
        const memory = rss.done()
        const background = Math.max(busyBefore, await busyPercent())
        const left = readdirSync(tmpDir).filter((name) => name.startsWith('actionroute-upload-'))
        if (left.length > 0) throw new Error(`${left.length} upload directories left in the server's TMPDIR: ${left.join(', ')}`)
        const result = {
          database,
          label,
          requests: latencies.length,
          p50: percentile(latencies, 50),
          p99: percentile(latencies, 99),
          mean: latencies.reduce((sum, value) => sum + value, 0) / latencies.length,
          max: Math.max(...latencies),
          reqPerSecond: latencies.length / seconds,
          cpuMsPerRequest: cpuMs / latencies.length,
          /** The server's core busy with it: near 100 %, the requests queue for the CPU. */
          serverCpuPercent: (100 * cpuMs) / (seconds * 1000),
          rssBeforeMiB: memory.before / MiB,
          rssPeakMiB: memory.peak / MiB,
          background,
        }
        console.log(
          `${label}: ${result.requests} PUTs at ${config.avatarConcurrency} at a time: p50 ${result.p50.toFixed(0)} ms, p99 ${result.p99.toFixed(0)} ms, ` +
            `mean ${result.mean.toFixed(0)} ms, ${result.reqPerSecond.toFixed(1)} req/s, server CPU ${result.cpuMsPerRequest.toFixed(0)} ms/request ` +
            `(${result.serverCpuPercent.toFixed(0)} % of its core); RSS ${result.rssBeforeMiB.toFixed(0)} → peak ${result.rssPeakMiB.toFixed(0)} MiB`,
        )
        return result
      } finally {
        await stop(server)
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }

  /** Like libraryVersion(), for the app: its sources change while benchmarks run, so say which state was built. */
  function appVersion() {
    const git = (...args) => spawnSync('git', ['-C', webDir, ...args], { encoding: 'utf8' }).stdout?.trim()
    const line = git('log', '-1', '--format=%h %s', '--', '.')
    if (!line) return 'unknown (no git)'
    const commit = line.length > 100 ? `${line.slice(0, 99)}…` : line
    return git('status', '--porcelain', '--', '.') ? `${commit} + uncommitted changes` : commit
  }

  // ---- report

  const n0 = (value) => value.toFixed(0)
  const n2 = (value) => value.toFixed(2)

  function report(data) {
    const { route, avatars } = data
    const lines = ['# Upload benchmark', '', `\`npm run bench:uploads\` (bench/uploads.mjs); every figure below is from one run.`, '']
    if (route) {
      const doorLabel = { bare: 'bare', hand: 'hand-written Next route', ours: 'route()', plain: "route(), V8's defaults" }
      const flags = `\`${config.nodeArgs.join(' ')}\``
      const doors = [
        ['bare', 'bare `node:http` server: `pipeline(request, createWriteStream(file))`'],
        ['hand', 'hand-written Route Handler in `next start`: `pipeline(Readable.fromWeb(request.body), createWriteStream(file))`'],
        ['ours', 'actionroute `route()` in `next start`: multipart parsed, the file streamed into `temporaryFiles()`'],
        ['plain', "the same `route()` in a second `next start` run with V8's defaults"],
      ]
      const paired = (r) => `**${r.median.toFixed(3)}**, the median of the rounds' ratios (${r.perRound.map(n2).join(', ')})`
      lines.push(
        `## 1. Route door: a ${config.fileMiB} MiB file into the sink`,
        '',
        `Body ${route.bodyBytes.toLocaleString('en')} bytes of multipart/form-data holding a file of ${route.fileBytes.toLocaleString('en')} random bytes.`,
        `${config.warmup} warm-up uploads per door right after the servers started, then rounds of ${config.perRound} uploads per door, one after the`,
        "other, each door first in turn; MiB/s of the whole bodies, from each one's first byte sent to its answer read.",
        ...(config.nodeArgs.length > 0 ? [`The bare server and the first \`next start\` (route() and the hand-written route) run with ${flags}; the second one with V8's defaults.`] : []),
        '',
      )
      for (const phase of route.phases) {
        const { summary } = phase
        const { bare, ours, ratio, ratioOfHand, handOfBare, plainOfBare } = summary
        lines.push(
          `### ${phase.rounds} rounds, ${phase.title}`,
          '',
          '| Door | MiB/s (median) | min–max | server CPU ms per 100 MiB | server RSS before the first upload of the phase | peak | largest rise in one round |',
          '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
          ...doors.filter(([id]) => summary[id]).map(([id, label]) => {
            const d = summary[id]
            return `| ${label} | ${n0(d.mibPerSecond)} | ${n0(d.min)}–${n0(d.max)} | ${n0(d.cpuMsPer100MiB)} | ${n0(d.rssBeforeMiB)} MiB | ${n0(d.rssPeakMiB)} MiB | ${n0(d.rssGrowthMiB)} MiB |`
          }),
          '',
          `- route() ÷ bare: ${paired(ratio)}; the medians' ratio ${(ours.mibPerSecond / bare.mibPerSecond).toFixed(3)}. Goal ≥ 0.8: **${ratio.met ? 'met' : 'missed'}**.`,
          `- route() ÷ the hand-written Next route (what actionroute adds to Next): ${paired(ratioOfHand)}.`,
          `- The hand-written Next route ÷ bare (what Next adds to Node): ${paired(handOfBare)}.`,
          ...(plainOfBare ? [`- route() with V8's defaults ÷ bare: ${paired(plainOfBare)}; the medians' ratio ${(summary.plain.mibPerSecond / bare.mibPerSecond).toFixed(3)}.`] : []),
          '',
        )
      }
      const first = route.phases[0].summary
      lines.push(
        `Server RSS after start: ${n0(first.ours.rssAtStartMiB)} MiB for \`next start\` (route() and the hand-written route), ${n0(first.bare.rssAtStartMiB)} MiB ` +
          `for the bare server; the warm-ups add to both, then it stays flat if the rise in a round stays far below the ${config.fileMiB} MiB of an upload.`,
        route.disturbed.length > 0 ? `**NOISY:** other work used the CPU around ${route.disturbed.join('; ')}.` : `No other CPU load above ${config.quiet.maxPercent} % just before or after any measured round.`,
        ...(route.phases.some((phase) => phase.samples.some((s) => s.retries)) ? ['Some rounds were measured again: other work started during them.'] : []),
        '',
        `| Phase | Round | Door | MiB/s | seconds for ${config.perRound} | idle before, s | server CPU ms per 100 MiB | others on core 0 % | RSS before → peak MiB | other CPU % before/after |`,
        '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...route.phases.flatMap((phase) =>
          phase.samples.map(
            (s) =>
              `| ${phase.id} | ${s.round} | ${doorLabel[s.variant]} | ${n0(s.mibPerSecond)} | ${n2(s.seconds)} | ${n0(s.idleSeconds)} | ${n0(s.cpuMsPer100MiB)} | ` +
              `${n0(s.otherOnCorePercent)} | ${n0(s.rssBeforeMiB)} → ${n0(s.rssPeakMiB)} | ${n0(s.background)} |`,
          ),
        ),
        '',
      )
    }
    if (avatars) {
      lines.push(
        '## 2. Avatar upload end to end: `PUT /api/users/{id}/avatar`',
        '',
        `A ${(avatars.image.bytes / MiB).toFixed(2)} MiB PNG (${avatars.image.width} × ${avatars.image.height}) in the field \`avatar\`, parsed, sniffed, resized to a ` +
          `256 × 256 WebP and stored; ${config.avatarRequests} requests, ${config.avatarConcurrency} at a time, to 16 users in turn, after ${config.avatarWarmup} warm-up requests.`,
        '',
        '| `npm start` on | p50 ms | p99 ms | mean ms | max ms | req/s | server CPU ms/request (% of its core) | server RSS before → peak | other CPU % |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...avatars.runs.map(
          (r) =>
            `| ${r.label} | ${n0(r.p50)} | ${n0(r.p99)} | ${n0(r.mean)} | ${n0(r.max)} | ${r.reqPerSecond.toFixed(1)} | ${n0(r.cpuMsPerRequest)} (${n0(r.serverCpuPercent)} %) | ` +
            `${n0(r.rssBeforeMiB)} → ${n0(r.rssPeakMiB)} MiB | ${n0(r.background)} |`,
        ),
        '',
        `- p99 is the nearest rank (the ${Math.ceil(0.99 * config.avatarRequests)}th of ${config.avatarRequests} latencies, sorted). Every answer was 200, the stored avatar a 256 × 256`,
        "  WebP, and no upload directory was left in the server's TMPDIR.",
        '- The app as `npm start` serves it, `MEMORY_MODE=lean`; without API_KEYS writes need no principal (the default),',
        '  RATE_LIMIT_WRITES=0 (its default 60 a minute would refuse most of them), LOG_LEVEL=silent. The app decodes at most',
        "  two images at a time (apps/web/server/users/avatars.ts). Server CPU: the `npm start` process tree's (PostgreSQL's own",
        '  processes not included; PGlite, in the server, is).',
        '',
      )
    }
    lines.push(
      '## Setup',
      '',
      `- Date: ${data.date}; took ${n0(data.seconds)} s in all`,
      `- Node ${process.version}, CPU ${data.machine.cpu} (${data.machine.cores} cores); ${pinNote}; PostgreSQL unpinned`,
      `- ${Object.entries(data.versions).map(([name, version]) => `${name} ${version}`).join(', ')}`,
      `- actionroute (last commit touching packages/actionroute/src): ${data.library}`,
      ...(data.app ? [`- apps/web (last commit touching it): ${data.app}`] : []),
      `- Temporary files in ${os.tmpdir()} (${data.machine.tmpFs})`,
      `- Command: \`${data.command}\``,
      '',
    )
    const resultsDir = path.join(benchDir, 'results')
    mkdirSync(resultsDir, { recursive: true })
    writeFileSync(path.join(resultsDir, 'uploads.md'), lines.join('\n'))
    writeFileSync(path.join(resultsDir, 'uploads.json'), `${JSON.stringify(data, null, 2)}\n`)
    console.log(`\n${lines.join('\n')}\nWritten to bench/results/uploads.md and uploads.json`)
  }

  /** The file system the temporary directory is on, for the report. */
  function tmpFs() {
    const out = spawnSync('df', ['-T', os.tmpdir()], { encoding: 'utf8' }).stdout?.split('\n')[1]?.split(/\s+/)
    return out ? `${out[1]} on ${out[0]}` : 'unknown'
  }

  runBenchmark(async ({ started }) => {
    const data = {
      date: new Date().toISOString(),
      machine: { cpu: cpuModel(), cores, node: process.version, pinning: pinNote, tmpFs: tmpFs() },
      versions: Object.fromEntries(['next', 'zod', '@electric-sql/pglite', 'pg'].map((name) => [name, packageVersion(name)])),
      library: libraryVersion(),
      command: commandLine('uploads', 'npm run bench:uploads'),
      config: { ...config, avatarDatabaseUrl: withoutPassword(config.avatarDatabaseUrl), benchDatabaseUrl: withoutPassword(config.benchDatabaseUrl) },
    }
    if (config.parts.includes('route')) data.route = await measureRoute()
    if (config.parts.includes('avatar')) {
      await buildWebIfStale()
      data.app = appVersion()
      const image = await avatarPng()
      data.versions.sharp = sharp.versions?.sharp ?? 'unknown'
      console.log(`Avatar: a ${image.width} × ${image.height} PNG of ${image.png.length.toLocaleString('en')} bytes`)
      const runs = []
      for (const database of config.avatarDatabases) runs.push(await measureAvatars(database, image))
      data.avatars = { image: { bytes: image.png.length, width: image.width, height: image.height }, runs }
    }
    data.seconds = (Date.now() - started) / 1000
    report(data)
  })
}
