import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

/** apps/web: the Next.js app under test (the parent of this e2e directory). */
export const appDir = fileURLToPath(new URL('..', import.meta.url))

/** Next's CLI entry point, resolved the way Node would from here (works with hoisted workspaces). */
export const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next')

/** The e2e build lives here (relative to appDir), so the developer's `.next` is never touched. */
export const DIST_DIR = '.next-e2e'

/** A migrated PGlite data directory (global-setup.ts makes it): a server without a data directory of its own starts on a copy. */
export const TEMPLATE_DATA_DIR = fileURLToPath(new URL('../.e2e-template-data', import.meta.url))

/**
 * A second build of the same code with another Server Actions encryption key, as the next deploy would
 * be: its action ids differ from the first build's (e2e/deploy-skew.test.ts).
 */
export const NEXT_DEPLOY = {
  distDir: '.next-e2e-next',
  // 32 bytes, base64: fixed, so a test run is reproducible; the first build's key is random.
  env: { NEXT_DIST_DIR: '.next-e2e-next', NEXT_SERVER_ACTIONS_ENCRYPTION_KEY: 'ZGVwbG95LXNrZXctdGVzdC1rZXktMzItYnl0ZXMhISE=' },
}

/** The environment for `next build` / `next start`: the e2e dist dir, PGlite (never DATABASE_URL), no telemetry. */
export function nextEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // Vitest marks its processes (VITEST*, TEST, NODE_ENV=test): the app under test must not think it runs in a test runner.
  const dropped = (key: string) => key === 'DATABASE_URL' || key === 'TEST' || key.startsWith('VITEST')
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !dropped(key))),
    NODE_ENV: 'production',
    NEXT_DIST_DIR: DIST_DIR,
    NEXT_TELEMETRY_DISABLED: '1',
    // Off unless a test asks: load and shutdown tests add hundreds of users a second from one address.
    RATE_LIMIT_WRITES: '0',
    ...extra,
  }
}
