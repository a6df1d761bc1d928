import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { appDir, DIST_DIR, nextBin, nextEnv } from './paths'

// Builds the app once for the whole e2e run, into .next-e2e (next.config.ts honors NEXT_DIST_DIR).
// E2E_SKIP_BUILD=1 reuses the previous e2e build, handy while iterating on the tests.

const BUILD_TIMEOUT_MS = 220_000

/**
 * `next build` "helpfully" rewrites tsconfig.json (adding `<distDir>/types/**` to `include`) and
 * next-env.d.ts (pointing it at `<distDir>/types`) for whatever dist dir it builds into. Building into
 * .next-e2e must not leave tracked files modified, so both are put back afterwards, but only when the
 * change is exactly Next's rewrite, never over somebody else's edit made while the build ran.
 */
const TSCONFIG = path.join(appDir, 'tsconfig.json')
const NEXT_ENV = path.join(appDir, 'next-env.d.ts')
const NEXT_TYPE_GLOBS = [`${DIST_DIR}/types/**/*.ts`, `${DIST_DIR}/dev/types/**/*.ts`]

const readOrNull = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : null)

function parseJson(text: string): Record<string, unknown> | null {
  try {
    return JSON.parse(text) as Record<string, unknown>
  } catch {
    return null // tsconfig with comments: we cannot prove the change is Next's, so we leave it alone.
  }
}

/** True when `after` is `before` plus Next's .next-e2e type globs in `include` (and formatting). */
function isNextsTsconfigRewrite(before: string, after: string): boolean {
  const original = parseJson(before)
  const rewritten = parseJson(after)
  if (!original || !rewritten || !Array.isArray(rewritten.include)) return false
  const originalInclude = Array.isArray(original.include) ? (original.include as unknown[]) : []
  const include = (rewritten.include as unknown[]).filter(
    (entry) => originalInclude.includes(entry) || !NEXT_TYPE_GLOBS.includes(entry as string),
  )
  return isDeepStrictEqual({ ...rewritten, include }, original)
}

function restoreGenerated(before: { tsconfig: string | null; nextEnv: string | null }): void {
  const tsconfig = readOrNull(TSCONFIG)
  if (before.tsconfig !== null && tsconfig !== null && tsconfig !== before.tsconfig) {
    if (isNextsTsconfigRewrite(before.tsconfig, tsconfig)) writeFileSync(TSCONFIG, before.tsconfig)
    else console.warn(`[e2e] ${TSCONFIG} changed during the build and not only by Next: left as it is.`)
  }
  const nextEnvNow = readOrNull(NEXT_ENV)
  if (before.nextEnv !== null && nextEnvNow !== null && nextEnvNow !== before.nextEnv && nextEnvNow.includes(`./${DIST_DIR}/`)) {
    writeFileSync(NEXT_ENV, before.nextEnv)
  }
}

function runBuild(): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [nextBin, 'build'], { cwd: appDir, env: nextEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
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

export default async function setup(): Promise<void> {
  const buildId = path.join(appDir, DIST_DIR, 'BUILD_ID')
  if (process.env.E2E_SKIP_BUILD === '1') {
    if (!existsSync(buildId)) {
      throw new Error(`E2E_SKIP_BUILD=1 but there is no e2e build at ${path.dirname(buildId)}: run once without it.`)
    }
    console.log(`[e2e] E2E_SKIP_BUILD=1: reusing the build in ${path.dirname(buildId)}`)
    return
  }

  const before = { tsconfig: readOrNull(TSCONFIG), nextEnv: readOrNull(NEXT_ENV) }
  const startedAt = Date.now()
  let result: Awaited<ReturnType<typeof runBuild>>
  try {
    result = await runBuild()
  } finally {
    restoreGenerated(before)
  }
  if (result.code !== 0 || !existsSync(buildId)) {
    throw new Error(
      `next build (NEXT_DIST_DIR=${DIST_DIR}, cwd ${appDir}) failed with ${result.signal ?? `exit code ${result.code}`}:\n${result.output}`,
    )
  }
  console.log(`[e2e] next build into ${DIST_DIR} took ${((Date.now() - startedAt) / 1000).toFixed(1)} s`)
}
