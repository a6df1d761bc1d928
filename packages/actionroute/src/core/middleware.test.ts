import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { base, defineErrors, OperationError, action, middleware, operation, route, trustProxy, type Context } from '../index'
import { withActionContext } from '../testing'

// One middleware, written once, on both doors: it sees the same context and can add to it or refuse.
const seen: Pick<Context, 'door' | 'operation' | 'ip'>[] = []
const signIn = defineErrors({ UNAUTHORIZED: { status: 401, message: 'Sign in first.' } })
const auth = middleware(async (ctx, next) => {
  seen.push({ door: ctx.door, operation: ctx.operation, ip: ctx.ip })
  const token = ctx.headers.get('authorization') ?? ctx.cookies.get('session')
  if (token !== 'Bearer ada' && token !== 'ada') throw signIn.UNAUTHORIZED()
  return next({ user: { name: 'Ada' } })
}, { errors: signIn })
const timing = middleware(async (_ctx, next) => {
  const outcome = await next()
  return outcome.ok ? { ok: true, data: { ...(outcome.data as object), timed: true } } : outcome
})

const whoAmI = base.use(timing).use(auth).operation({
  name: 'whoAmI',
  input: z.object({ greeting: z.string().min(1) }),
  handler: ({ greeting }, ctx) => ({ text: `${greeting}, ${ctx.locals.user.name}` }),
})

const viaRoute = async (headers: Record<string, string>, body: object) => {
  const response = await route(whoAmI)(
    new Request('http://test/', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }),
    { params: Promise.resolve({}) },
  )
  return { status: response.status, body: await response.json() }
}
const viaAction = (headers: Record<string, string>, body: { greeting: string }) =>
  withActionContext({ headers }, () => action(whoAmI)(body))

describe('middleware', () => {
  // One proxy in front, which appends the address it saw: the one entry in these requests.
  beforeAll(() => trustProxy({ hops: 1 }))
  afterAll(() => trustProxy(undefined))

  it('adds to the context for the handler, and wraps the outcome, on both doors', async () => {
    seen.length = 0
    expect(await viaRoute({ authorization: 'Bearer ada', 'x-forwarded-for': '192.0.2.1' }, { greeting: 'Hello' })).toEqual({
      status: 200,
      body: { text: 'Hello, Ada', timed: true },
    })
    expect(await viaAction({ cookie: 'session=ada', 'x-forwarded-for': '192.0.2.2' }, { greeting: 'Hi' })).toEqual({
      ok: true,
      data: { text: 'Hi, Ada', timed: true },
    })
    expect(seen).toEqual([
      { door: 'route', operation: 'whoAmI', ip: '192.0.2.1' },
      { door: 'action', operation: 'whoAmI', ip: '192.0.2.2' },
    ])
  })

  it('refuses with a typed error before the input is even validated', async () => {
    expect(await viaRoute({}, { greeting: '' })).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED', detail: 'Sign in first.' } })
    expect(await viaAction({}, { greeting: '' })).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED', status: 401 } })
  })

  it('lets validation errors through the chain once admitted', async () => {
    expect(await viaRoute({ authorization: 'Bearer ada' }, { greeting: '' })).toMatchObject({ status: 422, body: { code: 'VALIDATION_FAILED' } })
  })

  it('refuses a second next(): the handler runs once, and the bug is logged with an id', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    let runs = 0
    const twice = middleware(async function twice(_ctx, next) {
      await next()
      return next()
    })
    const counted = base.use(twice).operation({ name: 'counted', input: z.object({}), handler: () => ({ runs: ++runs }) })
    const result = await withActionContext({}, () => action(counted)({}))
    expect(result).toMatchObject({ ok: false, error: { code: 'INTERNAL', status: 500 } })
    expect(runs).toBe(1)
    expect(log).toHaveBeenCalledWith(
      expect.stringContaining('in counted (action)'),
      expect.objectContaining({ message: 'Middleware twice (#1 of counted) called next() more than once; call it at most once.' }),
    )
    log.mockRestore()
  })
})

describe('middleware on the route door', () => {
  const stamp = middleware(async (ctx, next) => {
    ctx.responseHeaders.set('x-stamp', 'yes')
    if (ctx.headers.get('authorization') !== 'ok') throw signIn.UNAUTHORIZED()
    return next()
  }, { errors: signIn })
  const stamped = base.use(stamp).operation({ name: 'stamped', input: z.object({ n: z.number() }), handler: ({ n }) => ({ n }) })
  const call = (authorization: string, body: BodyInit) =>
    route(stamped)(
      new Request('http://test/', { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body, duplex: 'half' } as RequestInit),
      { params: Promise.resolve({}) },
    )

  it('refuses before the body is read: a refused call costs no body read', async () => {
    let pulled = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(new TextEncoder().encode('{"n":1}'))
        controller.close()
      },
    }, { highWaterMark: 0 }) // pulled only when someone reads
    const refused = await call('nope', body)
    expect(refused.status).toBe(401)
    expect(pulled).toBe(0)
    // The same body is read once the call is let through.
    const pulledBefore = pulled
    const admitted = await call('ok', new ReadableStream<Uint8Array>({ pull: (c) => (pulled++, c.enqueue(new TextEncoder().encode('{"n":1}')), c.close()) }, { highWaterMark: 0 }))
    expect([admitted.status, pulled - pulledBefore]).toEqual([200, 1])
  })

  it('sends the headers middleware set, on success and on error', async () => {
    const [ok, refused] = [await call('ok', '{"n":1}'), await call('nope', '{"n":1}')]
    expect([ok.status, ok.headers.get('x-stamp'), await ok.json()]).toEqual([200, 'yes', { n: 1 }])
    expect([refused.status, refused.headers.get('x-stamp'), refused.headers.get('content-type')]).toEqual([401, 'yes', 'application/problem+json'])
  })
})

describe('error codes an operation does not declare', () => {
  const sloppy = operation({
    name: 'sloppy',
    input: z.object({}),
    handler: () => {
      throw new OperationError('PAYMENT_REQUIRED', 'Pay first.', { status: 402 })
    },
  })
  const call = () => route(sloppy)(new Request('http://test/', { method: 'POST' }), { params: Promise.resolve({}) })

  it('are a loud bug outside production: both doors throw (Next shows it), naming the code and where to declare it', async () => {
    const bug = /sloppy answered the error code PAYMENT_REQUIRED, which neither it nor its middleware declares: add it to the operation's `errors`/
    await expect(withActionContext({}, () => action(sloppy)({}))).rejects.toThrow(bug)
    await expect(call()).rejects.toThrow(bug)
  })

  it('leave the doors’ own codes alone: a server shutting down answers 503 from any operation', async () => {
    const closing = operation({
      name: 'closing',
      input: z.object({}),
      handler: () => {
        throw new OperationError('SERVICE_UNAVAILABLE', 'The server is shutting down.', { headers: { 'retry-after': '1' } })
      },
    })
    const response = await route(closing)(new Request('http://test/', { method: 'POST' }), { params: Promise.resolve({}) })
    expect([response.status, response.headers.get('retry-after'), ((await response.json()) as { code: string }).code]).toEqual([503, '1', 'SERVICE_UNAVAILABLE'])
  })

  it('are an INTERNAL 500 with an error id in production, the code logged under that id', async () => {
    vi.stubEnv('NODE_ENV', 'production')
    vi.resetModules()
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      const fresh = await import('../index')
      const op = fresh.operation({ name: 'sloppy', input: z.object({}), handler: () => {
        throw new fresh.OperationError('PAYMENT_REQUIRED', 'Pay first.', { status: 402 })
      } })
      const response = await fresh.route(op)(new Request('http://test/', { method: 'POST' }), { params: Promise.resolve({}) })
      const body = await response.json()
      expect([response.status, body.code, body.detail]).toEqual([500, 'INTERNAL', expect.stringContaining(body.errorId)])
      expect(JSON.stringify(body)).not.toContain('Pay first')
      expect(log).toHaveBeenCalledWith(expect.stringContaining(body.errorId), expect.objectContaining({ message: expect.stringContaining('PAYMENT_REQUIRED') }))
    } finally {
      log.mockRestore()
      vi.unstubAllEnvs()
      vi.resetModules()
    }
  })
})
