import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { operation, router } from '../index'
import { createClient, type RetryAfterOptions, type RetryWait, type UploadProgress } from './fetch-client'
import { localServer } from './local-server.fixture'
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
    expect(invalid).toMatchObject({ ok: false, status: 422, error: { code: 'VALIDATION_FAILED', issues: [{ path: 'text', message: 'Write something' }] } })
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

describe('createClient({ retryAfter })', () => {
  const NOW = Date.UTC(2026, 0, 2, 3, 4, 5)
  const at = (ms: number) => new Date(NOW + ms).toUTCString()
  const limited = (headers: Partial<Record<'retry-after' | 'date', string>>, status = 429, detail = 'Too many requests.') =>
    Response.json(
      { type: 'about:blank', title: 'Too Many Requests', status, detail, code: 'RATE_LIMITED' },
      { status, headers: Object.entries(headers).flatMap(([name, value]) => (value === undefined ? [] : [[name, value] as [string, string]])) },
    )

  // Answers from `answers` in turn (the last one again when they run out), keeping each request's body as read.
  function scripted(answers: (() => Response)[], retryAfter?: RetryAfterOptions) {
    const bodies: string[] = []
    const fetch = async (request: Request) => {
      bodies.push(await request.text()) // throws on a Request whose body was already sent
      return answers[Math.min(bodies.length, answers.length) - 1]!()
    }
    return { bodies, client: createClient<typeof api>({ baseUrl: 'http://notes.test', fetch, retryAfter }) }
  }
  const created = () => Response.json({ id: '1', text: 'buy milk' }, { status: 201 })

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    vi.setSystemTime(NOW)
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it.each([
    { name: 'delta-seconds', headers: { 'retry-after': '2' }, status: 429, ms: 2000 },
    { name: 'an HTTP-date, from the answer’s Date', headers: { 'retry-after': at(63_000), date: at(60_000) }, status: 429, ms: 3000 },
    { name: 'an HTTP-date, from the clock', headers: { 'retry-after': at(3000) }, status: 429, ms: 3000 },
    { name: 'zero seconds', headers: { 'retry-after': '0' }, status: 429, ms: 0 },
    { name: 'a 503’s delta-seconds', headers: { 'retry-after': '1' }, status: 503, ms: 1000 },
  ])('waits as long as $name says, then sends the same call again', async ({ headers, status, ms }) => {
    const waits: RetryWait[] = []
    const { bodies, client } = scripted([() => limited(headers, status), created], { onWait: (wait) => waits.push(wait) })
    const call = client.POST('/v1/notes', { body: { text: 'buy milk' } })
    await vi.advanceTimersByTimeAsync(Math.max(0, ms - 1))
    if (ms > 0) expect(bodies).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(await call).toMatchObject({ ok: true, status: 201, data: { id: '1' } })
    expect(bodies).toEqual(['{"text":"buy milk"}', '{"text":"buy milk"}'])
    expect(waits).toEqual([{ ms, retry: 1, method: 'POST', path: '/v1/notes', status }])
  })

  it('gives up after maxRetries and returns the last answer', async () => {
    let answered = 0
    const waits: RetryWait[] = []
    const { bodies, client } = scripted([() => limited({ 'retry-after': '1' }, 429, `answer ${++answered}`)], { maxRetries: 2, onWait: (wait) => waits.push(wait) })
    const call = client.GET('/v1/notes')
    await vi.advanceTimersByTimeAsync(10_000)
    expect(await call).toMatchObject({ ok: false, status: 429, error: { code: 'RATE_LIMITED', detail: 'answer 3' } })
    expect(bodies).toHaveLength(3)
    expect(waits.map((wait) => wait.retry)).toEqual([1, 2])
  })

  it.each([
    { name: 'without the option', retryAfter: undefined, headers: { 'retry-after': '1' }, status: 429 },
    { name: 'when it asks for more than maxWaitMs', retryAfter: { maxWaitMs: 65_000 }, headers: { 'retry-after': '66' }, status: 429 },
    { name: 'for a date past maxWaitMs', retryAfter: {}, headers: { 'retry-after': at(61_000) }, status: 429 },
    { name: 'with maxRetries 0', retryAfter: { maxRetries: 0 }, headers: { 'retry-after': '1' }, status: 429 },
    { name: 'for a date in the past', retryAfter: {}, headers: { 'retry-after': at(-1000) }, status: 429 },
    { name: 'for a negative number', retryAfter: {}, headers: { 'retry-after': '-5' }, status: 429 },
    { name: 'for a fraction', retryAfter: {}, headers: { 'retry-after': '1.5' }, status: 429 },
    { name: 'for a value that is no HTTP-date', retryAfter: {}, headers: { 'retry-after': 'soon' }, status: 429 },
    { name: 'for a date in another format', retryAfter: {}, headers: { 'retry-after': new Date(NOW + 1000).toISOString() }, status: 429 },
    { name: 'for a 429 without Retry-After', retryAfter: {}, headers: {}, status: 429 },
    { name: 'for a 500 with Retry-After', retryAfter: {}, headers: { 'retry-after': '1' }, status: 500 },
  ])('returns the answer at once, unretried, $name', async ({ retryAfter, headers, status }) => {
    const onWait = vi.fn()
    const { bodies, client } = scripted([() => limited(headers, status), created], retryAfter && { ...retryAfter, onWait })
    expect(await client.POST('/v1/notes', { body: { text: 'buy milk' } })).toMatchObject({ ok: false, status })
    expect(bodies).toHaveLength(1)
    expect(onWait).not.toHaveBeenCalled()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('rejects with the AbortError when the call is aborted during the wait, and clears the timer', async () => {
    const controller = new AbortController()
    const { bodies, client } = scripted([() => limited({ 'retry-after': '30' }), created], { onWait: () => setTimeout(() => controller.abort(), 1000) })
    const call = client.POST('/v1/notes', { body: { text: 'buy milk' }, signal: controller.signal })
    const settled = expect(call).rejects.toMatchObject({ name: 'AbortError' })
    await vi.advanceTimersByTimeAsync(1000)
    await settled
    expect(vi.getTimerCount()).toBe(0)
    expect(bodies).toHaveLength(1)
  })

  it.each([
    { retryAfter: { maxWaitMs: -1 }, message: /maxWaitMs must be from 0/ },
    { retryAfter: { maxWaitMs: 2 ** 31 }, message: /maxWaitMs must be from 0/ },
    { retryAfter: { maxRetries: 1.5 }, message: /maxRetries must be a whole number/ },
  ])('refuses retryAfter $retryAfter', ({ retryAfter, message }) => {
    expect(() => createClient<typeof api>({ baseUrl: 'http://notes.test', retryAfter })).toThrow(message)
  })
})

describe('createClient() with input a URL cannot carry as given', () => {
  const echo = operation({ name: 'echo', input: z.object({ id: z.string() }), handler: ({ id }) => ({ id }) })
  const search = operation({
    name: 'search',
    input: z.object({
      filter: z.object({ name: z.string(), age: z.number(), since: z.date().optional() }).optional(),
      tags: z.array(z.string()).optional(),
      items: z.array(z.object({ n: z.string() })).optional(),
    }),
    handler: (input) => input,
  })
  const secret = operation({ name: 'secret', input: z.object({}), handler: () => ({ secret: 'the whole list' }) })
  const paths = { '/x': { GET: secret }, '/x/{id}': { GET: echo }, '/search': { GET: search } }
  const sent: Request[] = []
  const typed = createClient<typeof paths>({ baseUrl: 'http://x.test', fetch: inProcessFetch(router(paths), sent), headers: { 'x-api-key': 'k' } })

  it.each(['..', '.', ''])('refuses the path parameter %j instead of sending the call, with its key, to another path', async (id) => {
    const before = sent.length
    const result = await typed.GET('/x/{id}', { params: { id } })
    expect(result).toMatchObject({ ok: false, status: 0, error: { code: 'INVALID_REQUEST' } })
    expect(sent.length).toBe(before)
  })

  it('sends any other path parameter to its own path, where the server reads it back unchanged (fuzzed)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 12 }), async (id) => {
        const result = await typed.GET('/x/{id}', { params: { id } })
        const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(id)
        if (lone || id === '' || id === '.' || id === '..') expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } })
        else expect(result).toMatchObject({ ok: true, data: { id } })
      }),
      { numRuns: 500 },
    )
  })

  it('returns INVALID_REQUEST, never throws, for a header that is not a ByteString or a lone surrogate in a query value', async () => {
    expect(await typed.GET('/x/{id}', { params: { id: 'a' }, headers: { 'x-note': '\u2603' } })).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } })
    expect(await typed.GET('/search', { query: { tags: ['\uD800'] } })).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } })
  })

  it('sends nested query objects and arrays as the route door reads them (they were JSON text, answered 422)', async () => {
    const query = { filter: { name: 'Ada', age: 36, since: new Date(0) }, tags: ['x', 'y z'], items: [{ n: 'a' }, { n: 'b' }] }
    const result = await typed.GET('/search', { query })
    expect(result).toMatchObject({ ok: true, data: { ...query, filter: { ...query.filter, since: '1970-01-01T00:00:00.000Z' } } })
    expect(decodeURIComponent(new URL(sent.at(-1)!.url).search)).toBe('?filter.name=Ada&filter.age=36&filter.since=1970-01-01T00:00:00.000Z&tags=x&tags=y+z&items[0].n=a&items[1].n=b')
  })
})

describe('createClient() with files', () => {
  const addAttachment = operation({
    name: 'addAttachment',
    input: z.object({
      title: z.string(),
      file: z.file().max(64 * 1024).mime(['text/plain', 'image/png']),
      tags: z.array(z.string()).optional(),
      meta: z.object({ pages: z.number() }).optional(),
    }),
    handler: async ({ title, file, tags, meta }) => ({ title, name: file.name, type: file.type, size: file.size, text: await file.text(), tags, meta }),
    http: { status: 201 },
  })
  const lookup = operation({ name: 'lookup', input: z.object({ file: z.file().optional() }), handler: () => ({}) })
  const paths = { '/files': { POST: addAttachment, GET: lookup } }
  const sent: Request[] = []
  const files = createClient<typeof paths>({ baseUrl: 'http://files.test', fetch: inProcessFetch(router(paths), sent) })
  const note = (text: string, name = 'note.txt') => new File([text], name, { type: 'text/plain' })

  it('sends a body that holds a File as multipart, fields as the route door reads them, and the handler gets the file', async () => {
    const result = await files.POST('/files', { body: { title: 'Minutes', file: note('We met.'), tags: ['a', 'b'], meta: { pages: 2 } } })
    expect(result).toMatchObject({ ok: true, status: 201, data: { title: 'Minutes', name: 'note.txt', type: 'text/plain', size: 7, text: 'We met.', tags: ['a', 'b'], meta: { pages: 2 } } })
    expect(sent.at(-1)!.headers.get('content-type')).toMatch(/^multipart\/form-data; boundary=/)
  })

  it('takes any Blob where the input takes a File (sent as "blob")', async () => {
    const result = await files.POST('/files', { body: { title: 'raw', file: new Blob(['bytes'], { type: 'text/plain' }) } })
    expect(result).toMatchObject({ ok: true, data: { name: 'blob', size: 5, text: 'bytes' } })
  })

  it('returns the route door’s refusal of a file as a problem naming the field', async () => {
    const big = await files.POST('/files', { body: { title: 'big', file: note('x'.repeat(64 * 1024 + 1)) } })
    expect(big).toMatchObject({ ok: false, status: 413, error: { issues: [{ path: 'file' }] } })
    const svg = await files.POST('/files', { body: { title: 'svg', file: new File(['<svg/>'], 'a.svg', { type: 'image/svg+xml' }) } })
    expect(svg).toMatchObject({ ok: false, status: 415 })
  })

  it('refuses to put a file in a query string, without sending anything', async () => {
    const before = sent.length
    expect(await files.GET('/files', { query: { file: note('x') } })).toMatchObject({ ok: false, status: 0, error: { code: 'INVALID_REQUEST' } })
    expect(sent.length).toBe(before)
  })

  it('reports upload progress up to the whole body, and the server reads the very bytes counted', async () => {
    const progress: UploadProgress[] = []
    const text = 'line\n'.repeat(10_000)
    const result = await files.POST('/files', { body: { title: 'log', file: note(text, 'log.txt') }, onUploadProgress: (step) => progress.push(step) })
    expect(result).toMatchObject({ ok: true, data: { name: 'log.txt', size: text.length, text } })
    const total = progress[0]!.total
    expect(progress.every((step) => step.total === total)).toBe(true)
    expect(progress.map((step) => step.loaded)).toEqual([...progress.map((step) => step.loaded)].sort((a, b) => a - b))
    expect(progress.at(-1)!.loaded).toBe(total)
    expect((await sent.at(-1)!.arrayBuffer()).byteLength).toBe(total)
  })

  it('reports the progress of a JSON body too', async () => {
    const progress: UploadProgress[] = []
    const notes = createClient<typeof api>({ baseUrl: 'http://notes.test', fetch: inProcessFetch(handlers, []) })
    const body = { text: 'ü'.repeat(100) }
    expect(await notes.POST('/v1/notes', { body, onUploadProgress: (step) => progress.push(step) })).toMatchObject({ ok: true, data: body })
    expect(progress.at(-1)).toEqual({ loaded: Buffer.byteLength(JSON.stringify(body)), total: Buffer.byteLength(JSON.stringify(body)) })
  })

  it('with or without progress, the server reads the same input from any names and values (fuzzed)', async () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 30 })
    await fc.assert(
      fc.asyncProperty(text, text, fc.uint8Array({ maxLength: 300 }), fc.array(text, { maxLength: 3 }), async (title, name, bytes, tags) => {
        const body = { title, file: new File([bytes], name, { type: 'text/plain' }), tags }
        const plain = await files.POST('/files', { body })
        const counted = await files.POST('/files', { body, onUploadProgress: () => {} })
        expect(counted).toMatchObject({ ok: plain.ok, status: plain.status })
        expect(plain.ok && counted.ok ? counted.data : counted).toEqual(plain.ok ? plain.data : counted)
        if (plain.ok) expect(plain.data).toMatchObject({ title, size: bytes.length })
      }),
      { numRuns: 150 },
    )
  })

  describe('over the network (Node’s fetch, a streamed and counted body)', () => {
    // Counts the bytes it receives and answers the count; for /hold it never answers.
    const server = localServer((request, response) => {
      let received = 0
      request.on('data', (chunk: Buffer) => (received += chunk.length))
      if (request.url !== '/hold') request.on('end', () => response.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ received })))
    })

    it('sends the whole body, and the last progress is the count the server received', async () => {
      const remote = createClient<{ '/files': { POST: typeof addAttachment } }>({ baseUrl: server.url() })
      const progress: UploadProgress[] = []
      const result = await remote.POST('/files', { body: { title: 'big', file: note('x'.repeat(3_000_000)) }, onUploadProgress: (step) => progress.push(step) })
      expect(result).toMatchObject({ ok: true, status: 201 })
      expect(progress.length).toBeGreaterThan(1)
      // This server answers with the count it received, not the operation's output.
      const received = result.ok ? (result.data as unknown as { received: number }).received : -1
      expect(progress.at(-1)).toEqual({ loaded: received, total: progress.at(-1)!.total })
      expect(progress.at(-1)!.loaded).toBe(progress.at(-1)!.total)
    })

    it('an abort while the body goes out rejects the call with the AbortError', async () => {
      const remote = createClient<{ '/hold': { POST: typeof addAttachment } }>({ baseUrl: server.url() })
      const controller = new AbortController()
      const call = remote.POST('/hold', { body: { title: 't', file: note('x'.repeat(3_000_000)) }, signal: controller.signal, onUploadProgress: () => controller.abort() })
      await expect(call).rejects.toMatchObject({ name: 'AbortError' })
    })
  })
})
