// npm start: builds when the build is missing or older than the sources, then serves it on PORT
// (default 3000) in this very process (scripts/server.mjs), so that a signal sent to `npm start`
// reaches the server: the package.json scripts `exec` this file, npm passes SIGTERM/SIGINT to its
// child, and there is no other process in between.
//
//   node scripts/start.mjs [--port 3000] [--hostname 0.0.0.0]
//   START_NO_BUILD=1   serve the existing build as it is (fail if there is none); the e2e tests use it.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import v8 from 'node:v8'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { builtAt, isFresh } from './build-freshness.mjs'

const app = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const next = path.join(app, 'node_modules/.bin/next')
const nextBin = existsSync(next) ? next : path.join(app, '../../node_modules/.bin/next')
const distDir = path.join(app, process.env.NEXT_DIST_DIR || '.next')

const { values: args } = parseArgs({
  options: { port: { type: 'string', short: 'p' }, hostname: { type: 'string', short: 'H' } },
})
const port = Number(args.port ?? process.env.PORT ?? 3000)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Invalid port "${args.port ?? process.env.PORT}".`)
  process.exit(1)
}

// Relative DATA_DIR and MIGRATIONS_DIR are resolved from the app, wherever npm start was run from.
process.chdir(app)

/** `next build` in a child process; a signal meanwhile is passed on to it, and we stop with it. */
function build() {
  return new Promise((resolve) => {
    const child = spawn(nextBin, ['build'], { cwd: app, stdio: 'inherit' })
    const forward = (signal) => child.kill(signal)
    process.on('SIGINT', forward).on('SIGTERM', forward)
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward).off('SIGTERM', forward)
      if (signal || code !== 0) process.exit(code ?? (signal === 'SIGINT' ? 130 : 143))
      resolve()
    })
  })
}

if (process.env.START_NO_BUILD === '1') {
  if (!builtAt(distDir)) {
    console.error(`START_NO_BUILD=1 but there is no build in ${distDir}.`)
    process.exit(1)
  }
} else if (!isFresh(app, distDir)) {
  console.log(builtAt(distDir) ? 'Sources changed since the last build: building…' : 'No production build yet: building…')
  await build()
}

// MEMORY_MODE=lean (the default; server/env.ts refuses a value other than lean or fast): between two full
// collections V8 lets the JavaScript heap grow by half of what was live at the last one, where its default lets
// it grow up to fourfold when collecting is slow. Under a steady load that is about 140 MiB less at the peak (the README's
// Memory section has both figures), for about 12 % fewer requests a second at saturation. PGlite's half of the
// mode is in server/db/client.ts.
if ((process.env.MEMORY_MODE ?? 'lean') === 'lean') v8.setFlagsFromString('--heap-growing-percent=50')

const { serve } = await import('./server.mjs')
await serve({ dir: app, port, hostname: args.hostname })
