import { trace } from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { action, operation, route } from '../index'
import { withActionContext } from '../testing'

// A real OpenTelemetry SDK, as an app would register one, recording spans in memory.
const exporter = new InMemorySpanExporter()
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
trace.setGlobalTracerProvider(provider)
afterAll(async () => {
  await provider.shutdown()
  trace.disable()
})

const greet = operation({
  name: 'greet',
  input: z.object({ name: z.string().min(1) }),
  handler: ({ name }) => {
    if (name === 'boom') throw new Error('database down')
    return { text: `Hello ${name}` }
  },
})
const post = (body: unknown) =>
  route(greet)(new Request('http://test/greet', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }), {
    params: Promise.resolve({}),
  })
const spans = () => exporter.getFinishedSpans().map((span) => ({ name: span.name, status: span.status.code, attributes: span.attributes }))

describe('a span per call', () => {
  beforeEach(() => exporter.reset())

  it('names the operation, the door and the outcome, on both doors', async () => {
    await post({ name: 'Ada' })
    await withActionContext({}, () => action(greet)({ name: '' }))
    expect(spans()).toEqual([
      { name: 'greet', status: 0, attributes: { 'actionroute.operation': 'greet', 'actionroute.door': 'route', 'actionroute.outcome': 'ok' } },
      { name: 'greet', status: 0, attributes: { 'actionroute.operation': 'greet', 'actionroute.door': 'action', 'actionroute.outcome': 'VALIDATION_FAILED' } },
    ])
  })

  it('marks an unexpected error, with the id the caller was given', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const response = await post({ name: 'boom' })
    const { errorId } = (await response.json()) as { errorId: string }
    expect(spans()).toEqual([
      { name: 'greet', status: 2, attributes: { 'actionroute.operation': 'greet', 'actionroute.door': 'route', 'actionroute.outcome': 'INTERNAL', 'actionroute.error_id': errorId } },
    ])
    vi.restoreAllMocks()
  })
})

describe('a span per stream', () => {
  beforeEach(() => exporter.reset())

  const ticks = operation({
    name: 'ticks',
    input: z.object({ to: z.number().int() }),
    async *handler({ to }) {
      for (let n = 1; n <= to; n++) yield n
    },
    stream: {},
  })

  it('lasts as long as the stream, and counts its items, on both doors', async () => {
    const response = await route(ticks)(new Request('http://test/ticks?to=3'), { params: Promise.resolve({}) })
    expect(spans()).toEqual([])
    await response.text()
    const result = await withActionContext({}, () => action(ticks)({ to: 2 }))
    if (!result.ok) throw new Error(result.error.message)
    for await (const frame of result.data) void frame
    expect(spans()).toEqual([
      { name: 'ticks', status: 0, attributes: { 'actionroute.operation': 'ticks', 'actionroute.door': 'route', 'actionroute.items': 3, 'actionroute.outcome': 'ok' } },
      { name: 'ticks', status: 0, attributes: { 'actionroute.operation': 'ticks', 'actionroute.door': 'action', 'actionroute.items': 2, 'actionroute.outcome': 'ok' } },
    ])
  })

  it('ends as cancelled when the reader goes first', async () => {
    const response = await route(ticks)(new Request('http://test/ticks?to=100'), { params: Promise.resolve({}) })
    const reader = response.body!.getReader()
    await reader.read()
    await reader.read()
    await reader.cancel()
    expect(spans()).toMatchObject([{ name: 'ticks', attributes: { 'actionroute.outcome': 'cancelled', 'actionroute.items': 1 } }])
  })
})

describe('without an SDK', () => {
  beforeEach(() => exporter.reset())

  it('makes no span until one is registered, and picks up one registered later', async () => {
    trace.disable()
    try {
      expect((await post({ name: 'Ada' })).status).toBe(200)
      expect(await withActionContext({}, () => action(greet)({ name: 'Ada' }))).toEqual({ ok: true, data: { text: 'Hello Ada' } })
      expect(spans()).toEqual([])
    } finally {
      trace.setGlobalTracerProvider(provider)
    }
    await post({ name: 'Grace' })
    expect(spans()).toEqual([
      { name: 'greet', status: 0, attributes: { 'actionroute.operation': 'greet', 'actionroute.door': 'route', 'actionroute.outcome': 'ok' } },
    ])
  })
})
