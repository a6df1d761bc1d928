import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { operation, router } from '../index'

const listItems = operation({ name: 'listItems', input: z.object({}), handler: () => ({ items: [] }) })
const getItem = operation({ name: 'getItem', input: z.object({ id: z.string() }), handler: ({ id }) => ({ id }) })
const archived = operation({ name: 'archived', input: z.object({}), handler: () => ({ archived: true }) })
// The parameterised path first on purpose: the literal one must still win.
const api = { '/api/items': { GET: listItems }, '/api/items/{id}': { GET: getItem }, '/api/items/archived': { GET: archived } }
const handlers = router(api)
const noParams = { params: Promise.resolve({}) }

async function call(method: keyof typeof handlers, path: string) {
  const response = await handlers[method](new Request(`http://test${path}`, { method }), noParams)
  const text = await response.text()
  return { status: response.status, allow: response.headers.get('allow'), body: text ? JSON.parse(text) : null }
}

describe('router()', () => {
  it.each([
    { method: 'GET', path: '/api/items', expected: { status: 200, body: { items: [] } } },
    { method: 'GET', path: '/api/items/42', expected: { status: 200, body: { id: '42' } } },
    { method: 'GET', path: '/api/items/archived', expected: { status: 200, body: { archived: true } } },
    { method: 'GET', path: '/api/items/caf%C3%A9', expected: { status: 200, body: { id: 'café' } } },
    { method: 'GET', path: '/api/items/a%2Fb', expected: { status: 200, body: { id: 'a/b' } } },
    { method: 'POST', path: '/api/items/42', expected: { status: 405, allow: 'GET, HEAD, OPTIONS', body: expect.objectContaining({ code: 'METHOD_NOT_ALLOWED' }) } },
    { method: 'OPTIONS', path: '/api/items', expected: { status: 204, allow: 'GET, HEAD, OPTIONS', body: null } },
    { method: 'HEAD', path: '/api/items/42', expected: { status: 200, body: null } },
    { method: 'GET', path: '/api/things', expected: { status: 404, body: expect.objectContaining({ code: 'NOT_FOUND', detail: 'Nothing is served at /api/things.' }) } },
    { method: 'GET', path: '/api/items/42/more', expected: { status: 404, body: expect.objectContaining({ code: 'NOT_FOUND' }) } },
    { method: 'GET', path: '/api/items/%zz', expected: { status: 400, body: expect.objectContaining({ code: 'BAD_REQUEST' }) } },
  ] as const)('$method $path → $expected.status', async ({ method, path, expected }) => {
    expect(await call(method, path)).toMatchObject(expected)
  })
})

describe('router() precedence', () => {
  const named = (name: string) => operation({ name, input: z.object({}).passthrough(), handler: () => ({ name }) })
  const templates = ['/a/{x}/c', '/a/b/{y}', '/a/b/c', '/a/{x}/{y}', '/{z}/b/c', '/a/{x}', '/a/b']
  const table = (order: string[]) => Object.fromEntries(order.map((path) => [path, { GET: named(path) }]))
  const served = async (order: string[], path: string) => {
    const response = await router(table(order)).GET(new Request(`http://test${path}`), noParams)
    return response.status === 200 ? ((await response.json()) as { name: string }).name : response.status
  }

  it.each([
    ['/a/b/c', '/a/b/c'],
    ['/a/b/z', '/a/b/{y}'],
    ['/a/z/c', '/a/{x}/c'],
    ['/z/b/c', '/{z}/b/c'],
    ['/a/z/z', '/a/{x}/{y}'],
    ['/a/b', '/a/b'],
  ])('%s is served by %s, the most literal from the left, in either table order', async (path, template) => {
    expect(await served(templates, path)).toBe(template)
    expect(await served([...templates].reverse(), path)).toBe(template)
  })

  it('answers the same, whatever the order of the table (fuzzed)', async () => {
    const paths = ['/a/b/c', '/a/b/z', '/a/z/c', '/z/b/c', '/a/z/z', '/a/b', '/a/z', '/q']
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(templates, { minLength: 1 }), async (order) => {
        const first = await Promise.all(paths.map((path) => served(order, path)))
        expect(await Promise.all(paths.map((path) => served([...order].reverse(), path)))).toEqual(first)
      }),
      { numRuns: 200 },
    )
  })

  it('refuses two templates that match the same paths when the router is made', () => {
    expect(() => router({ '/x/{a}': { GET: named('a') }, '/x/{b}': { GET: named('b') } })).toThrow('/x/{a} and /x/{b} match the same paths')
  })

  it('puts the CORS headers on its own 404 and 400, as on the routes’ answers', async () => {
    const handlers = router(api, { cors: { origins: ['https://app.example'] } })
    for (const path of ['/api/things', '/api/items/%zz']) {
      const response = await handlers.GET(new Request(`http://test${path}`, { headers: { origin: 'https://app.example' } }), noParams)
      expect([response.status >= 400, response.headers.get('access-control-allow-origin'), response.headers.get('vary')]).toEqual([true, 'https://app.example', 'Origin'])
    }
  })
})
