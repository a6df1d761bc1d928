// Whether a production build is still what the sources would build: `npm start` builds only when it is not,
// and the e2e suites reuse a build that is (the quick run's build serves the slow run).
import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'

/** What a build is made from, relative to apps/web. */
const SOURCES = ['app', 'components', 'server', 'drizzle', 'public', 'next.config.ts', 'proxy.ts', 'instrumentation.ts', 'tsconfig.json', 'package.json', '../../packages/actionroute/src']

function newestChange(entry) {
  if (!existsSync(entry)) return 0
  const stat = statSync(entry)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(stat.mtimeMs, ...readdirSync(entry).map((name) => newestChange(path.join(entry, name))))
}

/** When the build in `distDir` was made (its BUILD_ID's mtime), or 0 when there is none. */
export function builtAt(distDir) {
  const buildId = path.join(distDir, 'BUILD_ID')
  return existsSync(buildId) ? statSync(buildId).mtimeMs : 0
}

/** True when `distDir` (absolute) holds a build newer than every source of the app in `appDir`. */
export function isFresh(appDir, distDir) {
  const built = builtAt(distDir)
  return built > 0 && built >= Math.max(...SOURCES.map((entry) => newestChange(path.join(appDir, entry))))
}
