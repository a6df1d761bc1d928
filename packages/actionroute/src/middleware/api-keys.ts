import { createHash, timingSafeEqual } from 'node:crypto'
import type { Door } from '../core/context'
import { ActionError } from '../core/errors'
import { middleware, type Middleware } from '../core/middleware'

export interface ApiKeysOptions {
  /**
   * The keys callers may send, each as the key itself or as `sha256:<hex digest>` (so the
   * environment need not hold the keys: `printf %s "$KEY" | sha256sum`). At least one.
   */
  keys: readonly string[]
  /** The request header carrying the key; default `x-api-key`. */
  header?: string
  /** The doors that ask for a key; default the route door only: your own forms are guarded by Next's Origin check. */
  doors?: readonly Door[]
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest()

function digestOf(key: string): Buffer {
  const hashed = /^sha256:([0-9a-f]{64})$/i.exec(key)
  if (hashed) return Buffer.from(hashed[1]!, 'hex')
  if (key.length < 16) throw new TypeError('apiKeys: a key must be at least 16 characters (or given as sha256:<hex digest>).')
  return digest(key)
}

/**
 * Asks callers on the route door for one of `keys` in `X-API-Key`: 401 `UNAUTHORIZED` without a valid one.
 * Keys are compared as SHA-256 digests in constant time, so neither a key's length nor its content leaks
 * through timing. The call's `ctx.principal` becomes `apiKey:<the first 16 hex digits of the key's SHA-256>`. Documented in OpenAPI as the `ApiKey` security scheme on the operations it guards.
 */
export function apiKeys({ keys, header = 'x-api-key', doors = ['route'] }: ApiKeysOptions): Middleware<{ principal: string }> {
  if (keys.length === 0) throw new TypeError('apiKeys: give at least one key.')
  const accepted = keys.map(digestOf)
  const asks = new Set(doors)
  const refuse = (message: string) => new ActionError('UNAUTHORIZED', message, { headers: { 'www-authenticate': `ApiKey header="${header}"` } })
  return middleware(
    async (ctx, next) => {
      if (!asks.has(ctx.door)) return next()
      const given = ctx.headers.get(header)
      if (!given) throw refuse(`This operation needs an API key in the ${header} header.`)
      const sent = digest(given)
      // Every key is compared, whatever matched, so the time taken does not say which one did.
      let matched: Buffer | undefined
      for (const key of accepted) if (timingSafeEqual(sent, key)) matched = key
      if (!matched) throw refuse('That API key is not valid.')
      // Who is calling, for what is scoped per caller (idempotency keys): the key, by a prefix of its digest.
      return next({ principal: `apiKey:${matched.toString('hex').slice(0, 16)}` })
    },
    {
      errors: [{ code: 'UNAUTHORIZED', status: 401, description: `no API key in \`${header}\`, or not a valid one` }],
      security: { name: 'ApiKey', scheme: { type: 'apiKey', in: 'header', name: header, description: 'An API key issued for this API.' } },
    },
  )
}
