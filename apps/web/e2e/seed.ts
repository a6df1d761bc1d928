import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { appDir } from './paths'

const tsx = createRequire(import.meta.url).resolve('tsx/cli')

/**
 * `npm run seed` (scripts/seed.ts) against `url`: its exit status and everything it printed. Asynchronous: a seed
 * waiting out the rate limit takes a minute, and a blocked event loop would miss the server closing idle sockets.
 */
export function seed(count: number, url: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, SEED_URL: url, SEED_COUNT: String(count) }
    execFile(process.execPath, [tsx, 'scripts/seed.ts'], { cwd: appDir, env, encoding: 'utf8' }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : null) : 0
      resolve({ status, output: `${stdout}${stderr}` })
    })
  })
}
