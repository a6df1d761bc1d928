import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { isFresh } from '../scripts/build-freshness.mjs'
import { openDatabase } from '../server/db/client'
import { appDir, DIST_DIR, NEXT_DEPLOY, nextBin, nextEnv, TEMPLATE_DATA_DIR } from './paths'

// Builds the app once for the e2e run, into .next-e2e (next.config.ts honors NEXT_DIST_DIR), unless the build
// there is newer than every source (the quick run's build serves the slow run); the slow run adds a build into
// .next-e2e-next with another encryption key: the "next deploy" of deploy-skew.test.ts. E2E_SKIP_BUILD=1 reuses
// the builds there whatever their age, handy while iterating on the tests. Then makes the data directory every
// server copies (server.ts), created and migrated once instead of once per server.

const BUILD_TIMEOUT_MS = 220_000

// tsconfig.json already lists .next-e2e/types, so `next build` leaves it as it is.

function runBuild(env: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [nextBin, 'build'], { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const timer = setTimeout(() => {
      output += `\n[e2e] next build did not finish within ${BUILD_TIMEOUT_MS / 1000} s: killed.`
      child.kill('SIGKILL')
    }, BUILD_TIMEOUT_MS)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, output })
    })
  })
}

export async function build(distDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const buildId = path.join(appDir, distDir, 'BUILD_ID')
  if (process.env.E2E_SKIP_BUILD !== '1' && isFresh(appDir, path.join(appDir, distDir))) {
    console.log(`[e2e] the build in ${distDir} is newer than the sources: reusing it`)
    return
  }
  if (process.env.E2E_SKIP_BUILD === '1') {
    if (!existsSync(buildId)) {
      throw new Error(`E2E_SKIP_BUILD=1 but there is no e2e build at ${path.dirname(buildId)}: run once without it.`)
    }
    console.log(`[e2e] E2E_SKIP_BUILD=1: reusing the build in ${path.dirname(buildId)}`)
    return
  }
  const startedAt = Date.now()
  const result = await runBuild(env)
  if (result.code !== 0 || !existsSync(buildId)) {
    throw new Error(`next build (NEXT_DIST_DIR=${distDir}, cwd ${appDir}) failed with ${result.signal ?? `exit code ${result.code}`}:\n${result.output}`)
  }
  console.log(`[e2e] next build into ${distDir} took ${((Date.now() - startedAt) / 1000).toFixed(1)} s`)
}

/** A PGlite data directory with the schema in place, for servers to start from a copy of. */
async function makeTemplateDataDir(): Promise<void> {
  const startedAt = Date.now()
  rmSync(TEMPLATE_DATA_DIR, { recursive: true, force: true })
  mkdirSync(TEMPLATE_DATA_DIR, { recursive: true })
  const database = await openDatabase({ dataDir: TEMPLATE_DATA_DIR })
  await database.close()
  console.log(`[e2e] template data directory made in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`)
}

async function prepare(): Promise<void> {
  // One after the other: two builds at once would only compete for the same cores.
  await build(DIST_DIR, nextEnv())
  if (process.env.TEST_SUITE === 'slow') await build(NEXT_DEPLOY.distDir, nextEnv(NEXT_DEPLOY.env))
  await makeTemplateDataDir()
}

// Once per run, however many projects name this file (the slow run's e2e and e2e:waiting), each of which may load
// a copy of this module: hence a mark on the process rather than in the module.
const PREPARED = Symbol.for('userdirectory.e2e.prepared')
export default function setup(): Promise<void> {
  const marks = globalThis as { [PREPARED]?: Promise<void> }
  return (marks[PREPARED] ??= prepare())
}
