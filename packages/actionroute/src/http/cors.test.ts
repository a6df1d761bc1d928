import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { operation, routes, type CorsOptions } from '../index'

const add = operation({ name: 'add', input: z.object({ name: z.string() }), handler: ({ name }) => ({ name }), http: { status: 201, location: () => '/items/1' } })
const list = operation({ name: 'list', input: z.object({}), handler: () => [] })
const noParams = { params: Promise.resolve({}) }
const APP = 'https://app.example.com'

const served = (options: CorsOptions) => routes({ GET: list, POST: add }, { cors: options })
const preflight = (origin: string, method: string, headers?: string) =>
  new Request('http://api.test/items', {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, ...(headers ? { 'access-control-request-headers': headers } : {}) },
  })
const cors = (response: Response) => Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('access-control-') || name === 'vary'))

describe('routes(…, { cors })', () => {
  it('answers a preflight from a listed origin with what it may send, for the methods the path serves', async () => {
    const response = await served({ origins: [APP] }).OPTIONS(preflight(APP, 'POST', 'Content-Type, Idempotency-Key'), noParams)
    expect(response.status).toBe(204)
    expect(cors(response)).toEqual({
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'GET, POST, HEAD, OPTIONS',
      'access-control-allow-headers': 'content-type, idempotency-key',
      'access-control-max-age': '600',
      vary: 'Origin',
    })
  })

  it.each([
    { why: 'an origin not listed', request: preflight('https://evil.example', 'POST') },
    { why: 'a method the path does not serve', request: preflight(APP, 'DELETE') },
    { why: 'a header not allowed', request: preflight(APP, 'POST', 'content-type, x-secret') },
  ])('gives no permission for $why (the browser then sends nothing)', async ({ request }) => {
    const response = await served({ origins: [APP] }).OPTIONS(request, noParams)
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
    expect(response.headers.get('allow')).toBe('GET, POST, HEAD, OPTIONS')
  })

  it('lets a listed origin read the answer and its headers, success or error; credentials only when asked', async () => {
    const handlers = served({ origins: [APP] })
    const ok = await handlers.POST(new Request('http://api.test/items', { method: 'POST', headers: { origin: APP, 'content-type': 'application/json' }, body: '{"name":"a"}' }), noParams)
    expect([ok.status, ok.headers.get('access-control-allow-origin'), ok.headers.get('access-control-expose-headers'), ok.headers.get('access-control-allow-credentials')]).toEqual([
      201,
      APP,
      'location, retry-after, ratelimit, ratelimit-policy, idempotency-replayed',
      null,
    ])
    const invalid = await handlers.POST(new Request('http://api.test/items', { method: 'POST', headers: { origin: APP, 'content-type': 'application/json' }, body: '{}' }), noParams)
    expect([invalid.status, invalid.headers.get('access-control-allow-origin')]).toEqual([422, APP])
    const wrongMethod = await handlers.PUT(new Request('http://api.test/items', { method: 'PUT', headers: { origin: APP } }), noParams)
    expect([wrongMethod.status, wrongMethod.headers.get('access-control-allow-origin')]).toEqual([405, APP])
    const withCookies = await served({ origins: [APP], credentials: true }).GET(new Request('http://api.test/items', { headers: { origin: APP } }), noParams)
    expect(withCookies.headers.get('access-control-allow-credentials')).toBe('true')
  })

  it('says nothing to other origins, and lets listed ones post forms (the CSRF check trusts them)', async () => {
    const handlers = served({ origins: [APP] })
    const other = await handlers.GET(new Request('http://api.test/items', { headers: { origin: 'https://evil.example' } }), noParams)
    // Vary: Origin on it too: a shared cache must not hand this answer (without permission) to a listed origin, nor the reverse.
    expect([other.status, other.headers.get('access-control-allow-origin'), other.headers.get('vary')]).toEqual([200, null, 'Origin'])
    const none = await handlers.GET(new Request('http://api.test/items'), noParams)
    expect(none.headers.get('vary')).toBe('Origin')
    const form = (origin: string) =>
      handlers.POST(new Request('http://api.test/items', { method: 'POST', headers: { origin, 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=a' }), noParams)
    expect((await form(APP)).status).toBe(201)
    expect((await form('https://evil.example')).status).toBe(403)
  })

  it("answers any origin with '*', and refuses '*' with credentials when the routes are made", async () => {
    const response = await served({ origins: '*' }).GET(new Request('http://api.test/items', { headers: { origin: 'https://anyone.example' } }), noParams)
    expect([response.headers.get('access-control-allow-origin'), response.headers.get('vary')]).toEqual(['*', null])
    expect(() => served({ origins: '*', credentials: true })).toThrow(/cannot be combined with credentials/)
    expect(() => served({ origins: ['not a url'] })).toThrow()
  })
})
