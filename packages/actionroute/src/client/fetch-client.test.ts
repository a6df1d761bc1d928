import { describe, expect, it } from 'vitest'
import { router } from '../index'
import { createClient } from './fetch-client'
import { inProcessFetch, notesApi } from './notes.fixture'

const { addNote, getNote, listNotes, deleteNote } = notesApi()

const api = {
  '/v1/notes': { GET: listNotes, POST: addNote },
  '/v1/notes/{id}': { GET: getNote, DELETE: deleteNote },
}
const handlers = router(api)
const seen: Request[] = []
const client = createClient<typeof api>({ baseUrl: 'http://notes.test', fetch: inProcessFetch(handlers, seen), headers: () => ({ authorization: 'Bearer t' }) })

describe('createClient()', () => {
  it('posts the body as JSON and answers the data as JSON (dates as strings)', async () => {
    const created = await client.POST('/v1/notes', { body: { text: 'buy milk' } })
    expect(created).toMatchObject({ ok: true, status: 201, data: { id: '1', text: 'buy milk', at: '2026-01-02T03:04:05.000Z' } })
    const sent = seen.at(-1)!
    expect(sent.headers.get('content-type')).toBe('application/json')
    expect(sent.headers.get('authorization')).toBe('Bearer t')
    expect(await sent.text()).toBe('{"text":"buy milk"}')
  })

  it('fills path params (encoded) and sends GET input as a query string', async () => {
    await client.GET('/v1/notes/{id}', { params: { id: 'a/b c' } })
    expect(seen.at(-1)!.url).toBe('http://notes.test/v1/notes/a%2Fb%20c')
    const listed = await client.GET('/v1/notes', { query: { q: 'milk', limit: 5 } })
    expect(seen.at(-1)!.url).toBe('http://notes.test/v1/notes?q=milk&limit=5')
    expect(listed).toMatchObject({ ok: true, data: { notes: [{ text: 'buy milk' }] } })
  })

  it('returns problems, with their code and field errors, instead of throwing', async () => {
    const missing = await client.GET('/v1/notes/{id}', { params: { id: '99' } })
    expect(missing).toMatchObject({ ok: false, status: 404, error: { code: 'NOT_FOUND', detail: 'No such note.' } })
    const invalid = await client.POST('/v1/notes', { body: { text: '' } })
    expect(invalid).toMatchObject({ ok: false, status: 422, error: { code: 'VALIDATION_FAILED', errors: [{ path: 'text', message: 'Write something' }] } })
  })

  it('answers a 204 with no data', async () => {
    expect(await client.DELETE('/v1/notes/{id}', { params: { id: '1' } })).toMatchObject({ ok: true, status: 204, data: undefined })
  })

  it('keeps a base URL’s own path', async () => {
    const prefixed = createClient<typeof api>({ baseUrl: 'http://notes.test/tenant-7', fetch: async (request) => new Response(JSON.stringify({ url: request.url })) })
    expect(await prefixed.GET('/v1/notes')).toMatchObject({ data: { url: 'http://notes.test/tenant-7/v1/notes' } })
  })

  it.each([
    { name: 'no answer at all', fetch: async () => Promise.reject(new TypeError('fetch failed')), expected: { status: 0, error: { code: 'NETWORK_ERROR' } } },
    {
      name: 'a proxy’s HTML error page',
      fetch: async () => new Response('<h1>Bad Gateway</h1>', { status: 502, headers: { 'content-type': 'text/html' } }),
      expected: { status: 502, error: { code: 'UNEXPECTED_RESPONSE', status: 502 } },
    },
    { name: 'JSON that is not a problem', fetch: async () => Response.json({ oops: true }, { status: 500 }), expected: { status: 500, error: { code: 'UNEXPECTED_RESPONSE' } } },
  ])('reports $name as a problem too', async ({ fetch, expected }) => {
    const broken = createClient<typeof api>({ baseUrl: 'http://notes.test', fetch })
    expect(await broken.GET('/v1/notes')).toMatchObject({ ok: false, ...expected })
  })

  it('throws only when the caller aborts', async () => {
    const controller = new AbortController()
    controller.abort()
    const aborting = createClient<typeof api>({ baseUrl: 'http://notes.test', fetch: (request) => fetch(request) })
    await expect(aborting.GET('/v1/notes', { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' })
  })
})
