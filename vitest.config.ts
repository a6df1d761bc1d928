import { existsSync } from 'node:fs'
import path from 'node:path'
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config'
import { TotalsReporter } from './test/totals-reporter'

// Suites that need a browser or PostgreSQL run when those are there, and say so loudly when they
// are not. CI sets REQUIRE_E2E=1 / REQUIRE_POSTGRES=1, which turns a missing one into a failure.
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
const testDatabaseUrl = process.env.TEST_DATABASE_URL
const leftOut: string[] = []
// `npm run test:reliability` (RELIABILITY=1) runs the reliability suite alone; `npm test` runs the rest.
const reliabilityRun = process.env.RELIABILITY === '1'

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
const webProject = (name: string, env: Record<string, string>): TestProjectInlineConfiguration => ({
  resolve: { alias: [...alias, { find: '@', replacement: web }] },
  test: {
    name,
    root: web,
    include: ['server/**/*.test.ts', 'app/**/*.test.ts', 'components/**/*.test.ts'],
    env,
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
})

const projects: TestProjectInlineConfiguration[] = reliabilityRun ? [] : [
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
  !reliabilityRun &&
  optional('web:postgres', Boolean(testDatabaseUrl), process.env.REQUIRE_POSTGRES === '1',
    'TEST_DATABASE_URL is not set (e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres); each run creates and drops its own databases there.')
) {
  projects.push(webProject('web:postgres', { TEST_DB: 'postgres', LOG_LEVEL: 'silent' }))
}

if (
  !reliabilityRun &&
  optional('e2e', existsSync(chromiumPath), process.env.REQUIRE_E2E === '1',
    `no Chromium at ${chromiumPath}: install it (apt-get install chromium) or set CHROMIUM_PATH to your Chrome/Chromium.`)
) {
  projects.push({
    test: {
      name: 'e2e',
      root: web,
      include: ['e2e/**/*.test.ts'],
      globalSetup: ['e2e/global-setup.ts'],
      testTimeout: 60_000,
      hookTimeout: 240_000,
      fileParallelism: false,
    },
  })
}

// The packed package in a fresh Next.js app outside this repository (npm pack, npm install from the
// registry, next build, next start), driven over HTTP and in Chromium: see test/consumer.
if (
  !reliabilityRun &&
  optional('consumer', existsSync(chromiumPath), process.env.REQUIRE_E2E === '1',
    `no Chromium at ${chromiumPath}: install it (apt-get install chromium) or set CHROMIUM_PATH to your Chrome/Chromium.`)
) {
  projects.push({
    test: {
      name: 'consumer',
      root: path.resolve('test/consumer'),
      include: ['*.test.ts'],
      // npm install, next build and next start happen once, in beforeAll (each step has its own limit).
      testTimeout: 60_000,
      hookTimeout: 25 * 60_000,
      fileParallelism: false,
    },
  })
}

// Real `npm start` servers under load, kill -9 in a loop, two instances on one PostgreSQL, idempotency
// keys and the rate limit under concurrency (apps/web/reliability), on PGlite and PostgreSQL. Minutes
// long, so not part of `npm test`: `npm run test:reliability` (RELIABILITY=1). Its PostgreSQL tests skip
// without TEST_DATABASE_URL, with a printed reason, and fail then under REQUIRE_POSTGRES=1.
if (reliabilityRun) {
  projects.push({
    test: {
      name: 'reliability',
      root: web,
      include: ['reliability/**/*.test.ts'],
      globalSetup: ['reliability/global-setup.ts'],
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
    reporters: ['default', new TotalsReporter(leftOut)],
  },
})
