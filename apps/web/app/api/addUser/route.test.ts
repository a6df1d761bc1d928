import { describe, expect, it } from 'vitest'
import { users } from '@/server/db/schema'
import { call, type RequestSpec } from '@/test/support/http'
import { setupTestDatabase } from '@/test/support/database'
import * as route from './route'

const database = setupTestDatabase()
const rows = () => database().db.select().from(users)

const problem = (status: number, code: string, paths: string[] = []) => ({
  status,
  body: expect.objectContaining({ status, code, ...(paths.length ? { issues: paths.map((path) => expect.objectContaining({ path })) } : {}) }),
  rows: 0,
})

const cases: { name: string; request: RequestSpec; expected: { status: number; body: unknown; rows: number; stored?: object } }[] = [
  {
    name: 'the canonical example',
    request: { method: 'POST', json: { name: 'Alice' } },
    expected: {
      status: 201,
      body: { message: 'User Alice added via API route', user: expect.objectContaining({ name: 'Alice', email: null, door: 'route' }) },
      rows: 1,
      stored: { name: 'Alice', email: null, door: 'route' },
    },
  },
  {
    name: 'trims the name, normalizes it to NFC and lower-cases the email',
    request: { method: 'POST', json: { name: '  Ame\u0301lie  ', email: 'Amelie@Example.COM' } },
    expected: { status: 201, body: expect.objectContaining({ message: 'User Amélie added via API route' }), rows: 1, stored: { name: 'Amélie', email: 'amelie@example.com' } },
  },
  {
    name: 'counts characters, not UTF-16 units: 100 emoji fit',
    request: { method: 'POST', json: { name: '😀'.repeat(100) } },
    expected: { status: 201, body: expect.objectContaining({ user: expect.objectContaining({ name: '😀'.repeat(100) }) }), rows: 1 },
  },
  {
    name: 'reads urlencoded forms too',
    request: { method: 'POST', body: 'name=Zo%C3%AB', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    expected: { status: 201, body: expect.objectContaining({ message: 'User Zoë added via API route' }), rows: 1 },
  },
  { name: 'blank name', request: { method: 'POST', json: { name: '   ' } }, expected: problem(422, 'VALIDATION_FAILED', ['name']) },
  { name: 'missing name', request: { method: 'POST', json: {} }, expected: problem(422, 'VALIDATION_FAILED', ['name']) },
  { name: 'name of 101 characters', request: { method: 'POST', json: { name: 'x'.repeat(101) } }, expected: problem(422, 'VALIDATION_FAILED', ['name']) },
  { name: 'name with a line break', request: { method: 'POST', json: { name: 'Al\nice' } }, expected: problem(422, 'VALIDATION_FAILED', ['name']) },
  ...[
    ['only a zero-width space', '\u200B'],
    ['only a braille blank', '\u2800'],
    ['only a Hangul filler', '\u3164'],
    ['a right-to-left override', 'Ali\u202Ece'],
    ['a line separator', 'Ali\u2028ce'],
    ['a lone surrogate', 'Ali\uD800ce'],
    ['a NUL', 'Ali\u0000ce'],
  ].map(([what, name]) => ({ name: `name with ${what}`, request: { method: 'POST', json: { name } }, expected: problem(422, 'VALIDATION_FAILED', ['name']) })),
  {
    name: 'a name with a zero-width joiner inside an emoji is fine',
    request: { method: 'POST', json: { name: 'Ada \u{1F469}\u200D\u{1F4BB}' } },
    expected: { status: 201, body: expect.objectContaining({ message: 'User Ada \u{1F469}\u200D\u{1F4BB} added via API route' }), rows: 1 },
  },
  { name: 'an email with a Kelvin sign (U+212A) is not folded into k', request: { method: 'POST', json: { name: 'Kay', email: '\u212Aay@example.com' } }, expected: problem(422, 'VALIDATION_FAILED', ['email']) },
  { name: 'an email with spaces around it (the documented pattern has none)', request: { method: 'POST', json: { name: 'Bob', email: ' bob@example.com ' } }, expected: problem(422, 'VALIDATION_FAILED', ['email']) },
  { name: 'an email with a one-letter top-level domain', request: { method: 'POST', json: { name: 'Bob', email: 'a@b.c' } }, expected: problem(422, 'VALIDATION_FAILED', ['email']) },
  { name: 'a +json media type (not documented)', request: { method: 'POST', body: '{"name":"Alice"}', headers: { 'content-type': 'application/vnd.api+json' } }, expected: problem(415, 'UNSUPPORTED_MEDIA_TYPE') },
  { name: 'a field name of 100,000 brackets', request: { method: 'POST', body: `name=Alice&${'['.repeat(100_000)}=x`, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, expected: problem(400, 'BAD_REQUEST') },
  {
    name: 'a form posted from another site (CSRF)',
    request: { method: 'POST', body: 'name=Mallory', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example', host: 'localhost' } },
    expected: problem(403, 'CROSS_SITE_REQUEST'),
  },
  { name: 'name that is not text', request: { method: 'POST', json: { name: 42 } }, expected: problem(422, 'VALIDATION_FAILED', ['name']) },
  { name: 'invalid email', request: { method: 'POST', json: { name: 'Bob', email: 'bob@' } }, expected: problem(422, 'VALIDATION_FAILED', ['email']) },
  { name: 'a JSON array instead of an object', request: { method: 'POST', json: ['Alice'] }, expected: problem(422, 'VALIDATION_FAILED') },
  { name: 'an empty body', request: { method: 'POST', headers: { 'content-type': 'application/json' } }, expected: problem(422, 'VALIDATION_FAILED', ['name']) },
  { name: 'malformed JSON', request: { method: 'POST', body: '{"name":', headers: { 'content-type': 'application/json' } }, expected: problem(400, 'BAD_REQUEST') },
  { name: 'plain text', request: { method: 'POST', body: 'Alice', headers: { 'content-type': 'text/plain' } }, expected: problem(415, 'UNSUPPORTED_MEDIA_TYPE') },
  {
    name: 'a body over 1 MB',
    request: { method: 'POST', json: { name: 'Alice', padding: 'x'.repeat(1024 * 1024) } },
    expected: problem(413, 'PAYLOAD_TOO_LARGE'),
  },
]

describe('POST /api/addUser', () => {
  it.each(cases)('$name → $expected.status', async ({ request, expected }) => {
    const answer = await call(route.POST, { path: '/api/addUser', ...request })
    expect(answer.status).toBe(expected.status)
    expect(answer.body).toEqual(expected.body)
    expect(answer.headers.get('content-type')).toBe(expected.status < 400 ? 'application/json' : 'application/problem+json')
    const stored = await rows()
    expect(stored).toHaveLength(expected.rows)
    if (expected.stored) expect(stored[0]).toMatchObject(expected.stored)
  })

  it('points Location at the new user', async () => {
    const answer = await call(route.POST, { method: 'POST', json: { name: 'Alice' } })
    const { user } = answer.body as { user: { id: string } }
    expect(answer.headers.get('location')).toBe(`/api/users/${user.id}`)
  })

  it('answers 409 on an email already taken, whatever its case, and stores nothing', async () => {
    await call(route.POST, { method: 'POST', json: { name: 'Ada', email: 'ada@example.com' } })
    const answer = await call(route.POST, { method: 'POST', json: { name: 'Ada Two', email: 'ADA@example.com' } })
    expect(answer).toMatchObject({
      status: 409,
      body: { code: 'EMAIL_TAKEN', issues: [{ path: 'email', message: 'This email is already used by another user' }] },
    })
    expect(await rows()).toHaveLength(1)
  })

  it.each(['GET', 'PUT', 'PATCH', 'DELETE'] as const)('answers %s with 405 and Allow: POST', async (method) => {
    const answer = await call(route[method], { method })
    expect(answer.status).toBe(405)
    expect(answer.headers.get('allow')).toBe('POST, OPTIONS')
    expect(answer.body).toMatchObject({ code: 'METHOD_NOT_ALLOWED' })
  })
})
