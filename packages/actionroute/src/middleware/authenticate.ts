import { createHash, timingSafeEqual } from 'node:crypto'
import type { Context } from '../core/context'
import { defineErrors, OperationError } from '../core/errors'
import { middleware, type Middleware, type Nothing, type SecurityScheme } from '../core/middleware'

/** Who is calling, once authenticated: `id` scopes what they leave behind (idempotency keys), `via` says how they proved it. */
export interface Principal {
  id: string
  via: string
}

/** One way a caller can prove who they are, for `authenticate()`: a session cookie, an API key, a bearer token… */
export interface Authenticator<P extends Principal = Principal> {
  readonly kind: 'authenticator'
  /** How OpenAPI and the inventory describe it. */
  readonly scheme: SecurityScheme
  /** What a caller who sent nothing is told to do, e.g. `send an API key in the x-api-key header`. */
  readonly hint: string
  /** Sent with a 401 (`WWW-Authenticate`), if any. */
  readonly challenge?: string
  /**
   * The principal this call proves, or undefined when it carries no credential of this kind. A credential
   * that is present but wrong (a bad key, a forged or expired session) throws `invalidCredential()`.
   */
  identify(ctx: Context): P | undefined | Promise<P | undefined>
}

/** An authenticator: `identify(ctx)` gives the principal a call proves, by one kind of credential. */
export function authenticator<P extends Principal>(spec: Omit<Authenticator<P>, 'kind'>): Authenticator<P> {
  return { kind: 'authenticator', ...spec }
}

const UNAUTHORIZED_STATUS = 401

/** The error an authenticator throws for a credential that is present but not valid: 401, and never a hint of why beyond `message`. */
export function invalidCredential(message: string, challenge?: string): OperationError {
  return new OperationError('UNAUTHORIZED', message, { status: UNAUTHORIZED_STATUS, ...(challenge ? { headers: { 'www-authenticate': challenge } } : {}) })
}

type PrincipalOf<A> = A extends Authenticator<infer P> ? P : never

/**
 * Refuses a call that proves no principal by any of `ways` (tried in order, the first that knows the caller
 * wins): 401 `UNAUTHORIZED` problem+json on the route door, the same code and message in the form's
 * error state on the action door. The same on every door: a session cookie works wherever the browser sends
 * it, an API key wherever a header can be set. Adds `ctx.locals.principal`, and marks the operations behind
 * it as authenticated in the inventory and in OpenAPI (`security`: any one of the schemes).
 */
export function authenticate<const Ways extends readonly Authenticator[]>(
  ...ways: Ways
): Middleware<object, { principal: PrincipalOf<Ways[number]> }, ReturnType<typeof unauthorizedError>> {
  if (ways.length === 0) throw new TypeError('authenticate(): give at least one way to authenticate, e.g. apiKeys({ keys }) or a session authenticator.')
  const hints = ways.map((way) => way.hint)
  const message = `Authentication is required: ${hints.length === 1 ? hints[0] : `${hints.slice(0, -1).join(', ')} or ${hints.at(-1)}`}.`
  const challenges = ways.flatMap((way) => (way.challenge ? [way.challenge] : []))
  const errors = unauthorizedError(message)
  const refused = () => errors.UNAUTHORIZED(challenges.length > 0 ? { headers: { 'www-authenticate': challenges.join(', ') } } : {})
  return middleware(
    async function authenticated(ctx, next) {
      for (const way of ways) {
        const principal = await way.identify(ctx)
        if (principal) return next({ principal: principal as PrincipalOf<Ways[number]> })
      }
      throw refused()
    },
    { name: 'authenticate', errors, authenticates: ways.map((way) => way.scheme) },
  )
}

const unauthorizedError = (message: string) => defineErrors({ UNAUTHORIZED: { status: UNAUTHORIZED_STATUS, message } })

export interface ApiKeysOptions {
  /**
   * The keys callers may send, each as the key itself or as `sha256:<hex digest>` (so the
   * environment need not hold the keys: `printf %s "$KEY" | sha256sum`). At least one.
   */
  keys: readonly string[]
  /** The request header carrying the key; default `x-api-key`. */
  header?: string
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest()

function digestOf(key: string): Buffer {
  const hashed = /^sha256:([0-9a-f]{64})$/i.exec(key)
  if (hashed) return Buffer.from(hashed[1]!, 'hex')
  if (key.length < 16) throw new TypeError('apiKeys: a key must be at least 16 characters (or given as sha256:<hex digest>).')
  return digest(key)
}

/**
 * API keys in a request header (`X-API-Key` by default), on whichever door the call comes through:
 * `authenticate(apiKeys({ keys }))`. Keys are compared as SHA-256 digests in constant time, so neither a
 * key's length nor its content leaks through timing. The principal is `{ id: 'apiKey:<the first 16 hex
 * digits of the key's SHA-256>', via: 'apiKey' }`. Documented in OpenAPI as the `ApiKey` security scheme.
 */
export function apiKeys({ keys, header = 'x-api-key' }: ApiKeysOptions): Authenticator<{ id: string; via: 'apiKey' }> {
  if (keys.length === 0) throw new TypeError('apiKeys: give at least one key.')
  const accepted = keys.map(digestOf)
  const challenge = `ApiKey header="${header}"`
  return authenticator({
    scheme: { name: 'ApiKey', scheme: { type: 'apiKey', in: 'header', name: header, description: 'An API key issued for this API.' } },
    hint: `send an API key in the ${header} header`,
    challenge,
    identify(ctx) {
      const given = ctx.headers.get(header)
      if (!given) return undefined
      const sent = digest(given)
      // Every key is compared, whatever matched, so the time taken does not say which one did.
      let matched: Buffer | undefined
      for (const key of accepted) if (timingSafeEqual(sent, key)) matched = key
      if (!matched) throw invalidCredential('That API key is not valid.', challenge)
      return { id: `apiKey:${matched.toString('hex').slice(0, 16)}`, via: 'apiKey' }
    },
  })
}

const forbiddenError = (message: string) => defineErrors({ FORBIDDEN: { status: 403, message } })

/**
 * Lets through only the principals `allowed` accepts: 403 `FORBIDDEN` for the others, the same on both doors.
 * It needs a principal, so it goes after `authenticate()`: `base.use(authenticate(…)).use(authorize((p) => p.role === 'admin'))`
 * (before it, or without it, is a type error).
 */
export function authorize<P extends Principal>(
  allowed: (principal: P, ctx: Context<{ principal: P }>) => boolean | Promise<boolean>,
  message = 'You are signed in, but not allowed to do this.',
): Middleware<{ principal: P }, Nothing, ReturnType<typeof forbiddenError>> {
  const errors = forbiddenError(message)
  return middleware(
    async function authorized(ctx: Context<{ principal: P }>, next) {
      if (!(await allowed(ctx.locals.principal, ctx))) throw errors.FORBIDDEN()
      return next()
    },
    { name: 'authorize', errors },
  )
}
