import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { appDir } from './paths'

const tsx = createRequire(import.meta.url).resolve('tsx/cli')

/** `npm run seed` (scripts/seed.ts) against `url`: its exit status and everything it printed. */
export function seed(count: number, url: string): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [tsx, 'scripts/seed.ts'], { cwd: appDir, env: { ...process.env, SEED_URL: url, SEED_COUNT: String(count) }, encoding: 'utf8' })
  return { status: run.status, output: `${run.stdout}${run.stderr}` }
}
