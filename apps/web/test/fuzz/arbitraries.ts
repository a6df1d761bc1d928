import fc from 'fast-check'
import { deref, validators, type Document, type OperationSpec, type Parameter, type Schema } from './document'

// The document turned into fast-check arbitraries: requests that follow it, requests that break it
// on purpose, and requests no client should send. Whether a request follows the document is never
// decided here: conformance.ts asks the document, so a "valid" value that is not is no false alarm.

/** Values the schemas cannot describe, by field or parameter name: ids of seeded users, taken emails, issued cursors. */
export type Examples = Record<string, readonly string[]>

/** A form field: text, or a file (its bytes as text, or as bytes). */
export type FieldValue = string | FuzzFile
export type FuzzFile = { file: string; type: string; text?: string; bytes?: number[] }

const b64 = (text: string) => [...Buffer.from(text, 'base64')]
/** Small images every file field of the document accepts (PNG, JPEG, WebP, 3 × 2): a client's avatar. */
export const SAMPLE_IMAGES: FuzzFile[] = [
  { file: 'me.png', type: 'image/png', bytes: b64('iVBORw0KGgoAAAANSUhEUgAAAAMAAAACCAIAAAASFvFNAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAEElEQVQImWM4IRcFQQxwFgBNqAeBhklOcgAAAABJRU5ErkJggg==') },
  { file: 'me.jpg', type: 'image/jpeg', bytes: b64('/9j/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCAACAAMDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAb/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFQEBAQAAAAAAAAAAAAAAAAAAAQf/xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oADAMBAAIRAxEAPwCKAKtv/9k=') },
  // Named and typed as the client likes: the server reads the type from the bytes.
  { file: 'avatar', type: 'application/octet-stream', bytes: b64('UklGRjQAAABXRUJQVlA4ICgAAABQAQCdASoDAAIAAUAmJaAABDOAAP7wmyP//ucD//ZwP/9nA/iQAAAA') },
]
/** Files a file field should refuse, or may: SVG, HTML, a PNG signature before junk, a JPEG cut short, nothing. */
const ODD_FILES: FuzzFile[] = [
  { file: 'me.svg', type: 'image/svg+xml', text: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>' },
  { file: 'me.png', type: 'image/png', text: '<html><script>alert(1)</script></html>' },
  { file: 'polyglot.png', type: 'image/png', bytes: [...SAMPLE_IMAGES[0]!.bytes!.slice(0, 16), ...Buffer.from('<html><script>alert(1)</script>')] },
  { file: 'cut.jpg', type: 'image/jpeg', bytes: SAMPLE_IMAGES[1]!.bytes!.slice(0, 40) },
  { file: '../../etc/passwd\u0000.png', type: 'image/png', bytes: SAMPLE_IMAGES[0]!.bytes },
  { file: 'empty.png', type: 'image/png', bytes: [] },
]
export const isFuzzFile = (value: unknown): value is FuzzFile => typeof value === 'object' && value !== null && 'file' in value && 'type' in value
const isBinary = (schema: Schema) => schema.format === 'binary' || schema.contentEncoding === 'binary'

/** A request body, as plain data so that fast-check prints a counterexample anyone can replay. */
export type BodyCase =
  | { kind: 'text'; contentType?: string; text: string }
  | { kind: 'bytes'; contentType?: string; bytes: number[] }
  | { kind: 'multipart'; fields: [string, FieldValue][] }

export interface HttpCase {
  method: string
  params: Record<string, string>
  /** The raw query string, without `?`. */
  query: string
  body?: BodyCase
}

/** Text that trips naive handling: NUL, lone surrogates, bidi controls, zero-width and filler characters, separators. */
export const ODD_TEXT = [
  '\u0000', '\ud800', '\udfff', '\u202e', '\u2066', '\u200f', '\u061c', '\u200b', '\u2060', '\ufeff', '\u3164',
  '\u2800', '\u00ad', '\u2028', '\u0085', '\u001b', '\t', '\n', '\r\n', ' ', '\u00a0', 'e\u0301', '\u{1f600}',
  '\u{e0001}', '%00', '\\', '"', "'", '<b>', '${x}',
]
/** Numbers as a client might mistype them, for integer parameters and fields. */
export const NUMBER_TEXT = [
  '0x10', '1e2', '1e1', ' 5 ', '5 ', '5.0', '2.5', '+5', '05', '-0', '-1', '0', '101', '１０', '5\u0000', 'Infinity',
  'NaN', '1_000', '0b1', '0o7', '1,2', '9'.repeat(400), 'ten', '',
]
const FORMAT_ODDITIES: Record<string, string[]> = {
  email: [
    'a@b.c', 'a@b', '@example.com', 'a@', 'a', 'A@EXAMPLE.COM', ' a@example.com ', 'a@example.com\n', 'a@b-.com',
    'a@-b.com', 'a..b@example.com', '.a@example.com', 'a.@example.com', 'a@example..com', 'ａ@example.com',
    'a\u212a@example.com', 'a@exämple.com', 'a@[127.0.0.1]', '"a b"@example.com', 'a b@example.com',
    'a@example.com.', `${'a'.repeat(64)}@example.com`, `${'a'.repeat(65)}@example.com`, `a@${'b'.repeat(250)}.com`,
  ],
}
const WRONG_TYPES: unknown[] = [0, -1, 1.5, 1e308, true, false, null, [], [''], ['Alice'], {}, { toString: 'x' }]
/** Keys a body should not choke on: prototype names, fields other doors own, near-misses of real names. */
const EXTRA_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'id', 'door', 'createdAt', '', 'NAME', 'name ', 'x[length]', 'a'.repeat(1000)]
/** Media types the document does not list, and spellings of ones it does. */
const UNDOCUMENTED_TYPES = [
  'text/plain', 'text/plain;charset=UTF-8', 'application/xml', 'text/xml', 'application/vnd.foo+json',
  'application/problem+json', 'application/json-patch+json', 'application/jsonx', 'application/*', '*/*', '',
  'multipart/form-data', 'multipart/mixed; boundary=x', 'application/octet-stream', 'json',
]
const BAD_JSON = [
  '{', '}', '{"name":', "{'name':'Alice'}", '{"name":"Alice",}', '{name:"Alice"}', '{"name":"Alice"}x', '\ufeff{"name":"Alice"}',
  'null', '[]', '"Alice"', '42', 'true', '[{"name":"Alice"}]', '{"name":"Alice","name":"Bob"}', '{"name":"\\ud800"}',
  '{"name":"\\u0000"}', '{"name":"Al\\u202eice"}', '{"__proto__":{"name":"Alice"}}', '{"constructor":{"prototype":{"x":1}}}',
  'NaN', '{"name":1e999}', ' ', '\u0000',
]
/** Byte sequences that are not UTF-8: a stray byte, an overlong NUL, a UTF-8-encoded surrogate, past U+10FFFF, truncated. */
const BAD_UTF8 = [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xfe, 0xfe]]
/** Query strings past the form limits, with nested or conflicting names, or malformed percent-encoding. */
const ODD_QUERIES = [
  'x=1&x=2&x[length]=0', 'x=1&x[a]=2', 'a[b][c][d][e][f][g][h][i][j]=1', 'a[1001]=1', 'a[99999999999]=1', '__proto__[x]=1',
  'constructor[prototype][x]=1', `${'n'.repeat(1001)}=1`, Array.from({ length: 1001 }, (_, i) => `f${i}=1`).join('&'),
  '%', '%zz=1', '&&&', '=', '==', 'q=%FF', 'q=%ED%A0%80', 'q=%C0%80', 'q=a%2', 'limit=%31%30', 'q=+', 'q=%2B',
]
const DEEP_JSON = `{"name":"Deep","x":${'['.repeat(70)}${']'.repeat(70)}}`

/** Leaves to put inside an opaque token: dates that do not exist or PostgreSQL refuses, non-UUIDs, wrong types. */
const TOKEN_LEAVES: unknown[] = [
  '2020-02-30T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', '-000001-01-01T00:00:00.000Z', '0000-01-01T00:00:00.000Z', '2026-01-01',
  '2026-13-01T00:00:00.000Z', '2026-01-01T24:00:00.000Z', '', '\u0000', 'x'.repeat(300), '00000000-0000-0000-0000-000000000000', 'not-a-uuid',
  0, -1, 1e308, null, true, [], {},
]

/**
 * Opaque tokens (cursors) are often base64url JSON: each one decoded, one top-level value replaced
 * by an odd one, encoded again. Undefined when no example decodes so.
 */
function tampered(known: readonly string[]): fc.Arbitrary<string> | undefined {
  const decoded = known.flatMap((token) => {
    try {
      const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'))
      return typeof value === 'object' && value !== null ? [value as Record<string, unknown>] : []
    } catch {
      return []
    }
  })
  if (decoded.length === 0) return undefined
  return fc.tuple(fc.constantFrom(...decoded), fc.nat(), fc.constantFrom(...TOKEN_LEAVES)).map(([value, at, leaf]) => {
    const copy = structuredClone(value)
    const keys = Object.keys(copy)
    copy[keys[at % keys.length]!] = leaf
    return Buffer.from(JSON.stringify(copy)).toString('base64url')
  })
}

/** `encodeURIComponent`, except that a lone surrogate becomes the bytes it would have in CESU-8: no exception, odd input kept. */
export function encodeComponent(text: string): string {
  return text.replace(/[\s\S]/gu, (char) => {
    try {
      return encodeURIComponent(char)
    } catch {
      const unit = char.charCodeAt(0)
      return [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('')
    }
  })
}

const encodePairs = (pairs: [string, string][]) => pairs.map(([name, value]) => `${encodeComponent(name)}=${encodeComponent(value)}`).join('&')

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** A body value as form fields, the way an HTML form or `qs` would flatten it (null is left out: a form cannot say it). */
function formPairs(value: unknown, prefix = ''): [string, FieldValue][] {
  if (isFuzzFile(value)) return prefix ? [[prefix, value]] : []
  if (!isRecord(value)) return prefix ? (value === null ? [] : [[prefix, String(value)]]) : []
  return Object.entries(value).flatMap(([key, item]) => {
    const name = prefix ? `${prefix}.${key}` : key
    if (Array.isArray(item)) return item.map((entry) => [name, isFuzzFile(entry) ? entry : String(entry)] as [string, FieldValue])
    return formPairs(item, name)
  })
}

/** Fields as text, as a urlencoded form sends them: a file input sends its file's name. */
const textPairs = (value: unknown): [string, string][] => formPairs(value).map(([name, item]) => [name, typeof item === 'string' ? item : item.file])

function withOwn(value: Record<string, unknown>, key: string, item: unknown): Record<string, unknown> {
  const copy = { ...value }
  Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true })
  return copy
}

const typesOf = (schema: Schema): string[] =>
  Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : schema.properties ? ['object'] : ['string']

function merge(base: Schema, extra: Schema): Schema {
  return {
    ...base,
    ...extra,
    properties: { ...base.properties, ...extra.properties },
    required: [...new Set([...(base.required ?? []), ...(extra.required ?? [])])],
  }
}

/** Finds, for a schema, the branch that describes a string (the `string` of `string | null`). */
function stringBranch(doc: Document, schema: Schema): Schema | undefined {
  if (typesOf(schema).includes('string') && !schema.anyOf && !schema.oneOf) return schema
  for (const branch of schema.anyOf ?? schema.oneOf ?? []) {
    const found = stringBranch(doc, deref(doc, branch))
    if (found) return found
  }
  return undefined
}

export function arbitrariesFor(doc: Document, examples: Examples = {}) {
  const validate = validators(doc)

  /** Candidates of the right shape: lengths, formats and required keys as the schema says; patterns are left to the filter. */
  function candidates(schema: Schema): fc.Arbitrary<unknown> {
    const s = deref(doc, schema)
    if (s.const !== undefined) return fc.constant(s.const)
    if (s.enum) return fc.constantFrom(...s.enum)
    const { anyOf, oneOf, allOf, ...base } = s
    if (anyOf ?? oneOf) return fc.oneof(...(anyOf ?? oneOf)!.map((branch) => candidates(merge(base, deref(doc, branch)))))
    if (allOf) return candidates(allOf.reduce<Schema>((all, part) => merge(all, deref(doc, part)), base))
    return fc.oneof(...typesOf(s).map((type) => ofType(type, s)))
  }

  function ofType(type: string, s: Schema): fc.Arbitrary<unknown> {
    switch (type) {
      case 'null':
        return fc.constant(null)
      case 'boolean':
        return fc.boolean()
      case 'integer':
        return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 1000 })
      case 'number':
        return fc.double({ min: s.minimum ?? -1000, max: s.maximum ?? 1000, noNaN: true })
      case 'array':
        return fc.array(conforming(s.items ?? {}), { maxLength: 3 })
      case 'object': {
        const properties = s.properties ?? {}
        const shapes = Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, field(name, property)]))
        return fc.record(shapes, { requiredKeys: (s.required ?? []).filter((name) => name in properties) })
      }
      default:
        return text(s)
    }
  }

  function text(s: Schema): fc.Arbitrary<string> {
    const min = s.minLength ?? 0
    const max = Math.min(s.maxLength ?? 64, 300)
    if (s.format === 'uuid') return fc.uuid()
    if (s.format === 'date-time') return fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(Date.UTC(2100, 0)) }).map((date) => date.toISOString())
    if (s.format === 'email') {
      const matching = s.pattern ? [fc.stringMatching(new RegExp(s.pattern), { size: 'xsmall' })] : []
      return fc.oneof(fc.emailAddress(), ...matching, fc.constantFrom('ada@example.com', 'Grace.Hopper@Example.org', "o'brien+tag@mail.example.co.uk"))
    }
    return fc.oneof(
      fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.min(max, 30) }),
      fc.string({ unit: 'grapheme-ascii', minLength: min, maxLength: max }),
      fc.constantFrom('Alice', ' Ame\u0301lie ', 'Łukasz Żółć', '李小龍', 'محمد', 'O\u2019Brien', '<b>x</b>', '\u{1f600}'),
      // The boundaries: exactly the shortest and the longest allowed, in code points of one and two UTF-16 units.
      fc.constantFrom('a', 'Ж', '\u{1f600}').chain((unit) => fc.constantFrom(Math.max(min, 1), max).map((n) => unit.repeat(n))),
    )
  }

  /** A property or parameter: the schema's own candidates, one of the examples for its name, or an example tampered with. */
  function field(name: string, schema: Schema): fc.Arbitrary<unknown> {
    const own = conforming(schema)
    const known = examples[name] ?? []
    return fc.oneof(
      { weight: 2, arbitrary: own },
      { weight: known.length ? 2 : 0, arbitrary: known.length ? fc.constantFrom(...known) : own },
      { weight: 1, arbitrary: tampered(known) ?? own },
    )
  }

  /** Values that aim to satisfy `schema` (filtered by the document's own validator). */
  function conforming(schema: Schema): fc.Arbitrary<unknown> {
    // A file is no JSON value: the document's validator cannot pick one.
    if (isBinary(deref(doc, schema))) return fc.constantFrom(...SAMPLE_IMAGES)
    const check = validate(schema)
    // A file field's value is checked as the placeholder text the oracle gives it (conformance.ts, filesVerdict).
    return candidates(schema).filter((value) => check(isRecord(value) ? Object.fromEntries(Object.entries(value).map(([key, item]) => [key, isFuzzFile(item) ? '' : item])) : value))
  }

  /** Values that aim to break `schema`: wrong types, lengths just past the bounds, odd text, missing or extra keys. */
  function mutated(schema: Schema): fc.Arbitrary<unknown> {
    const s = deref(doc, schema)
    if (isBinary(s)) return fc.oneof(fc.constantFrom(...ODD_FILES), fc.constantFrom('a', '', 'me.png'))
    if (typesOf(s).includes('object') && Object.keys(s.properties ?? {}).length > 0) return objectMutations(s)
    const string = stringBranch(doc, s)
    if (string) return fc.oneof(textMutations(string), fc.constantFrom(...WRONG_TYPES))
    if (typesOf(s).some((type) => type === 'integer' || type === 'number')) {
      const bounds = [s.minimum, s.maximum].filter((bound) => bound !== undefined)
      const numbers = [...bounds.flatMap((bound) => [bound - 1, bound + 1, bound + 0.5]), 0, -1, 2 ** 53, -(2 ** 31)]
      return fc.oneof(fc.constantFrom(...numbers), fc.constantFrom(...NUMBER_TEXT), fc.constantFrom(...WRONG_TYPES))
    }
    return fc.constantFrom(...WRONG_TYPES)
  }

  function textMutations(s: Schema): fc.Arbitrary<string> {
    const valid = conforming(s) as fc.Arbitrary<string>
    const min = s.minLength ?? 0
    const max = s.maxLength ?? 100
    const lengths = [...new Set([0, min - 1, min, max, max + 1, 2 * max])].filter((n) => n >= 0)
    const insert = ([base, odd, at]: [string, string, number]) => {
      const cut = Math.round((base.length * at) / 2)
      return base.slice(0, cut) + odd + base.slice(cut)
    }
    return fc.oneof(
      { weight: 1, arbitrary: fc.constantFrom(...ODD_TEXT) },
      { weight: 3, arbitrary: fc.tuple(valid, fc.constantFrom(...ODD_TEXT), fc.constantFrom(0, 1, 2)).map(insert) },
      {
        weight: 3,
        arbitrary: fc.tuple(fc.constantFrom('a', '\u{1f600}', 'e\u0301', ' ', '\u200b'), fc.constantFrom(...lengths)).map(([unit, n]) => unit.repeat(n)),
      },
      { weight: 2, arbitrary: fc.tuple(valid, fc.constantFrom(' ', '\t', '\n', '\u00a0', '\u3000', '\ufeff')).map(([value, space]) => `${space}${value}${space}`) },
      { weight: 1, arbitrary: fc.constant('x'.repeat(100_000)) },
      { weight: 1, arbitrary: fc.constantFrom(...NUMBER_TEXT) },
      { weight: s.format ? 3 : 0, arbitrary: fc.constantFrom(...(FORMAT_ODDITIES[s.format ?? ''] ?? ['\u0000'])) },
      // What the filter in conforming() throws away: right length and format family, yet failing a pattern or the format.
      { weight: 2, arbitrary: candidates(s).filter((value): value is string => typeof value === 'string') },
    )
  }

  function objectMutations(s: Schema): fc.Arbitrary<unknown> {
    const valid = conforming(s) as fc.Arbitrary<Record<string, unknown>>
    const properties = Object.entries(s.properties ?? {})
    const required = s.required ?? []
    const without = (value: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(value).filter(([name]) => name !== key))
    return fc.oneof(
      {
        weight: 4,
        arbitrary: fc.tuple(valid, fc.constantFrom(...properties)).chain(([value, [name, property]]) => mutated(property).map((bad) => ({ ...value, [name]: bad }))),
      },
      // Every field at once, each conforming or broken.
      { weight: 3, arbitrary: fc.record(Object.fromEntries(properties.map(([name, property]) => [name, fc.oneof(conforming(property), mutated(property))]))) },
      { weight: 2, arbitrary: fc.tuple(valid, fc.constantFrom(...EXTRA_KEYS), fc.jsonValue({ maxDepth: 2 })).map(([value, key, extra]) => withOwn(value, key, extra)) },
      { weight: required.length ? 1 : 0, arbitrary: fc.tuple(valid, fc.constantFrom(...(required.length ? required : ['']))).map(([value, key]) => without(value, key)) },
      { weight: 1, arbitrary: fc.constantFrom<unknown>({}, null, [], 'Alice', 42, true, [{}]) },
    )
  }

  /** Path, query and body for one documented operation: mostly conforming, often broken, sometimes absurd. */
  function request(method: string, op: OperationSpec): fc.Arbitrary<HttpCase> {
    const parameters = op.parameters ?? []
    const path = parameters.filter((parameter) => parameter.in === 'path')
    const params = fc.record(Object.fromEntries(path.map((parameter) => [parameter.name, pathValue(parameter)])))
    const body = op.requestBody ? bodyOf(op.requestBody) : fc.constant(undefined)
    return fc.record({ method: fc.constant(method), params, query: queryOf(parameters), body })
  }

  function pathValue(parameter: Parameter): fc.Arbitrary<string> {
    const known = examples[parameter.name] ?? []
    const variants = known.flatMap((value) => [value, value.toUpperCase(), ` ${value}`, `${value}\u0000`, `${value}/`])
    return fc.oneof(
      { weight: 4, arbitrary: known.length ? fc.constantFrom(...known) : (conforming(parameter.schema).map(String) as fc.Arbitrary<string>) },
      { weight: 2, arbitrary: conforming(parameter.schema).map(String) },
      { weight: 2, arbitrary: fc.constantFrom(...variants, ...ODD_TEXT, '', '..', '%2F', 'null', '00000000-0000-0000-0000-000000000000', 'x'.repeat(10_000)) },
    )
  }

  function queryOf(parameters: Parameter[]): fc.Arbitrary<string> {
    const documented = parameters.filter((parameter) => parameter.in === 'query')
    const value = (parameter: Parameter) =>
      fc.oneof(
        { weight: 3, arbitrary: field(parameter.name, parameter.schema).map(String) },
        { weight: 2, arbitrary: mutated(parameter.schema).map((bad) => (typeof bad === 'string' ? bad : JSON.stringify(bad) ?? '')) },
      )
    const entries = fc
      .subarray(documented)
      .chain((chosen) => fc.tuple(...chosen.map((parameter) => value(parameter).map((v): [string, string] => [parameter.name, v]))))
    // A documented name twice, or a name the document does not know.
    const extras = fc.array(
      fc.tuple(fc.constantFrom(...documented.map((parameter) => parameter.name), 'x', 'id', '__proto__', 'Q', 'q '), fc.constantFrom('1', '', 'Alice', '\u0000')),
      { maxLength: 2 },
    )
    const query = fc.tuple(entries, extras).map(([chosen, extra]) => encodePairs([...chosen, ...extra]))
    return fc.oneof({ weight: 8, arbitrary: query }, { weight: 1, arbitrary: fc.constantFrom(...ODD_QUERIES) })
  }

  function bodyOf(requestBody: NonNullable<OperationSpec['requestBody']>): fc.Arbitrary<BodyCase | undefined> {
    const types = Object.keys(requestBody.content)
    const first = requestBody.content[types[0]!]?.schema ?? {}
    const valueOf = (schema: Schema) => fc.oneof({ weight: 3, arbitrary: conforming(schema) }, { weight: 3, arbitrary: mutated(schema) })
    const json = (value: unknown) => JSON.stringify(value) ?? 'null'

    const documented = fc.constantFrom(...types).chain((type) =>
      valueOf(requestBody.content[type]?.schema ?? {}).chain((value): fc.Arbitrary<BodyCase> => {
        if (type === 'multipart/form-data') {
          return fc.boolean().map((asFile) => ({
            kind: 'multipart',
            fields: formPairs(value).map(([name, item], index): [string, FieldValue] => [name, asFile && index === 0 && typeof item === 'string' ? { file: 'field.txt', type: 'text/plain', text: item } : item]),
          }))
        }
        if (type === 'application/x-www-form-urlencoded') {
          return fc.constantFrom(type, `${type}; charset=UTF-8`, `${type}; charset=iso-8859-1`).map((contentType) => ({ kind: 'text', contentType, text: encodePairs(textPairs(value)) }))
        }
        const spellings = [type, type.toUpperCase(), `${type}; charset=utf-8`, `${type};charset="UTF-8"`, `${type}; charset=latin1`, `${type}; charset=utf-16`, ` ${type} `]
        return fc.constantFrom(...spellings).map((contentType) => ({ kind: 'text', contentType, text: json(value) }))
      }),
    )
    const undocumented = fc.tuple(valueOf(first), fc.option(fc.constantFrom(...UNDOCUMENTED_TYPES), { nil: undefined })).map(
      ([value, contentType]): BodyCase => ({ kind: 'bytes', contentType, bytes: [...new TextEncoder().encode(json(value))] }),
    )
    const malformed = fc.constantFrom(...BAD_JSON, DEEP_JSON).map((text): BodyCase => ({ kind: 'text', contentType: 'application/json', text }))
    const notUtf8 = fc
      .tuple(valueOf(first), fc.constantFrom(...BAD_UTF8), fc.constantFrom('application/json', 'application/x-www-form-urlencoded'))
      .map(([value, bad, contentType]): BodyCase => {
        const text = contentType === 'application/json' ? json(value) : encodePairs(textPairs(value))
        const bytes = [...new TextEncoder().encode(text)]
        const at = Math.max(0, bytes.lastIndexOf(0x22)) // inside the last string, when there is one
        return { kind: 'bytes', contentType, bytes: [...bytes.slice(0, at), ...bad, ...bytes.slice(at)] }
      })
    const empty = fc.constantFrom<BodyCase | undefined>(undefined, { kind: 'text', contentType: 'application/json', text: '' }, { kind: 'multipart', fields: [] })
    const brokenMultipart = fc.constantFrom<BodyCase>(
      { kind: 'text', contentType: 'multipart/form-data; boundary=x', text: 'not multipart at all' },
      { kind: 'text', contentType: 'multipart/form-data; boundary=x', text: '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nAlice' },
      { kind: 'text', contentType: 'multipart/form-data', text: '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nAlice\r\n--x--' },
    )
    return fc.oneof(
      { weight: 10, arbitrary: documented },
      { weight: 2, arbitrary: undocumented },
      { weight: 2, arbitrary: malformed },
      { weight: 1, arbitrary: notUtf8 },
      { weight: 1, arbitrary: empty },
      { weight: 1, arbitrary: brokenMultipart },
    )
  }

  /** A method the path does not serve as an operation (HEAD, OPTIONS, PUT, TRACE, `FOO`…), with some input. */
  function otherMethod(path: string, served: string[], methods: readonly string[]): fc.Arbitrary<HttpCase> {
    const names = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!)
    const params = fc.record(Object.fromEntries(names.map((name) => [name, pathValue({ name, in: 'path', schema: { type: 'string' } })])))
    const method = fc.constantFrom(...methods.filter((name) => !served.includes(name)))
    const body = fc.option(fc.constantFrom<BodyCase>({ kind: 'text', contentType: 'application/json', text: '{"name":"Alice"}' }, { kind: 'text', contentType: 'text/plain', text: 'x' }), { nil: undefined })
    return fc
      .record({ method, params, query: queryOf([]), body })
      .map((c) => (c.method === 'GET' || c.method === 'HEAD' ? { ...c, body: undefined } : c))
  }

  return { conforming, mutated, request, otherMethod }
}

function formDataOf(fields: [string, FieldValue][]): FormData {
  const form = new FormData()
  for (const [name, value] of fields) {
    if (typeof value === 'string') form.append(name, value)
    else form.append(name, new File([value.bytes ? new Uint8Array(value.bytes) : (value.text ?? '')], value.file, { type: value.type }))
  }
  return form
}

/** The Request a client would send for `c` to the document path `path` (`/api/users/{id}`). */
export function toRequest(path: string, c: HttpCase): Request {
  const url = `http://localhost${path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeComponent(c.params[name] ?? ''))}${c.query ? `?${c.query}` : ''}`
  const headers = new Headers()
  let body: BodyInit | undefined
  if (c.body?.kind === 'multipart') {
    body = formDataOf(c.body.fields)
  } else if (c.body) {
    body = c.body.kind === 'text' ? new TextEncoder().encode(c.body.text) : new Uint8Array(c.body.bytes)
    if (c.body.contentType !== undefined) headers.set('content-type', c.body.contentType)
  }
  return new Request(url, { method: c.method, headers, body })
}

/** One call of a form Server Action, with arguments a form would never send. */
export interface ActionCall {
  previous: unknown
  /** Form fields (plus `bulk`: one name repeated thousands of times), or anything else as the second argument. */
  second: { fields: [string, FieldValue][]; bulk?: { name: string; count: number } } | { other: unknown }
  /** Call with the FormData alone, as a plain `<form action>` does. */
  only?: boolean
}

export function actionCallOf(fields: readonly string[], examples: Examples = {}): fc.Arbitrary<ActionCall> {
  const value = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.constantFrom(...ODD_TEXT, ...NUMBER_TEXT),
    fc.constantFrom(...fields.flatMap((field) => examples[field] ?? []), 'Alice', 'ada@example.com', ''),
    fc.constant('x'.repeat(100_000)),
  )
  const file = fc.constant<FieldValue>({ file: 'name.txt', type: 'text/plain', text: 'Alice' })
  const name = fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...fields) },
    { weight: 3, arbitrary: fc.constantFrom(...fields.flatMap((field) => [`${field}[]`, `${field}[0]`, `${field}.x`, `${field}[__proto__]`, `${field}[length]`, `${field}[1001]`])) },
    {
      weight: 3,
      arbitrary: fc.constantFrom('__proto__', '__proto__[polluted]', '__proto__.polluted', 'constructor[prototype][polluted]', 'x[length]', '', '$ACTION_ID_1', '$ACTION_REF_1', 'password', 'a'.repeat(1001), 'x[99999999999]'),
    },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 20 }).map((depth) => `a${'[b]'.repeat(depth)}`) },
  )
  const form = fc.record(
    {
      fields: fc.array(fc.tuple(name, fc.oneof({ weight: 9, arbitrary: value }, { weight: 1, arbitrary: file })), { maxLength: 6 }),
      bulk: fc.oneof(
        { weight: 4, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.record({ name: fc.constantFrom('f', 'a[b]', 'x[]', ...fields), count: fc.integer({ min: 500, max: 3000 }) }) },
      ),
    },
    { noNullPrototype: true },
  )
  const other = fc.constantFrom<unknown>(
    undefined, null, '', 'name=Alice', 0, Number.NaN, true, {}, { name: 'Alice' }, [], [['name', 'Alice']], Object.create(null),
    new URLSearchParams('name=Alice'), new Map([['name', 'Alice']]), new Blob(['name=Alice']), { entries: () => [['name', 'Alice']], get: () => 'Alice' },
  )
  const previous = fc.constantFrom<unknown>({ status: 'idle' }, undefined, null, 'x', { status: 'error', code: 'INTERNAL' }, [])
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ previous, second: form, only: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ previous, second: fc.record({ other }) }) },
  )
}

/** The FormData of an action call's fields, the bulk ones appended after them. */
export function actionForm(second: { fields: [string, FieldValue][]; bulk?: { name: string; count: number } }): FormData {
  const form = formDataOf(second.fields)
  for (let i = 0; i < (second.bulk?.count ?? 0); i++) form.append(second.bulk!.name, String(i))
  return form
}
