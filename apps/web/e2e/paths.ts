import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

/** apps/web: the Next.js app under test (the parent of this e2e directory). */
export const appDir = fileURLToPath(new URL('..', import.meta.url))

/** Next's CLI entry point, resolved the way Node would from here (works with hoisted workspaces). */
export const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next')

/** The e2e build lives here (relative to appDir), so the developer's `.next` is never touched. */
export const DIST_DIR = '.next-e2e'

/** The environment for `next build` / `next start`: the e2e dist dir, PGlite (never DATABASE_URL), no telemetry. */
export function nextEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // Vitest marks its processes (VITEST*, TEST, NODE_ENV=test): the app under test must not think it runs in a test runner.
  const dropped = (key: string) => key === 'DATABASE_URL' || key === 'TEST' || key.startsWith('VITEST')
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !dropped(key))),
    NODE_ENV: 'production',
    NEXT_DIST_DIR: DIST_DIR,
    NEXT_TELEMETRY_DISABLED: '1',
    ...extra,
  }
}
