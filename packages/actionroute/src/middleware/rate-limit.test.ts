import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { base, action, formAction, idle, memoryStore, postgresStore, rateLimit, RATE_LIMIT_TABLE_SQL, route, type RateLimitStore } from '../index'
import { withActionContext } from '../testing'
import { trustProxy } from '../core/client-address'
import { testDatabases } from './databases.fixture'

const byHeader = (ctx: { headers: Headers }) => ctx.headers.get('x-client') ?? undefined

function limited(store: RateLimitStore, limit = 2) {
  return base.use(rateLimit({ limit, window: 60, key: byHeader, store, name: 'writes' })).operation({
    name: 'ping',
    input: z.object({ n: z.number().optional() }),
    handler: () => ({ message: 'pong' }),
  })
}
const post = (client?: string) =>
  new Request('http://test/ping', { method: 'POST', headers: { 'content-type': 'application/json', ...(client ? { 'x-client': client } : {}) }, body: '{}' })
const noParams = { params: Promise.resolve({}) }

describe('rateLimit() on the route door', () => {
  afterEach(() => vi.useRealTimers())

  it('answers the limit and what is left, then 429 with Retry-After and the IETF headers', async () => {
    const handle = route(limited(memoryStore()))
    const answers = []
    for (let i = 0; i < 3; i++) {
      const response = await handle(post('a'), noParams)
      answers.push([response.status, response.headers.get('ratelimit'), response.headers.get('ratelimit-policy'), response.headers.get('retry-after')])
    }
    expect(answers).toEqual([
      [200, '"writes";r=1;t=60', '"writes";q=2;w=60', null],
      [200, '"writes";r=0;t=60', '"writes";q=2;w=60', null],
      [429, '"writes";r=0;t=60', '"writes";q=2;w=60', '60'],
    ])
    const refused = await handle(post('a'), noParams)
    expect(await refused.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED', detail: 'Too many requests: try again in 60 seconds.' })
  })

  it('counts each key apart, counts calls without a key in one shared budget (fail closed), and opens a new window when one ends', async () => {
    vi.useFakeTimers({ now: 0, toFake: ['Date'] })
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const handle = route(limited(memoryStore(), 1))
    expect((await handle(post('a'), noParams)).status).toBe(200)
    expect((await handle(post('b'), noParams)).status).toBe(200)
    expect((await handle(post('a'), noParams)).status).toBe(429)
    // Unknown clients were let through uncounted: now they share one budget, and a warning says so once.
    expect((await handle(post(), noParams)).status).toBe(200)
    for (let i = 0; i < 3; i++) expect((await handle(post(), noParams)).status).toBe(429)
    expect(warn.mock.calls.map(([message]) => message)).toEqual([expect.stringContaining('a call\'s client is unknown (is trustProxy() set?)')])
    warn.mockRestore()
    vi.setSystemTime(59_000)
    expect((await handle(post('a'), noParams)).headers.get('retry-after')).toBe('1')
    vi.setSystemTime(60_000)
    expect((await handle(post('a'), noParams)).status).toBe(200)
  })
})

describe('rateLimit() on the action door', () => {
  it('answers the form error with the wait, and the direct action the typed code', async () => {
    const op = limited(memoryStore(), 1)
    const form = new FormData()
    const inRequest = <T,>(fn: () => Promise<T>) => withActionContext({ headers: { 'x-client': 'a' } }, fn)
    expect((await inRequest(() => formAction(op)(idle, form))).status).toBe('success')
    expect(await inRequest(() => formAction(op)(idle, form))).toMatchObject({
      status: 'error',
      code: 'RATE_LIMITED',
      formError: 'Too many requests: try again in 60 seconds.',
    })
    expect(await inRequest(() => action(op)({}))).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED', status: 429 } })
  })
})

describe('memoryStore()', () => {
  afterEach(() => vi.useRealTimers())

  it('keeps at most maxKeys windows: full of live ones, it counts new keys together rather than reset a counted client', async () => {
    vi.useFakeTimers({ now: 0, toFake: ['Date'] })
    const store = memoryStore({ maxKeys: 3 })
    for (const key of ['a', 'b', 'c']) await store.hit(key, 60_000)
    // 'd' and 'e' find no room: they share the overflow window; 'a' keeps its count (it was reset to 1 before).
    expect((await store.hit('d', 60_000)).count).toBe(1)
    expect((await store.hit('e', 60_000)).count).toBe(2)
    expect((await store.hit('a', 60_000)).count).toBe(2)
    // Once windows end, they make room again.
    vi.setSystemTime(60_000)
    expect((await store.hit('e', 60_000)).count).toBe(1)
    expect((await store.hit('e', 60_000)).count).toBe(2)
  })
})

describe('rateLimit() by client address', () => {
  it('counts an IPv6 client by its /64, and reads an address written with its port', async () => {
    trustProxy({ hops: 1 })
    try {
      const op = base.use(rateLimit({ limit: 1, window: 60 })).operation({ name: 'ping', input: z.object({}), handler: () => ({}) })
      const from = async (xff: string) => (await route(op)(new Request('http://test/ping', { method: 'POST', headers: { 'x-forwarded-for': xff } }), noParams)).status
      expect(await from('2001:db8:1:2::1')).toBe(200)
      expect(await from('2001:db8:1:2:ffff:ffff:ffff:fffe')).toBe(429)
      expect(await from('2001:db8:1:3::1')).toBe(200)
      expect(await from('198.51.100.7:51234')).toBe(200)
      expect(await from('198.51.100.7:40000')).toBe(429)
      expect(await from('[2001:db8:9::1]:443')).toBe(200)
      expect(await from('2001:db8:9:0:1::')).toBe(429)
    } finally {
      trustProxy(undefined)
    }
  })
})

const stores = testDatabases('postgresStore()', 'actionroute_rate_limits', RATE_LIMIT_TABLE_SQL)

describe.each(stores)('postgresStore() on $name', ({ skip, open }) => {
  it.skipIf(skip)('counts every concurrent call exactly once, per key and window', async () => {
    const db = await open()
    const store = postgresStore(db)
    const counts = await Promise.all(Array.from({ length: 50 }, () => store.hit('writes:a', 60_000)))
    expect(counts.map((c) => c.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
    expect(new Set(counts.map((c) => c.resetAt)).size).toBe(1)
    expect(Math.abs(counts[0]!.resetAt - (Date.now() + 60_000))).toBeLessThan(5_000)
    expect((await store.hit('writes:b', 60_000)).count).toBe(1)
    // A window that has ended starts again at 1.
    await db.query(`update actionroute_rate_limits set reset_at = now() - interval '1 second' where key = 'writes:a'`, [])
    expect((await store.hit('writes:a', 60_000)).count).toBe(1)
  }, 30_000) // PGlite takes a few seconds to start
})
