import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { action, base, defineErrors, middleware, onError, operation, OperationError, route, routes } from '../index'
import { withActionContext } from '../testing'

const noParams = { params: Promise.resolve({}) }
const get = (headers: Record<string, string> = {}) => new Request('http://test/events', { headers })

/** Waits `ms`, or until `signal` aborts (then rejects with its reason), as a handler waiting for news does. */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true })
  })

/** Server-sent events read back as the WHATWG parser does: fields by line (CRLF, LF or CR), `data` lines joined. */
function parseSse(text: string): { id?: string; event?: string; data: string }[] {
  const events: { id?: string; event?: string; data: string }[] = []
  let current: { id?: string; event?: string; data?: string } = {}
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (current.data !== undefined) events.push({ ...current, data: current.data })
      current = {}
      continue
    }
    if (line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const name = colon === -1 ? line : line.slice(0, colon)
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (name === 'data') current.data = current.data === undefined ? value : `${current.data}\n${value}`
    else if (name === 'id' || name === 'event') current[name] = value
  }
  return events
}

async function readAll(response: Response): Promise<string> {
  return new TextDecoder().decode(await response.arrayBuffer())
}

const counted = (count: number) => ({ count })

/** A stream that yields one item, then waits a minute on ctx.signal; `stoppedAt()` is when its `finally` ran (0 before). */
function waitingStream(name: string) {
  let stoppedAt = 0
  const op = operation({
    name,
    input: z.object({}),
    stream: {},
    async *handler(_, ctx) {
      try {
        yield 'first'
        await sleep(60_000, ctx.signal)
        yield 'never'
      } finally {
        stoppedAt = performance.now()
      }
    },
  })
  return { op, stoppedAt: () => stoppedAt }
}

describe('a streaming operation on the route door', () => {
  afterEach(() => onError(undefined))

  const countTo = operation({
    name: 'countTo',
    input: z.object({ to: z.coerce.number().int().max(100) }),
    stream: { id: (item: { n: number }) => String(item.n), event: () => 'tick' },
    async *handler({ to }, ctx) {
      const from = ctx.lastEventId === undefined ? 1 : Number(ctx.lastEventId) + 1
      for (let n = from; n <= to; n++) yield { n }
    },
  })

  it('answers server-sent events: one per item, with its id and event name, the item as JSON', async () => {
    const response = await route(countTo)(new Request('http://test/count?to=3'), noParams)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform')
    expect(await readAll(response)).toBe(': stream open\n\nid: 1\nevent: tick\ndata: {"n":1}\n\nid: 2\nevent: tick\ndata: {"n":2}\n\nid: 3\nevent: tick\ndata: {"n":3}\n\n')
  })

  it('hands the Last-Event-ID a reconnecting client sends to the handler, which resumes after it', async () => {
    const response = await route(countTo)(new Request('http://test/count?to=4', { headers: { 'last-event-id': '2' } }), noParams)
    expect(parseSse(await readAll(response)).map((event) => event.id)).toEqual(['3', '4'])
  })

  it('answers NDJSON when the client asks for it', async () => {
    const response = await route(countTo)(new Request('http://test/count?to=2', { headers: { accept: 'application/x-ndjson' } }), noParams)
    expect(response.headers.get('content-type')).toBe('application/x-ndjson')
    expect(await readAll(response)).toBe('{"n":1}\n{"n":2}\n')
  })

  it('refuses bad input before streaming, as any operation does', async () => {
    const response = await route(countTo)(new Request('http://test/count?to=1000'), noParams)
    expect(response.status).toBe(422)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
  })

  it('runs its middleware first: a refusal is a problem, and no item is made', async () => {
    let made = 0
    const locked = base.use(middleware(() => Promise.reject(new OperationError('UNAUTHORIZED', 'Sign in first.')), { errors: defineErrors({ UNAUTHORIZED: { status: 401, message: 'Sign in first.' } }) }))
    const secret = locked.operation({
      name: 'secret',
      input: z.object({}),
      stream: {},
      async *handler() {
        made++
        yield 1
      },
    })
    const response = await route(secret)(get(), noParams)
    expect(response.status).toBe(401)
    expect(made).toBe(0)
  })

  it('ends a stream that fails with an error event: a declared error as it is, anything else as INTERNAL with an id', async () => {
    const errors = defineErrors({ GONE: { status: 410, message: 'The feed closed.' } })
    const reports: { errorId: string }[] = []
    onError((_, report) => reports.push(report))
    const failing = (error: Error) =>
      operation({
        name: 'failing',
        input: z.object({}),
        errors,
        stream: {},
        async *handler() {
          yield counted(1)
          throw error
        },
      })
    const declared = parseSse(await readAll(await route(failing(errors.GONE()))(get(), noParams)))
    expect(declared).toEqual([{ data: '{"count":1}' }, { event: 'error', data: expect.stringContaining('"code":"GONE"') }])
    const hidden = parseSse(await readAll(await route(failing(new Error('db password is hunter2')))(get(), noParams)))
    const problem = JSON.parse(hidden[1]!.data)
    expect(problem).toMatchObject({ code: 'INTERNAL', status: 500, errorId: reports[0]!.errorId })
    expect(hidden[1]!.data).not.toContain('hunter2')
  })

  it('refuses an id that would break the frame (a line break) instead of sending it', async () => {
    onError(() => {})
    const injected = operation({ name: 'injected', input: z.object({}), stream: { id: (item: string) => item }, async *handler() { yield 'a\nevent: admin' } })
    const events = parseSse(await readAll(await route(injected)(get(), noParams)))
    expect(events).toEqual([{ event: 'error', data: expect.stringContaining('"code":"INTERNAL"') }])
  })

  it('sends any JSON item so that an SSE parser reads back exactly that item (fuzzed)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.jsonValue(), { maxLength: 5 }), fc.array(fc.string({ unit: 'binary' }).filter((s) => !/[\r\n\0]/.test(s)), { minLength: 5, maxLength: 5 }), async (items, ids) => {
        const echo = operation({ name: 'echo', input: z.object({}), stream: { id: () => ids[0] }, async *handler() { yield* items } })
        const events = parseSse(await readAll(await route(echo)(get(), noParams)))
        expect(events.map((event) => JSON.parse(event.data))).toEqual(items.map((item) => JSON.parse(JSON.stringify(item))))
        // A leading space is the one the parser strips after the colon: the id goes out with `id: ` before it.
        for (const event of events) expect(event.id).toBe(ids[0])
      }),
      { numRuns: 200 },
    )
  })

  it('asks for the next item only when the reader has taken the last: a slow reader holds the handler', async () => {
    let made = 0
    const endless = operation({
      name: 'endless',
      input: z.object({}),
      stream: {},
      async *handler() {
        for (;;) yield ++made
      },
    })
    const reader = (await route(endless)(get(), noParams)).body!.getReader()
    for (let read = 0; read < 3; read++) await reader.read()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(made).toBeLessThanOrEqual(4)
    await reader.cancel()
  })

  it('aborts ctx.signal when the reader goes, and the handler’s work stops within milliseconds', async () => {
    const waiting = waitingStream('waiting')
    const reader = (await route(waiting.op)(get(), noParams)).body!.getReader()
    // The comment that opens the stream, then the first item: the handler now waits.
    await reader.read()
    await reader.read()
    const cancelledAt = performance.now()
    await reader.cancel()
    await vi.waitFor(() => expect(waiting.stoppedAt()).toBeGreaterThan(0), { timeout: 1000, interval: 1 })
    expect(waiting.stoppedAt() - cancelledAt).toBeLessThan(50)
  })

  it('answers HEAD with the stream’s headers, and ends the subscription a handler made', async () => {
    let subscribed = 0
    // A handler that subscribes before it returns its iterable: only return() ends that subscription.
    const feed = operation({
      name: 'feed',
      input: z.object({}),
      handler: () => {
        subscribed++
        return {
          [Symbol.asyncIterator]: () => ({
            next: () => new Promise<IteratorResult<string>>(() => {}),
            return: async () => {
              subscribed--
              return { done: true as const, value: undefined }
            },
          }),
        }
      },
      stream: {},
    })
    const response = await routes({ GET: feed }).HEAD(get(), noParams)
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(response.body).toBeNull()
    await vi.waitFor(() => expect(subscribed).toBe(0), { timeout: 1000 })
  })

  it('writes a comment when the stream is silent for heartbeatMs, so proxies keep it open', async () => {
    const quiet = operation({
      name: 'quiet',
      input: z.object({}),
      stream: { heartbeatMs: 10 },
      async *handler(_, ctx) {
        await sleep(80, ctx.signal)
        yield 'late'
      },
    })
    const text = await readAll(await route(quiet)(get(), noParams))
    expect(text).toMatch(/^: stream open\n\n(: keep-alive\n\n)+data: "late"\n\n$/)
  })
})

describe('a streaming operation on the action door', () => {
  const errors = defineErrors({ GONE: { status: 410, message: 'The feed closed.' } })
  let stopped = false
  const ticks = operation({
    name: 'ticks',
    input: z.object({ to: z.number().int(), failAt: z.number().int().optional() }),
    errors,
    stream: {},
    async *handler({ to, failAt }, ctx) {
      stopped = false
      try {
        for (let n = 1; n <= to; n++) {
          if (n === failAt) throw errors.GONE()
          yield { n }
          await sleep(1, ctx.signal)
        }
      } finally {
        stopped = ctx.signal.aborted
      }
    },
  })
  const ticksAction = action(ticks)
  const call = (input: { to: number; failAt?: number }) => withActionContext({}, () => ticksAction(input))

  it('answers its items as frames, for await', async () => {
    const result = await call({ to: 3 })
    if (!result.ok) throw new Error(result.error.message)
    const frames = []
    for await (const frame of result.data) frames.push(frame)
    expect(frames).toEqual([{ item: { n: 1 } }, { item: { n: 2 } }, { item: { n: 3 } }])
  })

  it('ends with an error frame, code and message kept (React would hide a thrown error’s message)', async () => {
    const result = await call({ to: 3, failAt: 2 })
    if (!result.ok) throw new Error(result.error.message)
    const frames = []
    for await (const frame of result.data) frames.push(frame)
    expect(frames).toEqual([{ item: { n: 1 } }, { error: expect.objectContaining({ code: 'GONE', status: 410, message: 'The feed closed.' }) }])
  })

  it('aborts ctx.signal at once when the reader stops, even while the handler waits for its next item', async () => {
    const waiting = waitingStream('waitingAction')
    const result = await withActionContext({}, () => action(waiting.op)({}))
    if (!result.ok) throw new Error(result.error.message)
    const frames = result.data[Symbol.asyncIterator]()
    expect(await frames.next()).toEqual({ done: false, value: { item: 'first' } })
    const pending = frames.next() // the handler is now in its 60 s wait
    const stoppingAt = performance.now()
    await frames.return!()
    await vi.waitFor(() => expect(waiting.stoppedAt()).toBeGreaterThan(0), { timeout: 1000, interval: 1 })
    expect(waiting.stoppedAt() - stoppingAt).toBeLessThan(50)
    expect(await pending).toEqual({ done: true, value: undefined })
  })

  it('stops the handler when React throws into the stream (the page that asked went away)', async () => {
    const result = await call({ to: 1000 })
    if (!result.ok) throw new Error(result.error.message)
    const frames = result.data[Symbol.asyncIterator]() as AsyncIterator<unknown> & { throw(reason?: unknown): Promise<IteratorResult<unknown>> }
    await frames.next()
    expect(await frames.throw(new Error('aborted'))).toEqual({ done: true, value: undefined })
    await vi.waitFor(() => expect(stopped).toBe(true), { timeout: 1000 })
  })

  it('a for await that breaks stops the handler', async () => {
    const result = await call({ to: 1000 })
    if (!result.ok) throw new Error(result.error.message)
    for await (const frame of result.data) if ('item' in frame && frame.item.n === 2) break
    await vi.waitFor(() => expect(stopped).toBe(true), { timeout: 1000 })
  })

  it('answers bad input as any action does, with no stream', async () => {
    expect(await withActionContext({}, () => ticksAction({ to: 'x' as unknown as number }))).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } })
  })
})
