import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineErrors, operation, router } from '../index'
import { readEvents, StreamProblem, type ServerSentEvent } from './events'
import { createClient } from './fetch-client'
import { localServer } from './local-server.fixture'
import { inProcessFetch } from './notes.fixture'

/** A body that delivers `text` in the pieces given (as UTF-8 bytes, split anywhere, even inside a character). */
function bodyOf(bytes: Uint8Array, cuts: number[]): ReadableStream<Uint8Array> {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b)
  const pieces: Uint8Array[] = []
  let from = 0
  for (const point of [...points, bytes.length]) {
    pieces.push(bytes.slice(from, point))
    from = point
  }
  return new ReadableStream({
    pull(controller) {
      const next = pieces.shift()
      if (next === undefined) controller.close()
      else controller.enqueue(next)
    },
  })
}

async function eventsOf(body: ReadableStream<Uint8Array>, max?: number): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = []
  for await (const event of readEvents(body, max)) events.push(event)
  return events
}

describe('readEvents()', () => {
  it('reads fields as the WHATWG parser does: data lines joined, comments skipped, ids carried over, retry', async () => {
    const text = ': hello\n\nid: 1\nevent: tick\ndata: a\ndata:b\n\ndata\n\nretry: 2500\ndata: {"x":1}\n\nunknown: field\n\n'
    expect(await eventsOf(bodyOf(new TextEncoder().encode(text), []))).toEqual([
      { event: 'tick', data: 'a\nb', id: '1' },
      { event: 'message', data: '', id: '1' },
      { event: 'message', data: '{"x":1}', id: '1', retry: 2500 },
    ])
  })

  it('reads the same events whatever the line endings and wherever the bytes are cut (fuzzed)', async () => {
    const value = fc.string({ unit: 'grapheme', maxLength: 20 }).map((text) => text.replace(/[\r\n]/g, ''))
    const event = fc.record({ event: fc.constantFrom('message', 'tick', 'added'), lines: fc.array(value, { minLength: 1, maxLength: 3 }), id: fc.option(value.filter((text) => !text.includes('\0')), { nil: undefined }) })
    await fc.assert(
      fc.asyncProperty(fc.array(event, { maxLength: 6 }), fc.constantFrom('\n', '\r\n', '\r'), fc.array(fc.nat(), { maxLength: 8 }), async (sent, eol, cuts) => {
        const text = sent.map(({ event: name, lines, id }) => [...(id === undefined ? [] : [`id: ${id}`]), `event: ${name}`, ...lines.map((line) => `data: ${line}`), ''].join(eol) + eol).join('')
        let lastId: string | undefined
        const expected = sent.map(({ event: name, lines, id }) => ({ event: name, data: lines.join('\n'), id: (lastId = id ?? lastId) }))
        expect(await eventsOf(bodyOf(new TextEncoder().encode(text), cuts))).toEqual(expected)
      }),
      { numRuns: 500 },
    )
  })

  it('refuses a line or an event longer than its bound, instead of holding it', async () => {
    const endless = new ReadableStream<Uint8Array>({ pull: (controller) => controller.enqueue(new TextEncoder().encode('x'.repeat(64 * 1024))) })
    await expect(eventsOf(endless, 1024 * 1024)).rejects.toThrow(RangeError)
    const manyLines = new ReadableStream<Uint8Array>({ pull: (controller) => controller.enqueue(new TextEncoder().encode(`data: ${'y'.repeat(1000)}\n`)) })
    await expect(eventsOf(manyLines, 1024 * 1024)).rejects.toThrow(RangeError)
  })
})

describe('createClient().stream()', () => {
  const errors = defineErrors({ GONE: { status: 410, message: 'The feed closed.' } })
  const countTo = operation({
    name: 'countTo',
    input: z.object({ to: z.number().int().max(50), failAt: z.number().int().optional() }),
    errors,
    async *handler({ to, failAt }, ctx) {
      for (let n = ctx.lastEventId === undefined ? 1 : Number(ctx.lastEventId) + 1; n <= to; n++) {
        if (n === failAt) throw errors.GONE()
        yield { n, at: new Date(0) }
      }
    },
    stream: { id: (item) => String(item.n) },
  })
  const paths = { '/count': { GET: countTo } }
  const client = createClient<typeof paths>({ baseUrl: 'http://count.test', fetch: inProcessFetch(router(paths), []) })

  it('gives the items as they come, typed by the operation (dates as strings)', async () => {
    const opened = await client.stream('GET', '/count', { query: { to: 3 } })
    if (!opened.ok) throw new Error(opened.error.detail)
    const items: { n: number; at: string }[] = []
    for await (const item of opened.items) items.push(item)
    expect(items).toEqual([1, 2, 3].map((n) => ({ n, at: '1970-01-01T00:00:00.000Z' })))
  })

  it('resumes after lastEventId', async () => {
    const opened = await client.stream('GET', '/count', { query: { to: 4 }, lastEventId: '2' })
    if (!opened.ok) throw new Error(opened.error.detail)
    const seen: number[] = []
    for await (const item of opened.items) seen.push(item.n)
    expect(seen).toEqual([3, 4])
  })

  it('answers a refusal before the stream as a call does, and a failure during it as a StreamProblem with its code', async () => {
    expect(await client.stream('GET', '/count', { query: { to: 99 } })).toMatchObject({ ok: false, status: 422, error: { code: 'VALIDATION_FAILED' } })
    const opened = await client.stream('GET', '/count', { query: { to: 5, failAt: 3 } })
    if (!opened.ok) throw new Error(opened.error.detail)
    const seen: number[] = []
    const failure = await (async () => {
      try {
        for await (const item of opened.items) seen.push(item.n)
      } catch (error) {
        return error
      }
    })()
    expect(seen).toEqual([1, 2])
    expect(failure).toBeInstanceOf(StreamProblem)
    expect((failure as StreamProblem).problem).toMatchObject({ code: 'GONE', status: 410 })
  })

  describe('over a connection that drops', () => {
    const asked: (string | undefined)[] = []
    // Sends two events past the id it is asked to resume after, then cuts the connection; from 5 on it ends the stream.
    const server = localServer((request, response) => {
      const after = request.headers['last-event-id'] as string | undefined
      asked.push(after)
      const from = after === undefined ? 1 : Number(after) + 1
      response.writeHead(200, { 'content-type': 'text/event-stream' })
      response.write(`retry: 10\n\n`)
      for (let n = from; n < from + 2 && n <= 6; n++) response.write(`id: ${n}\ndata: {"n":${n}}\n\n`)
      if (from + 2 > 6) response.end()
      else setTimeout(() => response.socket?.destroy(), 20)
    })

    it('with reconnect, opens it again after the last id seen and loses no event', async () => {
      asked.length = 0
      const remote = createClient<typeof paths>({ baseUrl: server.url() })
      const opened = await remote.stream('GET', '/count', { query: { to: 6 }, reconnect: {} })
      if (!opened.ok) throw new Error(opened.error.detail)
      const seen: number[] = []
      for await (const item of opened.items) seen.push(item.n)
      expect(seen).toEqual([1, 2, 3, 4, 5, 6])
      expect(asked).toEqual([undefined, '2', '4'])
    })

    it('without, ends with a NETWORK_ERROR StreamProblem', async () => {
      const remote = createClient<typeof paths>({ baseUrl: server.url() })
      const opened = await remote.stream('GET', '/count', { query: { to: 6 } })
      if (!opened.ok) throw new Error(opened.error.detail)
      const seen: number[] = []
      await expect(
        (async () => {
          for await (const item of opened.items) seen.push(item.n)
        })(),
      ).rejects.toMatchObject({ problem: { code: 'NETWORK_ERROR' } })
      expect(seen).toEqual([1, 2])
    })
  })
})
