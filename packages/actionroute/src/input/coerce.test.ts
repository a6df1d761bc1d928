import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { formInput } from './coerce'

const schema = z.object({
  name: z.string(),
  age: z.number().int().optional(),
  score: z.number().nullable().optional(),
  subscribed: z.boolean(),
  remember: z.boolean().default(true),
  birthday: z.date().optional(),
  tags: z.array(z.string()).optional(),
  ids: z.array(z.number()).optional(),
  address: z.object({ city: z.string(), zip: z.number().optional() }).optional(),
  note: z.union([z.number(), z.string()]).optional(),
  code: z.string().optional(),
})

const formOf = (entries: [string, string][]) => {
  const form = new FormData()
  for (const [name, value] of entries) form.append(name, value)
  return form
}

describe('formInput: schema-guided coercion of form fields', () => {
  it.each([
    { name: 'numbers', entries: [['age', '42'], ['score', '-3.5']], expected: { age: 42, score: -3.5 } },
    { name: 'numbers in decimal notation only', entries: [['age', '0x10'], ['score', ' 3.5 ']], expected: { age: '0x10', score: ' 3.5 ' } },
    { name: 'a string that is not a number stays for validation to report', entries: [['age', 'forty']], expected: { age: 'forty' } },
    { name: 'booleans from checkbox values', entries: [['subscribed', 'on']], expected: { subscribed: true } },
    { name: 'booleans from true/false', entries: [['subscribed', 'false'], ['remember', 'true']], expected: { subscribed: false, remember: true } },
    { name: 'an absent checkbox is false, unless the field has a default', entries: [['name', 'A']], expected: { subscribed: false } },
    { name: 'dates', entries: [['birthday', '1990-05-17']], expected: { birthday: new Date('1990-05-17') } },
    { name: 'one value for an array field becomes an array', entries: [['tags', 'a']], expected: { tags: ['a'] } },
    { name: 'repeated values', entries: [['ids', '1'], ['ids', '2']], expected: { ids: [1, 2] } },
    { name: 'indexed keys, in index order', entries: [['tags[1]', 'b'], ['tags[0]', 'a']], expected: { tags: ['a', 'b'] } },
    { name: 'nested objects', entries: [['address.city', 'Paris'], ['address.zip', '75001']], expected: { address: { city: 'Paris', zip: 75001 } } },
    { name: 'a union that allows strings keeps strings', entries: [['note', '12']], expected: { note: '12' } },
    { name: 'strings stay strings, even numeric ones', entries: [['name', '007'], ['code', 'true']], expected: { name: '007', code: 'true' } },
  ] as { name: string; entries: [string, string][]; expected: object }[])('$name', ({ entries, expected }) => {
    expect(formInput(schema, formOf(entries))).toMatchObject(expected)
  })

  it('coerces so that validation passes for a well-filled form', () => {
    const input = formInput(schema, formOf([['name', 'Ada'], ['age', '36'], ['subscribed', 'on'], ['tags[]', 'x'], ['tags[]', 'y'], ['birthday', '1815-12-10']]))
    expect(schema.parse(input)).toEqual({
      name: 'Ada',
      age: 36,
      subscribed: true,
      remember: true,
      tags: ['x', 'y'],
      birthday: new Date('1815-12-10'),
    })
  })

  it('leaves an absent boolean absent in a query string, where no checkbox was left unticked', () => {
    expect(formInput(schema, new URLSearchParams('name=A'), undefined, { query: true })).toEqual({ name: 'A' })
  })

  it('leaves input alone for a schema library without JSON Schema', () => {
    const opaque = { '~standard': { version: 1 as const, vendor: 'custom', validate: (value: unknown) => ({ value }) } }
    expect(formInput(opaque, formOf([['age', '42']]))).toEqual({ age: '42' })
  })
})
