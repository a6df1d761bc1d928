// The CSV import's throughput (`npm run bench:import`, issue 18's goals): IMPORT_ROWS (1,000,000) users in one
// POST /api/users/import (the file as a text/csv body, its events read as they come), on the User Directory's
// production server as `npm start` runs it, against the same rows inserted one request at a time (POST /api/users,
// JSON, one after another: IMPORT_SINGLE_ROWS of them (5,000), the rate extrapolated), in the same run.
//
// Per database (IMPORT_DATABASES: pglite,postgres): a fresh DATA_DIR or a fresh PostgreSQL database; the server is
// warmed up (a small import, a few single inserts); then the one-at-a-time baseline; then the import. Reported:
// rows/s of each and their ratio; the import's time to its first event (the upload, streamed to disk) and to its
// summary; the server's RSS (process tree, /proc, sampled every 100 ms) before, at the peak, and after, so its
// growth during the import; the rows the table holds afterwards (must be every row once).
// Goals: PostgreSQL ≥ 50,000 rows/s, PGlite ≥ 10,000 rows/s, RSS flat.
//
// The server is pinned to core 0 (taskset), this process to core 1; the heavy-work lock is held throughout.
// Options (environment): IMPORT_ROWS, IMPORT_SINGLE_ROWS, IMPORT_DATABASES, IMPORT_DATABASE_URL
// (postgres://postgres@127.0.0.1:5432/actionroute_import_bench: created fresh, dropped at the end).
// Writes bench/results/import.md and import.json.
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { benchDir, commandLine, cpuModel, holdLock, int, pinSelf, sleep, startApp, stop, treeRssBytes, withAdmin, withoutPassword } from './harness.mjs'

const ROWS = int('IMPORT_ROWS', 1_000_000)
const SINGLE_ROWS = int('IMPORT_SINGLE_ROWS', 5_000)
const DATABASES = (process.env.IMPORT_DATABASES ?? 'pglite,postgres').split(',')
const DATABASE_URL = process.env.IMPORT_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/actionroute_import_bench'
const MiB = 1024 * 1024

/** A CSV of `rows` users tagged `tag`: a header, then `Name tag i,tag.i@bench.test`. */
async function writeCsv(file, tag, rows) {
  const out = createWriteStream(file)
  out.write('name,email\n')
  const CHUNK = 10_000
  for (let start = 0; start < rows; start += CHUNK) {
    let text = ''
    for (let i = start; i < Math.min(rows, start + CHUNK); i++) text += `Person ${tag} ${i},${tag}.${i}@bench.test\n`
    if (!out.write(text)) await new Promise((resolve) => out.once('drain', resolve))
  }
  out.end()
  await finished(out)
  return statSync(file).size
}

/** Samples the server tree's RSS every 100 ms until stopped: its peak. */
function sampleRss(pid) {
  let peak = treeRssBytes(pid)
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRssBytes(pid))
  }, 100)
  return () => {
    clearInterval(timer)
    return Math.max(peak, treeRssBytes(pid))
  }
}

/** POSTs `file` as a text/csv body and reads the event stream to its summary. */
async function importFile(base, file) {
  const started = performance.now()
  const response = await fetch(`${base}/api/users/import`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', accept: 'text/event-stream' },
    body: Readable.toWeb(createReadStream(file, { highWaterMark: 256 * 1024 })),
    duplex: 'half',
  })
  if (response.status !== 200) throw new Error(`POST /api/users/import answered ${response.status}: ${await response.text()}`)
  let firstEvent
  let summary
  let events = 0
  let buffered = ''
  const decoder = new TextDecoder()
  for await (const chunk of response.body) {
    buffered += decoder.decode(chunk, { stream: true })
    let end
    while ((end = buffered.indexOf('\n\n')) !== -1) {
      const block = buffered.slice(0, end)
      buffered = buffered.slice(end + 2)
      const data = block.split('\n').find((line) => line.startsWith('data: '))
      if (!data) continue
      const event = JSON.parse(data.slice(6))
      events++
      firstEvent ??= performance.now() - started
      if (event.type === 'done') summary = event
    }
  }
  if (!summary) throw new Error('the import ended without a summary')
  return { ms: performance.now() - started, firstEventMs: firstEvent, events, summary }
}

/** `count` users through POST /api/users, one request at a time. */
async function oneAtATime(base, tag, count) {
  const started = performance.now()
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${base}/api/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: `Single ${tag} ${i}`, email: `single.${tag}.${i}@bench.test` }),
    })
    if (response.status !== 201) throw new Error(`POST /api/users answered ${response.status}: ${await response.text()}`)
    await response.arrayBuffer()
  }
  return { ms: performance.now() - started }
}

async function measure(database, workDir) {
  const env = database === 'pglite' ? { DATA_DIR: path.join(workDir, 'data') } : { DATABASE_URL }
  if (database === 'postgres') {
    await withAdmin(DATABASE_URL, async (admin, _name, quoted) => {
      await admin.query(`drop database if exists ${quoted} with (force)`)
      await admin.query(`create database ${quoted}`)
    })
  }
  const { base, server } = await startApp(env)
  try {
    // Warm-up: a small import and a few single inserts, so both paths are compiled and connected.
    const warm = path.join(workDir, 'warm.csv')
    await writeCsv(warm, `warm${database}`, 5_000)
    await importFile(base, warm)
    await oneAtATime(base, `warm${database}`, 200)
    await sleep(1000)

    const single = await oneAtATime(base, database, SINGLE_ROWS)
    const csv = path.join(workDir, `${database}.csv`)
    const bytes = await writeCsv(csv, database, ROWS)
    await sleep(1000)
    const rssBefore = treeRssBytes(server.pid)
    const peakOf = sampleRss(server.pid)
    const imported = await importFile(base, csv)
    const rssPeak = peakOf()
    await sleep(2000)
    const rssAfter = treeRssBytes(server.pid)
    let inTable
    let sqlCeiling
    if (database === 'postgres') {
      const { Client } = (await import('pg')).default
      const client = new Client({ connectionString: DATABASE_URL })
      await client.connect()
      inTable = Number((await client.query(`select count(*) from users where email like $1`, [`${database}.%@bench.test`])).rows[0].count)
      // What PostgreSQL itself sustains for these rows on this machine: the same columns (time-ordered ids), the same
      // ON CONFLICT and trigger, the rows made by the server in one INSERT … SELECT, no client, no parsing, one commit.
      const started = performance.now()
      await client.query(
        `insert into users (id, name, email, door)
         select ('00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'Person sql ' || i, 'sql.' || i || '@bench.test', 'route'
         from generate_series(1, $1::int) i on conflict do nothing`,
        [ROWS],
      )
      sqlCeiling = { ms: performance.now() - started, rowsPerSecond: ROWS / ((performance.now() - started) / 1000) }
      await client.end()
    }
    rmSync(csv, { force: true })
    const importRate = imported.summary.stored / (imported.ms / 1000)
    const singleRate = SINGLE_ROWS / (single.ms / 1000)
    return {
      database,
      rows: ROWS,
      fileMiB: bytes / MiB,
      import: { ms: imported.ms, firstEventMs: imported.firstEventMs, events: imported.events, stored: imported.summary.stored, taken: imported.summary.taken, invalid: imported.summary.invalid, rowsPerSecond: importRate },
      single: { rows: SINGLE_ROWS, ms: single.ms, rowsPerSecond: singleRate },
      ratio: importRate / singleRate,
      rssMiB: { before: rssBefore / MiB, peak: rssPeak / MiB, after: rssAfter / MiB },
      inTable,
      sqlCeiling,
    }
  } finally {
    await stop(server)
    if (database === 'postgres') await withAdmin(DATABASE_URL, (admin, _name, quoted) => admin.query(`drop database if exists ${quoted} with (force)`)).catch(() => {})
  }
}

const release = await holdLock()
pinSelf(1)
const workDir = mkdtempSync(path.join(os.tmpdir(), 'actionroute-import-bench-'))
const results = []
try {
  for (const database of DATABASES) {
    console.log(`\n== ${database}: ${ROWS.toLocaleString('en')} rows in one import, ${SINGLE_ROWS.toLocaleString('en')} one request at a time`)
    const result = await measure(database, workDir)
    results.push(result)
    console.log(JSON.stringify(result, null, 2))
  }
} finally {
  rmSync(workDir, { recursive: true, force: true })
  release()
}

const goal = { pglite: 10_000, postgres: 50_000 }
const fmt = (value, digits = 0) => value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const lines = [
  '# CSV import: one request of a million rows against one request per row',
  '',
  `\`${commandLine('import', 'npm run bench:import')}\` — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpuModel()}, ${os.availableParallelism()} cores, Node ${process.version}.`,
  `The User Directory's production server (\`npm start\`) pinned to core 0, this process to core 1. PostgreSQL: ${withoutPassword(DATABASE_URL)} (a fresh database).`,
  '',
  '| database | rows | file | import | rows/s (import) | rows/s (one request each) | import ÷ one each | goal | RSS before → peak → after |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ...results.map(
    (r) =>
      `| ${r.database} | ${fmt(r.import.stored)} | ${fmt(r.fileMiB, 1)} MiB | ${fmt(r.import.ms / 1000, 1)} s (upload ${fmt(r.import.firstEventMs / 1000, 1)} s) | **${fmt(r.import.rowsPerSecond)}** | ${fmt(r.single.rowsPerSecond)} (${fmt(r.single.rows)} rows) | **${fmt(r.ratio, 1)}×** | ≥ ${fmt(goal[r.database] ?? 0)} ${r.import.rowsPerSecond >= (goal[r.database] ?? 0) ? '✓' : '✗'} | ${fmt(r.rssMiB.before)} → ${fmt(r.rssMiB.peak)} → ${fmt(r.rssMiB.after)} MiB (+${fmt(r.rssMiB.peak - r.rssMiB.before)}) |`,
  ),
  '',
  ...results.filter((r) => r.sqlCeiling).map((r) => `PostgreSQL's own ceiling here, the same ${fmt(r.rows)} rows in one \`INSERT … SELECT\` made by the server (same indexes, ON CONFLICT and trigger; no client, no parsing): **${fmt(r.sqlCeiling.rowsPerSecond)} rows/s**, so the import runs at **${fmt(r.import.rowsPerSecond / r.sqlCeiling.rowsPerSecond, 2)}×** what the database alone sustains on this machine.`),
  '',
  'The import\'s time runs from the request\'s first byte to its `done` event: the upload (the file streamed to disk, then read) and',
  `every batch of 5,000 rows stored with the import's counts in one transaction. ${results.map((r) => `${r.database}: ${fmt(r.import.events)} events, ${fmt(r.import.taken + r.import.invalid)} rows skipped${r.inTable !== undefined ? `, ${fmt(r.inTable)} rows in the table` : ''}`).join('; ')}.`,
  'One request each: `POST /api/users` with a JSON body, the next sent when the last answered (validation, the rate limit off, the',
  'idempotency middleware, one INSERT and its event).',
]
writeFileSync(path.join(benchDir, 'results/import.md'), `${lines.join('\n')}\n`)
writeFileSync(path.join(benchDir, 'results/import.json'), `${JSON.stringify({ date: new Date().toISOString(), results }, null, 2)}\n`)
console.log(`\n${lines.join('\n')}`)
