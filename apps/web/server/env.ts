import path from 'node:path'

/** The app's configuration, read from the environment once, in one place: see "Configuration" in the README. */
export interface Env {
  /** API keys (or `sha256:` digests) from API_KEYS; when any, every write needs a principal on every door. */
  apiKeys: string[]
  /** ADMIN_PASSWORD: signs the admin in to the forms; required with API_KEYS. */
  adminPassword?: string
  /** SESSION_SECRET: seals the session cookie (32 characters or more); required with API_KEYS. */
  sessionSecret?: string
  /** RATE_LIMIT_WRITES: writes per client and minute, 0 for no limit. */
  writesPerMinute: number
  /** 1 (the entry scripts/server.mjs appends) + TRUSTED_PROXIES, the proxies of yours in front of the app. */
  trustedHops: number
  databaseUrl?: string
  /** DATA_DIR: PGlite's directory, or `memory://`. */
  dataDir: string
  poolMax?: number
  /** PGLITE_SHARED_BUFFERS, e.g. `16MB`. */
  sharedBuffers?: string
  /** LOG_LEVEL=silent turns the request log off. */
  logRequests: boolean
  /** MEMORY_MODE: `lean` (the default) trades some speed for much less memory; `fast` keeps V8's defaults. */
  memoryMode: MemoryMode
}

export const MEMORY_MODES = ['lean', 'fast'] as const
export type MemoryMode = (typeof MEMORY_MODES)[number]

/** The configuration in `source`, or one error that lists every variable with a bad value and what it should be. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const problems: string[] = []
  const check = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem)
  }
  const apiKeys = (source.API_KEYS ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean)
  for (const key of apiKeys) check(key.length >= 16 || /^sha256:[0-9a-f]{64}$/i.test(key), 'API_KEYS: each key must be at least 16 characters, or sha256:<64 hex digits>.')
  const { ADMIN_PASSWORD: adminPassword, SESSION_SECRET: sessionSecret } = source
  if (apiKeys.length > 0) {
    check(Boolean(adminPassword), 'ADMIN_PASSWORD is required with API_KEYS: writes then need a principal on every door, and this password signs people in to the forms.')
    check(Boolean(sessionSecret), 'SESSION_SECRET is required with API_KEYS: it seals the session cookie (e.g. `openssl rand -base64 32`).')
  }
  check(adminPassword === undefined || adminPassword.length >= 12, 'ADMIN_PASSWORD must be at least 12 characters.')
  check(sessionSecret === undefined || sessionSecret.length >= 32, 'SESSION_SECRET must be at least 32 characters (e.g. `openssl rand -base64 32`).')

  const writes = source.RATE_LIMIT_WRITES ?? '60'
  check(/^\d{1,9}$/.test(writes), `RATE_LIMIT_WRITES must be a whole number of writes per minute (0: no limit), not "${writes}".`)
  const proxies = source.TRUSTED_PROXIES ?? '0'
  check(/^\d{1,2}$/.test(proxies), `TRUSTED_PROXIES must be the number of proxies in front of the app (0 when none), not "${proxies}".`)
  const poolMax = source.DATABASE_POOL_MAX
  check(poolMax === undefined || /^[1-9]\d{0,3}$/.test(poolMax), `DATABASE_POOL_MAX must be a whole number above 0, not "${poolMax}".`)
  const sharedBuffers = source.PGLITE_SHARED_BUFFERS
  check(sharedBuffers === undefined || /^[1-9][0-9]{0,5}(kB|MB|GB)$/.test(sharedBuffers), `PGLITE_SHARED_BUFFERS must be a size such as 16MB (a whole number and kB, MB or GB), not "${sharedBuffers}".`)
  const logLevel = source.LOG_LEVEL
  check(logLevel === undefined || ['silent', 'info'].includes(logLevel), `LOG_LEVEL must be info or silent, not "${logLevel}".`)

  const memoryMode = source.MEMORY_MODE ?? 'lean'
  check((MEMORY_MODES as readonly string[]).includes(memoryMode), `MEMORY_MODE must be lean or fast, not "${memoryMode}".`)

  if (problems.length > 0) throw new Error(`The environment is not valid:\n- ${problems.join('\n- ')}`)
  return {
    apiKeys,
    ...(adminPassword ? { adminPassword } : {}),
    ...(sessionSecret ? { sessionSecret } : {}),
    writesPerMinute: Number(writes),
    trustedHops: 1 + Number(proxies),
    ...(source.DATABASE_URL ? { databaseUrl: source.DATABASE_URL } : {}),
    dataDir: path.resolve(/*turbopackIgnore: true*/ source.DATA_DIR || '.data'),
    ...(poolMax ? { poolMax: Number(poolMax) } : {}),
    ...(sharedBuffers ? { sharedBuffers } : {}),
    logRequests: logLevel !== 'silent',
    memoryMode: memoryMode as MemoryMode,
  }
}

let current: Env | undefined
/** This process's configuration, read on first use (instrumentation.ts reads it at start-up, so a bad value stops the server there). */
export function env(): Env {
  return (current ??= readEnv())
}
