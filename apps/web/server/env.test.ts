import { describe, expect, it } from 'vitest'
import { readEnv } from './env'

const read = (vars: Record<string, string>) => readEnv(vars as NodeJS.ProcessEnv)

describe('readEnv', () => {
  it('needs nothing: PGlite in .data, 60 writes a minute, open writes, the request log on', () => {
    expect(read({})).toMatchObject({ apiKeys: [], writesPerMinute: 60, trustedHops: 1, dataDir: expect.stringMatching(/\.data$/), logRequests: true, memoryMode: 'lean' })
    expect(read({ MEMORY_MODE: 'fast' }).memoryMode).toBe('fast')
  })

  it('asks for a sign-in password and a session secret with API_KEYS, so the forms have a way in', () => {
    expect(() => read({ API_KEYS: 'a-key-of-sixteen-chars' })).toThrow(
      /ADMIN_PASSWORD is required with API_KEYS[\s\S]*SESSION_SECRET is required with API_KEYS/,
    )
    const env = read({ API_KEYS: ' a-key-of-sixteen-chars , sha256:' + 'ab'.repeat(32), ADMIN_PASSWORD: 'twelve chars', SESSION_SECRET: 's'.repeat(32) })
    expect(env.apiKeys).toEqual(['a-key-of-sixteen-chars', `sha256:${'ab'.repeat(32)}`])
  })

  it('lists every bad value in one error, each with what it should be', () => {
    let message = ''
    try {
      read({ API_KEYS: 'short', ADMIN_PASSWORD: 'short', SESSION_SECRET: 'short', RATE_LIMIT_WRITES: 'lots', TRUSTED_PROXIES: '-1', DATABASE_POOL_MAX: '0', PGLITE_SHARED_BUFFERS: '16', LOG_LEVEL: 'loud', MEMORY_MODE: 'small' })
    } catch (error) {
      message = (error as Error).message
    }
    for (const name of ['API_KEYS', 'ADMIN_PASSWORD must', 'SESSION_SECRET must', 'RATE_LIMIT_WRITES', 'TRUSTED_PROXIES', 'DATABASE_POOL_MAX', 'PGLITE_SHARED_BUFFERS', 'LOG_LEVEL', 'MEMORY_MODE must be lean or fast, not "small"']) {
      expect(message).toContain(name)
    }
  })
})
