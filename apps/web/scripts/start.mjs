// npm start: builds when the build is missing or older than the sources, then serves it on PORT (default 3000).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const app = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const next = path.join(app, 'node_modules/.bin/next')
const nextBin = existsSync(next) ? next : path.join(app, '../../node_modules/.bin/next')
const distDir = path.join(app, process.env.NEXT_DIST_DIR || '.next')
const SOURCES = ['app', 'components', 'server', 'drizzle', 'public', 'next.config.ts', 'instrumentation.ts', 'package.json', '../../packages/actionroute/src']

function newestChange(entry) {
  if (!existsSync(entry)) return 0
  const stat = statSync(entry)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(stat.mtimeMs, ...readdirSync(entry).map((name) => newestChange(path.join(entry, name))))
}

const buildId = path.join(distDir, 'BUILD_ID')
const builtAt = existsSync(buildId) ? statSync(buildId).mtimeMs : 0
if (builtAt < Math.max(...SOURCES.map((entry) => newestChange(path.join(app, entry))))) {
  console.log(builtAt ? 'Sources changed since the last build: building…' : 'No production build yet: building…')
  const build = spawnSync(nextBin, ['build'], { cwd: app, stdio: 'inherit' })
  if (build.status !== 0) process.exit(build.status ?? 1)
}

const server = spawn(nextBin, ['start', '--port', process.env.PORT || '3000'], { cwd: app, stdio: 'inherit' })
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal))
server.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 143)))
