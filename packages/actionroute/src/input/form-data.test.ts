import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { OperationError } from '../core/errors'
import { parseFormData, parseUrlEncoded, segmentsOf } from './form-data'

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
        let parsed: Record<string, unknown>
        try {
          parsed = parseFormData(formOf(entries))
        } catch (error) {
          // A name used both as a value and as a group is refused as a whole: a 400, not a guess.
          expect(error).toBeInstanceOf(OperationError)
          expect((error as OperationError).status).toBe(400)
          expect(({} as Record<string, unknown>).polluted).toBeUndefined()
          return
        }
        expect(({} as Record<string, unknown>).polluted).toBeUndefined()
        expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype)
        expect(forbiddenKeysIn(parsed)).toEqual([])
      }),
      { numRuns: 2000 },
    )
  })

  it.each([
    { name: 'a value then a group', entries: [['x', '1'], ['x[a]', '2']] },
    { name: 'a group then a value', entries: [['x[a]', '1'], ['x', '2']] },
    { name: 'repeats then a group (was a RangeError)', entries: [['x', '1'], ['x', '2'], ['x[length]', '0']] },
  ] as { name: string; entries: [string, string][] }[])('refuses $name with 400 instead of dropping data', ({ entries }) => {
    expect(() => parseFormData(formOf(entries))).toThrow(/sent both as a value and as a group/)
  })

  const tooMuch = (entries: [string, string][], limits = {}) => {
    try {
      parseFormData(formOf(entries), limits)
    } catch (error) {
      return { status: (error as OperationError).status, message: (error as Error).message }
    }
    return null
  }
  it.each([
    { name: 'too many fields', entries: Array.from({ length: 1001 }, (_, i) => [`f${i}`, 'v']), message: 'The form has more than 1000 fields.' },
    { name: 'a long name', entries: [['a'.repeat(1001), 'v']], message: 'A field name is 1001 characters long; the limit is 1000.' },
    { name: 'deep nesting', entries: [['a.b.c.d.e.f.g.h.i', 'v']], message: 'The field "a.b.c.d.e.f.g.h.i" is nested 9 levels deep; the limit is 8.' },
    { name: 'a huge index', entries: [['tags[1001]', 'v']], message: 'The field "tags[1001]" uses index 1001; the highest allowed is 1000.' },
    { name: 'an index too long to count', entries: [['tags[99999999999999999999]', 'v']], message: 'The field "tags[99999999999999999999]" uses index 999999999999; the highest allowed is 1000.' },
  ] as { name: string; entries: [string, string][]; message: string }[])('refuses $name with 400', ({ entries, message }) => {
    expect(tooMuch(entries)).toEqual({ status: 400, message })
  })

  it('takes its limits from the caller', () => {
    expect(tooMuch([['a', '1'], ['b', '2']], { maxFields: 1 })).toMatchObject({ status: 400 })
    expect(tooMuch([['a.b.c', '1']], { maxDepth: 3 })).toBeNull()
  })

  it.each([
    { name: 'a.b', segments: ['a', 'b'] },
    { name: 'a[b][c]', segments: ['a', 'b', 'c'] },
    { name: 'tags[]', segments: ['tags'] },
    { name: 'a[b', segments: ['a[b'] },
    { name: 'a]b[', segments: ['a]b['] },
    { name: 'a[b[c]d', segments: ['a', 'b[c', 'd'] },
    { name: '..a..', segments: ['a'] },
  ])('splits $name into $segments', ({ name, segments }) => {
    expect(segmentsOf(name)).toEqual(segments)
  })

  // Field names an attacker can build to make a backtracking parser take quadratic time: at 300,000
  // characters the old regex held the event loop 34 s. These finish in milliseconds; bench:parse measures them.
  it.each([
    { shape: "300,000 '['", name: '['.repeat(300_000) },
    { shape: "'[' and '.' alternating", name: '[.'.repeat(150_000) },
    { shape: "'[]' pairs", name: `a${'[]'.repeat(150_000)}` },
  ])('splits a name of $shape in linear time', ({ name }) => {
    expect(segmentsOf(name).length).toBeGreaterThan(0)
  })
})

describe('parseUrlEncoded', () => {
  it.each([
    { text: 'name=Zo%C3%AB&x=a+b', entries: [['name', 'Zoë'], ['x', 'a b']] },
    { text: 'a&&b=&=c', entries: [['a', ''], ['b', ''], ['', 'c']] },
    { text: 'q=100%25', entries: [['q', '100%']] },
    { text: '', entries: [] },
  ])('reads $text as a browser would', ({ text, entries }) => {
    expect([...parseUrlEncoded(text)]).toEqual(entries)
    expect([...parseUrlEncoded(text)]).toEqual([...new URLSearchParams(text)])
  })

  it('stops at the first pair past maxFields, before decoding the rest', () => {
    expect(() => parseUrlEncoded('x=1&'.repeat(260_000), { maxFields: 1000 })).toThrow('The form has more than 1000 fields.')
    expect([...parseUrlEncoded('a=1&b=2', { maxFields: 2 })]).toEqual([['a', '1'], ['b', '2']])
  })

  it.each(['q=%FF', 'q=%E0%A4%A', 'q=%zz', '%C3=x'])('refuses %s with 400 instead of storing U+FFFD', (text) => {
    expect(() => parseUrlEncoded(text)).toThrow(expect.objectContaining({ status: 400, code: 'BAD_REQUEST' }))
  })
})
