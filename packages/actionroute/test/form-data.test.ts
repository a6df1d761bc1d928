import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseFormData } from '../src/form-data'

const formOf = (entries: [string, string][]) => {
  const form = new FormData()
  for (const [name, value] of entries) form.append(name, value)
  return form
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype'])
function forbiddenKeysIn(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return []
  return Object.keys(value).flatMap((key) => [
    ...(FORBIDDEN.has(key) ? [key] : []),
    ...forbiddenKeysIn((value as Record<string, unknown>)[key]),
  ])
}

describe('parseFormData', () => {
  it.each([
    { name: 'flat fields', entries: [['name', 'Alice']], expected: { name: 'Alice' } },
    { name: 'empty strings are absent', entries: [['name', 'Alice'], ['email', '']], expected: { name: 'Alice' } },
    { name: "Next's $ACTION_ keys are dropped", entries: [['$ACTION_ID_abc', ''], ['$ACTION_KEY', 'k'], ['name', 'A']], expected: { name: 'A' } },
    { name: 'dot paths nest', entries: [['address.city', 'Paris'], ['address.zip', '75001']], expected: { address: { city: 'Paris', zip: '75001' } } },
    { name: 'bracket paths nest', entries: [['address[city]', 'Paris']], expected: { address: { city: 'Paris' } } },
    { name: 'a repeated name becomes an array', entries: [['tag', 'a'], ['tag', 'b'], ['tag', 'c']], expected: { tag: ['a', 'b', 'c'] } },
    { name: 'tags[] collects an array', entries: [['tags[]', 'a'], ['tags[]', 'b']], expected: { tags: ['a', 'b'] } },
    { name: '__proto__ is refused', entries: [['__proto__.polluted', 'yes'], ['name', 'A']], expected: { name: 'A' } },
    { name: 'constructor.prototype is refused', entries: [['constructor.prototype.polluted', 'yes']], expected: {} },
    { name: 'a bracketed __proto__ is refused', entries: [['a[__proto__][polluted]', 'yes']], expected: {} },
  ] as { name: string; entries: [string, string][]; expected: object }[])('$name', ({ entries, expected }) => {
    expect(parseFormData(formOf(entries))).toEqual(expected)
  })

  it('never pollutes Object.prototype, whatever the field names (fuzzed)', () => {
    const segment = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'polluted', '0', ''), fc.string({ maxLength: 6 }))
    const name = fc.array(segment, { minLength: 1, maxLength: 4 }).chain((parts) =>
      fc.constantFrom(parts.join('.'), parts.map((part, i) => (i === 0 ? part : `[${part}]`)).join('')),
    )
    fc.assert(
      fc.property(fc.array(fc.tuple(name, fc.string({ maxLength: 4 })), { maxLength: 8 }), (entries) => {
        const parsed = parseFormData(formOf(entries))
        expect(({} as Record<string, unknown>).polluted).toBeUndefined()
        expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype)
        expect(forbiddenKeysIn(parsed)).toEqual([])
      }),
      { numRuns: 2000 },
    )
  })
})
