import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { appDir, DIST_DIR, NEXT_DEPLOY, nextBin, nextEnv } from './paths'

// Builds the app once for the whole e2e run, into .next-e2e (next.config.ts honors NEXT_DIST_DIR), then
// again into .next-e2e-next with another encryption key: the "next deploy" of deploy-skew.test.ts.
// E2E_SKIP_BUILD=1 reuses the previous e2e builds, handy while iterating on the tests.

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

export default async function setup(): Promise<void> {
  // One after the other: two builds at once would only compete for the same cores.
  await build(DIST_DIR, nextEnv())
  await build(NEXT_DEPLOY.distDir, nextEnv(NEXT_DEPLOY.env))
}
