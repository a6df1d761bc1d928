import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkJsonShape } from './json'

const outcome = (text: string, limits = {}) => {
  try {
    checkJsonShape(text, limits)
    return 'ok'
  } catch (error) {
    return (error as Error).message
  }
}

describe('checkJsonShape', () => {
  it.each([
    { name: 'a flat object', text: '{"a":1,"b":[1,2,3]}', expected: 'ok' },
    { name: '64 levels', text: `${'['.repeat(64)}${']'.repeat(64)}`, expected: 'ok' },
    { name: '65 levels', text: `${'['.repeat(65)}${']'.repeat(65)}`, expected: 'The JSON body nests arrays and objects more than 64 levels deep.' },
    { name: 'brackets inside strings', text: `{"a":"${'[{'.repeat(100)}\\"${'['.repeat(100)}"}`, expected: 'ok' },
    { name: '1,000 keys', text: `{${Array.from({ length: 1000 }, (_, i) => `"k${i}":1`).join(',')}}`, expected: 'ok' },
    { name: '1,001 keys', text: `{${Array.from({ length: 1001 }, (_, i) => `"k${i}":1`).join(',')}}`, expected: 'A JSON object in the body has more than 1000 keys.' },
    { name: 'commas in an array are not keys', text: `[${'1,'.repeat(5000)}1]`, expected: 'ok' },
    { name: 'commas in strings are not keys', text: `{"a":"${','.repeat(5000)}"}`, expected: 'ok' },
    { name: 'keys of a nested object count for it alone', text: `{"a":{${Array.from({ length: 1001 }, (_, i) => `"k${i}":1`).join(',')}}}`, expected: 'A JSON object in the body has more than 1000 keys.' },
  ])('$name → $expected', ({ text, expected }) => {
    expect(outcome(text)).toBe(expected)
  })

  it('agrees with JSON.parse on the depth and key count of any generated value (fuzzed)', () => {
    const depthOf = (value: unknown): number =>
      typeof value === 'object' && value !== null ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0
    const maxKeysOf = (value: unknown): number =>
      typeof value === 'object' && value !== null
        ? Math.max(Array.isArray(value) ? 0 : Object.keys(value).length, ...Object.values(value).map(maxKeysOf))
        : 0
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), (value, maxDepth, maxKeys) => {
        const text = JSON.stringify(value)
        const fits = depthOf(value) <= maxDepth && maxKeysOf(value) <= maxKeys
        expect(outcome(text, { maxDepth, maxKeys }) === 'ok').toBe(fits)
      }),
      { numRuns: 2000 },
    )
  })
})
