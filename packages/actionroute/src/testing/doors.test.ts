import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineErrors, OperationError, operation } from '../index'
import { compareDoors, expectParity } from '../testing'

const double = operation({ name: 'double', input: z.object({ n: z.number() }), handler: ({ n }) => ({ n: n * 2 }) })
const lookup = operation({
  name: 'lookup',
  errors: defineErrors({ NOT_FOUND: { status: 404, message: 'No such thing.' } }),
  input: z.object({ id: z.string(), limit: z.number().int().min(1).default(5) }),
  handler: ({ id, limit }) => {
    if (id === 'missing') throw new OperationError('NOT_FOUND', 'No such thing')
    return { id, limit }
  },
})
const leaky = operation({
  name: 'leaky',
  input: z.object({ n: z.number() }),
  handler: ({ n }, ctx) => ({ n: ctx.door === 'route' ? n : n + 1 }),
})

describe('the parity kit', () => {
  it.each([
    { name: 'same data', op: double, input: { n: 2 }, options: {} },
    { name: 'same validation error', op: double, input: { n: 'two' }, options: {} },
    { name: 'query strings and route params', op: lookup, input: { id: 'a', limit: 3 }, options: { method: 'GET' as const, params: ['id'] } },
    { name: 'same typed error', op: lookup, input: { id: 'missing' }, options: { method: 'GET' as const, params: ['id'] } },
    { name: 'an empty query value is absent on both doors', op: lookup, input: { id: 'a', limit: '' }, options: { method: 'GET' as const, params: ['id'] } },
  ])('agrees: $name', async ({ op, input, options }) => {
    await expectParity(op, input, options)
  })

  it('catches an operation that answers differently per door, and shows both answers', async () => {
    const parity = await compareDoors(leaky, { n: 1 })
    expect(parity).toEqual({ same: false, route: { ok: true, data: { n: 1 } }, action: { ok: true, data: { n: 2 } } })
    await expect(expectParity(leaky, { n: 1 })).rejects.toThrow(/leaky: the doors disagree[\s\S]*route:[\s\S]*action:/)
  })

  it('compares only what `project` keeps, and resets before each door', async () => {
    let calls = 0
    const counter = operation({ name: 'counter', input: z.object({}), handler: () => ({ call: ++calls, stable: 'x' }) })
    expect((await compareDoors(counter, {})).same).toBe(false)
    expect((await compareDoors(counter, {}, { reset: () => (calls = 0) })).same).toBe(true)
    expect((await compareDoors(counter, {}, { project: (data) => (data as { stable: string }).stable })).same).toBe(true)
  })
})
