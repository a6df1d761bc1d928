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
