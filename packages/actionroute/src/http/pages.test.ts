import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { base, defineErrors, middleware, pagesApi, route, router, routes } from '../index'

// The Pages Router's API routes run on Node's request and response: here a plain Node server plays Next's part.
const stamp = middleware(async function stamp(ctx, next) {
  ctx.responseHeaders.append('set-cookie', 'a=1; Path=/')
  ctx.responseHeaders.append('set-cookie', 'b=2; Path=/')
  return next()
})
const notFound = defineErrors({ NOT_FOUND: { status: 404, message: 'No such note.' } })
let waited: 'finished' | 'aborted' | undefined
const notes = base.use(stamp).public()
const addNote = notes.operation({ name: 'addNote', input: z.object({ text: z.string().min(1) }), handler: ({ text }) => ({ text }), http: { status: 201 } })
const getNote = notes.operation({
  name: 'getNote',
  input: z.object({ id: z.string() }),
  errors: notFound,
  handler: ({ id }) => {
    if (id !== '1') throw notFound.NOT_FOUND()
    return { id }
  },
})
const slow = notes.operation({
  name: 'slow',
  input: z.object({}),
  handler: async (_input, ctx) => {
    waited = await new Promise<'finished' | 'aborted'>((resolve) => {
      const timer = setTimeout(() => resolve('finished'), 5_000)
      ctx.request?.signal.addEventListener('abort', () => (clearTimeout(timer), resolve('aborted')))
    })
    return {}
  },
})

const handlers: Record<string, ReturnType<typeof pagesApi>> = {
  '/api/notes': pagesApi(routes({ POST: addNote }, { bodyLimit: 1024 })),
  '/api/slow': pagesApi(route(slow)),
}
const catchAll = pagesApi(router({ '/api/notes/{id}': { GET: getNote } }))
let server: Server
let url: string
let parseBodies = false

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url!, 'http://x').pathname
    const handler = handlers[path] ?? catchAll
    // Next's body parser, when a route leaves it on, reads the body first and sets req.body.
    if (parseBodies) Object.assign(req, { body: {} })
    handler(req, res).catch((error: Error) => {
      res.statusCode = 500
      res.end(error.message)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('pagesApi()', () => {
  it('answers as the route door does: the body streamed, the status, the headers middleware set (each cookie apart)', async () => {
    const response = await fetch(`${url}/api/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"hi"}' })
    expect([response.status, await response.json()]).toEqual([201, { text: 'hi' }])
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/'])
  })

  it('answers problem+json: a validation error, a body over the limit, a method not served', async () => {
    const invalid = await fetch(`${url}/api/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":""}' })
    expect([invalid.status, invalid.headers.get('content-type'), ((await invalid.json()) as { code: string }).code]).toEqual([422, 'application/problem+json', 'VALIDATION_FAILED'])
    const large = await fetch(`${url}/api/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'x'.repeat(5000) }) })
    expect([large.status, ((await large.json()) as { code: string }).code]).toEqual([413, 'PAYLOAD_TOO_LARGE'])
    const wrong = await fetch(`${url}/api/notes`, { method: 'PUT' })
    expect([wrong.status, wrong.headers.get('allow')]).toEqual([405, 'POST, OPTIONS'])
  })

  it('routes a whole table from one catch-all file, path parameters and declared errors included', async () => {
    expect(await (await fetch(`${url}/api/notes/1`)).json()).toEqual({ id: '1' })
    const missing = await fetch(`${url}/api/notes/2`)
    expect([missing.status, ((await missing.json()) as { code: string }).code]).toEqual([404, 'NOT_FOUND'])
  })

  it('aborts the request’s signal when the client goes away', async () => {
    waited = undefined
    const client = new AbortController()
    const call = fetch(`${url}/api/slow`, { method: 'POST', signal: client.signal }).catch(() => 'gone')
    await new Promise((resolve) => setTimeout(resolve, 200))
    client.abort()
    expect(await call).toBe('gone')
    await expect.poll(() => waited, { timeout: 2_000 }).toBe('aborted')
  })

  it('says how to fix a route that left Next’s body parser on, rather than reading an empty body', async () => {
    parseBodies = true
    try {
      const response = await fetch(`${url}/api/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"hi"}' })
      expect([response.status, await response.text()]).toEqual([500, expect.stringContaining('export const config = { api: { bodyParser: false } }')])
    } finally {
      parseBodies = false
    }
  })
})
