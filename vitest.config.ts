import { existsSync } from 'node:fs'
import path from 'node:path'
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config'
import { TotalsReporter } from './test/totals-reporter'

// Suites that need a browser or PostgreSQL run when those are there, and say so loudly when they
// are not. CI sets REQUIRE_E2E=1 / REQUIRE_POSTGRES=1, which turns a missing one into a failure.
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
const testDatabaseUrl = process.env.TEST_DATABASE_URL
const leftOut: string[] = []
// `npm test` is the quick suite, for every commit: the library, the app on both databases, the essential e2e.
// `npm run test:slow` (TEST_SUITE=slow) is the rest, minutes each, which CI runs too: the e2e files below, the
// database-independent fuzzing again on PostgreSQL, the packed package in a fresh app, the reliability suite.
const slowRun = process.env.TEST_SUITE === 'slow'
/**
 * e2e files for the slow run: those that start several servers, need a second build or wait out real time, and the
 * pages' finish (accessibility, keyboard, /compare, the API reference, optimistic rows). The rest of e2e/ is quick:
 * both doors in Chromium with JavaScript on and off, and every policy on each of them.
 */
const SLOW_E2E = ['accessibility', 'api-docs', 'compare', 'deploy-skew', 'hostile-uploads', 'import-hostile', 'keyboard', 'live-directory', 'optimistic', 'persistence', 'seed-rate-limit', 'shutdown']
  .map((name) => `e2e/${name}.test.ts`)
/** Slow e2e files that time the server itself (a shutdown within its bound, restarts): run alone, one at a time. */
const TIMED_E2E = ['persistence', 'shutdown'].map((name) => `e2e/${name}.test.ts`)
const WAITS_OUT_RATE_LIMIT = 'e2e/seed-rate-limit.test.ts'
/** The web suite's files that cost most and depend least on the database: on PGlite in `npm test`, on PostgreSQL in the slow run. */
const FUZZING = ['test/fuzz/openapi.fuzz.test.ts', 'server/users/parity.test.ts']
/** PGlite's own concerns (its data-directory lock, its migrations): nothing to learn from them on PostgreSQL. */
const PGLITE_ONLY = ['server/db/lock.test.ts', 'server/db/migrations.test.ts']

function optional(name: string, available: boolean, required: boolean, why: string): boolean {
  if (available) return true
  if (required) throw new Error(`The ${name} suite is required here but cannot run: ${why}`)
  leftOut.push(`${name}: ${why}`)
  return false
}

const web = path.resolve('apps/web')
const library = path.resolve('packages/actionroute/src')
// Tests run the library from source (as the app's tsconfig paths do); `server-only` guards bundles, not Node.
const alias = [
  { find: /^actionroute$/, replacement: `${library}/index.ts` },
  { find: /^actionroute\/(client|query|react|testing|reference)$/, replacement: `${library}/$1.ts` },
  { find: /^server-only$/, replacement: path.resolve('test/empty-module.ts') },
]
/**
 * The slow run's order: the database and consumer suites side by side first, then the e2e files two at a time,
 * then the e2e files that time the server, then the reliability suite, so that no timed test (a shutdown within
 * 8 s, kill -9 under load) shares the two cores with a build, an npm install or another test. Vitest runs groups
 * from the lowest; a project with one worker (fileParallelism: false) in group 0 would go to a group of its own
 * run last, whence 1 to 4. The quick run has no such test: its suites share the two workers, e2e files two at a
 * time like the rest.
 */
const inOrder = (group: 1 | 2 | 3 | 4) => (slowRun ? { sequence: { groupOrder: group } } : {})

const WEB_TESTS = ['server/**/*.test.ts', 'app/**/*.test.ts', 'components/**/*.test.ts', 'test/**/*.test.ts']
const webProject = (name: string, env: Record<string, string>, files: { include?: string[]; exclude?: string[] } = {}): TestProjectInlineConfiguration => ({
  resolve: { alias: [...alias, { find: '@', replacement: web }] },
  test: {
    name,
    root: web,
    include: files.include ?? WEB_TESTS,
    exclude: files.exclude ?? [],
    // In-process calls have no client address (no trustProxy), so the write limit would put them all in one
    // budget, and the fuzzing would meet 429s after 60 writes instead of the handlers. The limit is proven
    // end to end, where npm start knows each client (e2e/rate-limit, the reliability suite).
    env: { RATE_LIMIT_WRITES: '0', ...env },
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
})

const projects: TestProjectInlineConfiguration[] = slowRun ? [] : [
  {
    resolve: { alias },
    test: {
      name: 'actionroute',
      root: path.resolve('packages/actionroute'),
      include: ['src/**/*.test.ts'],
      // *.test-d.ts pin the types users rely on (inference of input, context, codes, fields), checked by tsc.
      typecheck: { enabled: true, include: ['src/**/*.test-d.ts'], tsconfig: 'tsconfig.json' },
    },
  },
  webProject('web:pglite', { TEST_DB: 'pglite', LOG_LEVEL: 'silent' }),
]

if (
  optional('web:postgres', Boolean(testDatabaseUrl), process.env.REQUIRE_POSTGRES === '1',
    'TEST_DATABASE_URL is not set (e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres); each run creates and drops its own databases there.')
) {
  const postgres = { TEST_DB: 'postgres', LOG_LEVEL: 'silent' }
  const project = slowRun ? webProject('web:postgres', postgres, { include: FUZZING }) : webProject('web:postgres', postgres, { exclude: [...FUZZING, ...PGLITE_ONLY] })
  projects.push({ ...project, test: { ...project.test, ...inOrder(1) } })
}

const noChromium = `no Chromium at ${chromiumPath}: install it (apt-get install chromium) or set CHROMIUM_PATH to your Chrome/Chromium.`
if (optional('e2e', existsSync(chromiumPath), process.env.REQUIRE_E2E === '1', noChromium)) {
  const e2e = (name: string, files: { include: string[]; exclude?: string[] }, group: 1 | 2 | 3, fileParallelism = false): TestProjectInlineConfiguration => ({
    test: {
      name,
      root: web,
      ...files,
      // The quick run builds the app once; the slow run reuses that build if it is still fresh, and adds the
      // second build deploy-skew.test.ts needs. TEST_SUITE tells global-setup.ts which.
      globalSetup: ['e2e/global-setup.ts'],
      ...inOrder(group),
      testTimeout: 60_000,
      hookTimeout: 240_000,
      fileParallelism,
    },
  })
  // Two files at a time: each starts its own server on its own data, and a browser waits more than it computes.
  if (!slowRun) projects.push(e2e('e2e', { include: ['e2e/**/*.test.ts'], exclude: SLOW_E2E }, 2, true))
  else {
    // Each file starts its own servers on its own data: two at a time (the pages' finish, the deploy across two builds).
    projects.push(e2e('e2e', { include: SLOW_E2E.filter((file) => file !== WAITS_OUT_RATE_LIMIT && !TIMED_E2E.includes(file)) }, 2, true))
    projects.push(e2e('e2e:timed', { include: TIMED_E2E }, 3))
    // A minute of waiting for the rate limit's window, idle: beside the first group rather than in the e2e queue
    // (one file, so parallelism is moot; a one-worker project could not share the group).
    projects.push(e2e('e2e:waiting', { include: [WAITS_OUT_RATE_LIMIT] }, 1, true))
  }
}

// The packed package in a fresh Next.js app outside this repository (npm pack, npm install from the
// registry, next build, next start), driven over HTTP and in Chromium: see test/consumer.
if (slowRun && optional('consumer', existsSync(chromiumPath), process.env.REQUIRE_E2E === '1', noChromium)) {
  projects.push({
    test: {
      name: 'consumer',
      root: path.resolve('test/consumer'),
      include: ['*.test.ts'],
      ...inOrder(1),
      // npm install, next build and next start happen once, in beforeAll (each step has its own limit). One file.
      testTimeout: 60_000,
      hookTimeout: 25 * 60_000,
    },
  })
}

// Real `npm start` servers under load, kill -9 in a loop, two instances on one PostgreSQL, idempotency
// keys and the rate limit under concurrency (apps/web/reliability), on PGlite and PostgreSQL. Its PostgreSQL
// tests skip without TEST_DATABASE_URL, with a printed reason, and fail then under REQUIRE_POSTGRES=1.
if (slowRun) {
  projects.push({
    test: {
      name: 'reliability',
      root: web,
      include: ['reliability/**/*.test.ts'],
      globalSetup: ['reliability/global-setup.ts'],
      ...inOrder(4),
      testTimeout: 300_000,
      hookTimeout: 240_000,
      fileParallelism: false,
    },
  })
}

for (const reason of leftOut) console.warn(`SKIPPING SUITE ${reason}`)

export default defineConfig({
  test: {
    projects,
    // Two cores here. Projects with fileParallelism: false (e2e, reliability) still run their files one at a time.
    maxWorkers: 2,
    reporters: ['default', new TotalsReporter(leftOut)],
  },
})
