import { redirect } from '#next/navigation'
import { describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { base, defineErrors, OperationError, middleware, operation, route, routes } from '../index'

const greet = operation({
  name: 'greet',
  input: z.object({ name: z.string().min(1, 'Name is required'), times: z.number().int().default(1) }),
  handler: ({ name, times }) => ({ greeting: `Hello ${name}`.repeat(times) }),
})
const create = operation({ name: 'create', input: z.object({ name: z.string() }), handler: (input) => input, http: { status: 201 } })
const remove = operation({ name: 'remove', input: z.object({ id: z.string() }), handler: () => null, http: { status: 204 } })
const explode = operation({
  name: 'explode',
  input: z.object({}),
  handler: () => {
    throw new Error('database password is hunter2')
  },
})
const refuse = operation({
  name: 'refuse',
  errors: defineErrors({ RATE_LIMITED: { status: 429, message: 'Slow down.' } }),
  input: z.object({}),
  handler: () => {
    throw new OperationError('RATE_LIMITED', 'Slow down.', { headers: { 'retry-after': '30' } })
  },
})
const goAway = operation({ name: 'goAway', input: z.object({}), handler: () => redirect('/elsewhere') })

const post = (body: BodyInit | null, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  new Request('http://test/greet', { method: 'POST', body, headers, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit)
const noParams = { params: Promise.resolve({}) }

async function read(response: Response) {
  const text = await response.text()
  return { status: response.status, type: response.headers.get('content-type'), body: text ? JSON.parse(text) : null }
}

describe('route()', () => {
  it.each([
    { name: 'JSON', request: post('{"name":"Ada"}'), status: 200, body: { greeting: 'Hello Ada' } },
    {
      name: 'urlencoded, coerced by the schema',
      request: post('name=Ada&times=2', { 'content-type': 'application/x-www-form-urlencoded' }),
      status: 200,
      body: { greeting: 'Hello AdaHello Ada' },
    },
    { name: 'JSON with a charset', request: post('{"name":"Ada"}', { 'content-type': 'application/json; charset=utf-8' }), status: 200, body: { greeting: 'Hello Ada' } },
    { name: 'other +json types, undocumented', request: post('{"name":"Ada"}', { 'content-type': 'application/vnd.api+json' }), status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } },
    { name: 'a charset other than UTF-8', request: post('{"name":"Ada"}', { 'content-type': 'application/json; charset=latin1' }), status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } },
    { name: 'bytes that are not UTF-8', request: post(new Uint8Array([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])), status: 400, body: { code: 'BAD_REQUEST', detail: 'The request body is not valid UTF-8.' } },
    {
      name: 'a name used as a value and as a group (was a RangeError)',
      request: post('name=ok&x=1&x=2&x[length]=0', { 'content-type': 'application/x-www-form-urlencoded' }),
      status: 400,
      body: { code: 'BAD_REQUEST', detail: 'The field "x[length]" is sent both as a value and as a group of fields; use one.' },
    },
    { name: 'JSON nested 65 deep', request: post(`{"name":${'['.repeat(64)}${']'.repeat(64)}}`), status: 400, body: { code: 'BAD_REQUEST', detail: 'The JSON body nests arrays and objects more than 64 levels deep.' } },
    { name: 'JSON nested 64 deep, brackets in strings not counted', request: post(`{"name":"${'[{\\"'.repeat(100)}","x":${'['.repeat(63)}${']'.repeat(63)}}`), status: 200, body: { greeting: `Hello ${'[{"'.repeat(100)}` } },
    { name: 'numbers only in decimal', request: post('name=Ada&times=0x2', { 'content-type': 'application/x-www-form-urlencoded' }), status: 422, body: { code: 'VALIDATION_FAILED' } },
    {
      name: 'validation errors carry field paths',
      request: post('{"name":""}'),
      status: 422,
      body: { code: 'VALIDATION_FAILED', status: 422, title: 'Unprocessable Content', issues: [{ path: 'name', message: 'Name is required' }] },
    },
    {
      // It said "see `errors`", a field only the route's problem has: a direct action has `issues`, a form `fieldErrors`.
      name: 'a validation message that names the fields, not a field of one door',
      request: post('{"name":"","times":"x"}'),
      status: 422,
      body: { detail: 'The input is not valid: name, times.' },
    },
    { name: 'malformed JSON', request: post('{"name"'), status: 400, body: { code: 'BAD_REQUEST', detail: 'The request body is not valid JSON.' } },
    { name: 'no content type', request: post('name=Ada', {}), status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } },
    { name: 'XML', request: post('<name/>', { 'content-type': 'application/xml' }), status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } },
  ])('$name → $status', async ({ request, status, body }) => {
    const answer = await read(await route(greet)(request, noParams))
    expect(answer.status).toBe(status)
    expect(answer.body).toMatchObject(body)
    expect(answer.type).toBe(status < 400 ? 'application/json' : 'application/problem+json')
  })

  it('reads multipart bodies', async () => {
    const form = new FormData()
    form.append('name', 'Ada')
    const answer = await read(await route(greet)(new Request('http://test/', { method: 'POST', body: form }), noParams))
    expect(answer).toMatchObject({ status: 200, body: { greeting: 'Hello Ada' } })
  })

  it('answers 400 for a multipart value that is not UTF-8, as for JSON and urlencoded (it was stored as U+FFFD)', async () => {
    const body = Buffer.concat([Buffer.from('--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nA'), Buffer.from([0xff]), Buffer.from('\r\n--b--\r\n')])
    const answer = await read(await route(greet)(post(body, { 'content-type': 'multipart/form-data; boundary=b' }), noParams))
    expect(answer).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST', detail: 'The multipart body holds the field "name" that is not valid UTF-8.' } })
  })

  it('stops parsing multipart at the first file its schema has no file field for, and at the file past maxFiles', async () => {
    const pulls = { count: 0 }
    const endless = (part: string) =>
      new ReadableStream<Uint8Array>({
        pull(controller) {
          pulls.count++
          controller.enqueue(new TextEncoder().encode(part.repeat(100)))
        },
      })
    const file = (name: string) => `--b\r\nContent-Disposition: form-data; name="${name}"; filename="f"\r\n\r\n1\r\n`
    const multipart = { 'content-type': 'multipart/form-data; boundary=b' }
    const answer = await read(await route(greet, { bodyLimit: 100 * 1024 * 1024 })(post(endless(file('x')), multipart), noParams))
    expect(answer).toMatchObject({ status: 400, body: { detail: 'The file "x" is not a file field of this operation.' } })
    expect(pulls.count).toBeLessThanOrEqual(2)

    pulls.count = 0
    const album = operation({ name: 'album', input: z.object({ photos: z.array(z.file()) }), handler: ({ photos }) => photos.length })
    const tooMany = await read(await route(album)(post(endless(file('photos')), multipart), noParams))
    expect(tooMany).toMatchObject({ status: 400, body: { detail: 'The file "photos" is one more than the 10 files a request may carry.' } })
    expect(pulls.count).toBeLessThanOrEqual(2)
  })

  it('reads GET input from the query string', async () => {
    const answer = await read(await route(greet)(new Request('http://test/greet?name=Ada&times=3'), noParams))
    expect(answer.body).toEqual({ greeting: 'Hello AdaHello AdaHello Ada' })
  })

  it('refuses a declared oversized body before reading it', async () => {
    const request = post('{"name":"Ada"}', { 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024) })
    const answer = await read(await route(greet, { bodyLimit: 1024 })(request, noParams))
    expect(answer).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } })
  })

  it('stops reading a streamed body as soon as it passes the limit', async () => {
    let pulled = 0
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(new Uint8Array(1024))
      },
    })
    const answer = await read(await route(greet, { bodyLimit: 4096 })(post(endless), noParams))
    expect(answer).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } })
    expect(pulled).toBeLessThan(10)
  })

  it('answers a body it stops reading early when the request was cloned and the clone is never read', async () => {
    // Cancelling one half of a tee settles only once the other half is cancelled too: awaiting it hung the call.
    const endless = new ReadableStream<Uint8Array>({ pull: (controller) => controller.enqueue(new Uint8Array(1024)) })
    const tooLarge = post(endless)
    void tooLarge.clone()
    expect(await read(await route(greet, { bodyLimit: 4096 })(tooLarge, noParams))).toMatchObject({ status: 413 })
    const form = new FormData()
    form.set('name', 'Ada')
    // A FormData body's last chunk (the closing boundary's CRLF) comes after the parser is done.
    const multipart = new Request('http://test/greet', { method: 'POST', body: form })
    void multipart.clone()
    expect(await read(await route(greet)(multipart, noParams))).toMatchObject({ status: 200, body: { greeting: 'Hello Ada' } })
  })

  it('answers with the declared status: 201 with a body, 204 without one', async () => {
    expect(await read(await route(create)(post('{"name":"x"}'), noParams))).toMatchObject({ status: 201, body: { name: 'x' } })
    const removed = await route(remove)(new Request('http://test/x', { method: 'DELETE' }), { params: Promise.resolve({ id: 'x' }) })
    expect(removed.status).toBe(204)
    expect(await removed.text()).toBe('')
  })

  it('hides unexpected errors behind an id that is logged with the details', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const answer = await read(await route(explode)(post('{}'), noParams))
    expect(answer.status).toBe(500)
    expect(answer.body.code).toBe('INTERNAL')
    expect(answer.body.errorId).toMatch(/^[0-9a-f-]{36}$/)
    expect(JSON.stringify(answer.body)).not.toContain('hunter2')
    expect(log).toHaveBeenCalledWith(expect.stringContaining(answer.body.errorId), expect.objectContaining({ message: 'database password is hunter2' }))
    log.mockRestore()
  })

  it('answers a body that fails mid-stream with 500 and an id, never a bare throw', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('connection reset'))
      },
    })
    const answer = await read(await route(greet)(post(broken), noParams))
    expect(answer).toMatchObject({ status: 500, body: { code: 'INTERNAL', errorId: expect.any(String) } })
    expect(log).toHaveBeenCalledWith(expect.stringContaining(answer.body.errorId), expect.objectContaining({ message: 'connection reset' }))
    log.mockRestore()
  })

  it('renders typed errors with their status and headers', async () => {
    const response = await route(refuse)(post('{}'), noParams)
    expect(response.status).toBe(429)
    expect(response.headers.get('retry-after')).toBe('30')
  })

  it("lets Next's redirect() through untouched", async () => {
    await expect(route(goAway)(post('{}'), noParams)).rejects.toMatchObject({ digest: expect.stringContaining('NEXT_REDIRECT') })
  })
})

describe('routes()', () => {
  it('serves each operation on its method and answers the rest with 405 + Allow', async () => {
    const handlers = routes({ GET: greet, DELETE: remove })
    expect((await handlers.GET(new Request('http://test/?name=A'), noParams)).status).toBe(200)
    const answer = await handlers.POST(post('{}'), noParams)
    expect(answer.status).toBe(405)
    expect(answer.headers.get('allow')).toBe('GET, DELETE, HEAD, OPTIONS')
    expect(await answer.json()).toMatchObject({ code: 'METHOD_NOT_ALLOWED', detail: 'POST is not allowed here; use GET, DELETE, HEAD, OPTIONS.' })
  })

  it.each([
    { served: { POST: create }, allow: 'POST, OPTIONS', head: 405 },
    { served: { GET: greet, POST: create }, allow: 'GET, POST, HEAD, OPTIONS', head: 200 },
  ])('answers OPTIONS and HEAD from the same table as Allow: $allow', async ({ served, allow, head }) => {
    const handlers = routes(served)
    const options = await handlers.OPTIONS(new Request('http://test/', { method: 'OPTIONS' }), noParams)
    expect({ status: options.status, allow: options.headers.get('allow') }).toEqual({ status: 204, allow })
    const headAnswer = await handlers.HEAD(new Request('http://test/?name=Ada', { method: 'HEAD' }), noParams)
    expect({ status: headAnswer.status, body: await headAnswer.text() }).toEqual({ status: head, body: '' })
    if (head === 405) expect(headAnswer.headers.get('allow')).toBe(allow)
    else expect(headAnswer.headers.get('content-type')).toBe('application/json')
  })
})

describe('cross-site forms (CSRF) on the route door', () => {
  const form = (headers: Record<string, string>, type = 'application/x-www-form-urlencoded') =>
    new Request('http://api.test/greet', { method: 'POST', body: 'name=Ada', headers: { host: 'api.test', 'content-type': type, ...headers } })
  const guarded = route(create, { allowedOrigins: ['https://partner.example'] })

  it.each([
    { origin: 'https://evil.example', status: 403 },
    { origin: 'null', status: 403 },
    { origin: 'http://api.test', status: 201 },
  ])("with cors { origins: '*' }, a form from $origin → $status: a wildcard lets pages read answers, never post forms", async ({ origin, status }) => {
    const open = route(create, { cors: { origins: '*' } })
    expect((await open(form({ origin }), noParams)).status).toBe(status)
  })

  it('with cors listing an origin by name, that origin may post forms', async () => {
    const listed = route(create, { cors: { origins: ['https://partner.example'] } })
    expect((await listed(form({ origin: 'https://partner.example' }), noParams)).status).toBe(201)
    expect((await listed(form({ origin: 'https://other.example' }), noParams)).status).toBe(403)
  })

  it.each([
    { name: 'a form from another origin', headers: { origin: 'https://evil.example' }, status: 403 },
    { name: 'multipart from another origin', headers: { origin: 'https://evil.example' }, type: 'multipart/form-data; boundary=x', status: 403 },
    { name: 'text/plain from another origin', headers: { origin: 'https://evil.example' }, type: 'text/plain', status: 403 },
    { name: 'an opaque origin', headers: { origin: 'null' }, status: 403 },
    { name: 'cross-site without Origin', headers: { 'sec-fetch-site': 'cross-site' }, status: 403 },
    { name: 'a sibling subdomain without Origin', headers: { 'sec-fetch-site': 'same-site' }, status: 403 },
    { name: 'a form from the same origin', headers: { origin: 'http://api.test' }, status: 201 },
    { name: 'same origin behind a proxy', headers: { origin: 'https://www.example', 'x-forwarded-host': 'www.example', 'x-forwarded-proto': 'https' }, status: 201 },
    { name: 'the same host on another scheme', headers: { origin: 'https://api.test' }, status: 403 },
    { name: 'the same host on another port', headers: { origin: 'http://api.test:8080' }, status: 403 },
    { name: 'the same origin with its default port written out', headers: { origin: 'http://api.test:80' }, status: 201 },
    { name: 'the same host behind a proxy, on plain HTTP', headers: { origin: 'http://www.example', 'x-forwarded-host': 'www.example', 'x-forwarded-proto': 'https' }, status: 403 },
    { name: 'an allowed origin', headers: { origin: 'https://partner.example' }, status: 201 },
    { name: 'no browser at all (curl)', headers: {}, status: 201 },
    { name: 'JSON from another origin (needs CORS preflight)', headers: { origin: 'https://evil.example' }, type: 'application/json', status: 400 },
  ] as { name: string; headers: Record<string, string>; type?: string; status: number }[])('$name → $status', async ({ headers, type, status }) => {
    const answer = await read(await guarded(form(headers, type), noParams))
    expect(answer.status).toBe(status)
    if (status === 403) expect(answer.body).toMatchObject({ code: 'CROSS_SITE_REQUEST', status: 403, title: 'Forbidden' })
  })

  it('checks before reading the body, on any unsafe method', async () => {
    const handlers = routes({ DELETE: remove })
    const request = new Request('http://api.test/x?id=1', { method: 'DELETE', headers: { origin: 'https://evil.example', host: 'api.test' } })
    expect((await handlers.DELETE(request, noParams)).status).toBe(403)
  })
})

describe('headers a middleware sets', () => {
  const stamp = middleware(async (ctx, next) => {
    ctx.responseHeaders.set('x-request-id', 'req-1')
    return next()
  })
  // A middleware that answers without calling next(): it must not get a cross-site form past the CSRF check.
  const cached = middleware(async () => ({ ok: true, data: { cached: true } }))
  const stamped = base.use(stamp).operation({ name: 'stamped', input: z.object({ name: z.string() }), handler: ({ name }) => ({ name }) })
  const shortCircuit = base.use(cached).operation({ name: 'shortCircuit', input: z.object({}), handler: () => ({ cached: false }) })
  const cases = [
    ['a success', post('{"name":"Ada"}'), 200],
    ['a validation error', post('{}'), 422],
    ['a cross-site form, refused before any handler', post('name=Ada', { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' }), 403],
    ['a malformed Idempotency-Key', post('{"name":"Ada"}', { 'content-type': 'application/json', 'idempotency-key': 'has spaces' }), 400],
  ] as const

  it.each(cases)('are on %s (they were missing on the 403 and the 400)', async (_, request, status) => {
    const answer = await route(stamped)(request, noParams)
    expect([answer.status, answer.headers.get('x-request-id')]).toEqual([status, 'req-1'])
  })

  it('a refusal stands even when a middleware answers without calling next()', async () => {
    const answer = await route(shortCircuit)(post('', { 'content-type': 'text/plain', origin: 'https://evil.example' }), noParams)
    expect(answer.status).toBe(403)
  })

  it('are not on answers given before an operation is known: 405 for a method the path does not serve', async () => {
    const answer = await routes({ POST: stamped }).GET(new Request('http://test/'), noParams)
    expect([answer.status, answer.headers.get('x-request-id')]).toEqual([405, null])
  })
})

describe('an operation that answers a file (http.produces)', () => {
  const picture = base
    .use(middleware(async (ctx, next) => {
      ctx.responseHeaders?.set('x-request-id', 'req-1')
      return next()
    }))
    .operation({
      name: 'picture',
      input: z.object({ id: z.string() }),
      errors: defineErrors({ NOT_FOUND: { status: 404, message: 'No picture.' } }),
      http: { produces: ['image/png'] },
      handler: ({ id }) => {
        if (id === 'none') throw new OperationError('NOT_FOUND', 'No picture.')
        return new Response(new Uint8Array([0x89, 0x50, 0x4e, 0x47]), { headers: { 'content-type': 'image/png', etag: '"v1"' } })
      },
    })

  it("sends the handler's Response as it is, with the door's headers it does not set; errors stay problem+json", async () => {
    const { GET, HEAD } = routes({ GET: picture })
    const answer = await GET(new Request('http://test/picture?id=1'), noParams)
    expect([answer.status, answer.headers.get('content-type'), answer.headers.get('etag'), answer.headers.get('x-request-id')]).toEqual([200, 'image/png', '"v1"', 'req-1'])
    expect([...new Uint8Array(await answer.arrayBuffer())]).toEqual([0x89, 0x50, 0x4e, 0x47])
    const head = await HEAD(new Request('http://test/picture?id=1', { method: 'HEAD' }), noParams)
    expect([head.status, head.headers.get('content-type'), await head.text()]).toEqual([200, 'image/png', ''])
    const missing = await GET(new Request('http://test/picture?id=none'), noParams)
    expect([missing.status, missing.headers.get('content-type')]).toEqual([404, 'application/problem+json'])
  })
})
