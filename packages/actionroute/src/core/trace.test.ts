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
