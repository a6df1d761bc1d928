// `npm run micro`: bundles micro.ts with esbuild, as a production build would compile it (no keepNames wrapper
// around every closure, as tsx adds to our source but not to a peer's prebuilt dist), and runs the bundle with
// NODE_ENV=production. Packages stay external; Next's subpaths are named by file, since Next has no exports map
// for Node's ESM resolver.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const dir = path.dirname(fileURLToPath(import.meta.url))
const outfile = path.join(dir, '.build', 'micro.mjs')
const nextSubpaths = ['headers', 'navigation', 'cache', 'server']
await build({
  entryPoints: [path.join(dir, 'micro.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  tsconfig: path.join(dir, 'tsconfig.json'),
  outfile,
  packages: 'external',
  alias: Object.fromEntries(nextSubpaths.map((name) => [`next/${name}`, `next/${name}.js`])),
  logLevel: 'warning',
})
const { status } = spawnSync(process.execPath, [outfile], { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } })
process.exitCode = status ?? 1
