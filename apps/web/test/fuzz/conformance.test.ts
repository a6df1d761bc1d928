import { describe, expect, it } from 'vitest'
import { openapiDocument } from '@/server/api'
import { toRequest, type HttpCase } from './arbitraries'
import { conformance, type Rule } from './conformance'
import { operationOf, type Document } from './document'

// The fuzz suite's checks, shown to fail: each rule fires on a response or request made to break it,
// and stays quiet on a good one. A check that cannot fail would let the fuzz pass whatever the server does.

const doc = openapiDocument as unknown as Document
const { verdictOf, judge, checkResponse } = conformance(doc)

const user = { id: '6f1c1c1e-8d5b-4a55-9a55-0d1f3a3b0001', name: 'Alice', email: null, door: 'route', createdAt: '2026-01-01T00:00:01.000Z', updatedAt: '2026-01-01T00:00:01.000Z', avatarEtag: null }
const created = { message: 'User Alice added via API route', user }
const json = (body: unknown, status: number, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })
const problem = (status: number, code: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ type: `urn:x:${code}`, title: 'x', status, detail: 'x', code }), { status, headers: { 'content-type': 'application/problem+json', ...headers } })
const post: HttpCase = { method: 'POST', params: {}, query: '', body: { kind: 'text', contentType: 'application/json', text: '{"name":"Alice"}' } }

describe('checkResponse', () => {
  it.each<{ name: string; path: string; c: HttpCase; response: Response; rules: Rule[] }>([
    { name: 'a documented 201', path: '/api/addUser', c: post, response: json(created, 201, { location: `/api/users/${user.id}` }), rules: [] },
    { name: 'a 500', path: '/api/addUser', c: post, response: problem(500, 'INTERNAL'), rules: ['server error'] },
    { name: 'an undocumented status', path: '/api/addUser', c: post, response: problem(418, 'TEAPOT'), rules: ['undocumented status'] },
    { name: 'the wrong content-type', path: '/api/addUser', c: post, response: new Response(JSON.stringify(created), { status: 201, headers: { 'content-type': 'text/html', location: '/x' } }), rules: ['undocumented content-type'] },
    { name: 'a body off its schema', path: '/api/addUser', c: post, response: json({ message: 'x' }, 201, { location: '/x' }), rules: ['body does not match the documented schema'] },
    { name: 'a problem off its schema', path: '/api/addUser', c: post, response: json({ code: 'X' }, 422), rules: ['undocumented content-type'] },
    { name: 'a problem with another status inside', path: '/api/addUser', c: post, response: problem(422, 'BAD_REQUEST'), rules: ['body does not match the documented schema'] },
    { name: 'no Location on a 201', path: '/api/addUser', c: post, response: json(created, 201), rules: ['missing documented header'] },
    { name: 'a 204 that claims a body', path: '/api/users/{id}', c: { method: 'DELETE', params: { id: user.id }, query: '' }, response: new Response(null, { status: 204, headers: { 'content-type': 'application/json' } }), rules: ['undocumented content-type'] },
    { name: 'HEAD with a body', path: '/api/users', c: { method: 'HEAD', params: {}, query: '' }, response: json({ users: [], nextCursor: null, prevCursor: null }, 200), rules: ['body does not match the documented schema'] },
    { name: 'a 405 with its Allow', path: '/api/addUser', c: { method: 'PUT', params: {}, query: '' }, response: problem(405, 'METHOD_NOT_ALLOWED', { allow: 'POST, OPTIONS' }), rules: [] },
    { name: 'a 200 to an unserved method', path: '/api/addUser', c: { method: 'PUT', params: {}, query: '' }, response: json({}, 200, { allow: 'POST, OPTIONS' }), rules: ['undocumented method answer', 'undocumented content-type', 'body does not match the documented schema'] },
    { name: 'an Allow that lies', path: '/api/addUser', c: { method: 'OPTIONS', params: {}, query: '' }, response: new Response(null, { status: 204, headers: { allow: 'GET, POST, OPTIONS' } }), rules: ['missing documented header'] },
  ])('$name', async ({ path, c, response, rules }) => {
    const { problems } = await checkResponse(path, toRequest(path, c), response)
    expect(problems.map((found) => found.rule)).toEqual(rules)
  })
})

describe('verdictOf and judge', () => {
  const addUser = operationOf(doc, '/api/addUser', 'POST')!
  const listUsers = operationOf(doc, '/api/users', 'GET')!
  const body = (contentType: string | undefined, text: string): HttpCase => ({ method: 'POST', params: {}, query: '', body: { kind: 'text', contentType, text } })
  const query = (q: string): HttpCase => ({ method: 'GET', params: {}, query: q })

  it.each<{ name: string; c: HttpCase; expected: 'accept' | 'reject' | 'any' }>([
    { name: 'the canonical example', c: post, expected: 'accept' },
    { name: 'a missing required field', c: body('application/json', '{}'), expected: 'reject' },
    { name: 'a field of the wrong type', c: body('application/json', '{"name":5}'), expected: 'reject' },
    { name: 'a lone surrogate', c: body('application/json', '{"name":"\\ud800"}'), expected: 'reject' },
    { name: 'an undocumented media type', c: body('application/vnd.foo+json', '{"name":"Alice"}'), expected: 'reject' },
    { name: 'no media type', c: body(undefined, '{"name":"Alice"}'), expected: 'reject' },
    { name: 'a charset other than UTF-8', c: body('application/json; charset=latin1', '{"name":"Alice"}'), expected: 'reject' },
    { name: 'bad JSON', c: body('application/json', '{"name":'), expected: 'reject' },
    { name: 'bytes that are not UTF-8', c: { ...post, body: { kind: 'bytes', contentType: 'application/json', bytes: [0x7b, 0x22, 0xff, 0x22, 0x7d] } }, expected: 'reject' },
    { name: 'a form', c: body('application/x-www-form-urlencoded', 'name=Alice&email='), expected: 'accept' },
    { name: 'a form field escaped past UTF-8', c: body('application/x-www-form-urlencoded', 'name=%FF'), expected: 'reject' },
    { name: 'nested form names', c: body('application/x-www-form-urlencoded', 'name=Alice&x=1&x[a]=2'), expected: 'any' },
    { name: 'multipart', c: { method: 'POST', params: {}, query: '', body: { kind: 'multipart', fields: [['name', 'Alice']] } }, expected: 'accept' },
    { name: 'a file for a text field', c: { method: 'POST', params: {}, query: '', body: { kind: 'multipart', fields: [['name', { file: 'a.txt', type: 'text/plain', text: 'Alice' }]] } }, expected: 'reject' },
  ])('addUser: $name → $expected', async ({ c, expected }) => {
    expect((await verdictOf(addUser, toRequest('/api/addUser', c), c.params)).expect).toBe(expected)
  })

  it.each([
    { q: '', expected: 'accept' },
    { q: 'limit=16&q=Ali', expected: 'accept' },
    { q: 'limit=0x10', expected: 'reject' },
    { q: 'limit=%205%20', expected: 'reject' },
    { q: 'limit=101', expected: 'reject' },
    { q: 'limit=1e1', expected: 'any' },
    { q: 'limit=1&limit=2', expected: 'reject' },
    { q: 'q=%00', expected: 'reject' },
    { q: 'q=%FF', expected: 'reject' },
    { q: 'x=%FF', expected: 'any' },
    { q: 'unknown=1', expected: 'accept' },
  ])('listUsers: ?$q → $expected', async ({ q, expected }) => {
    expect((await verdictOf(listUsers, toRequest('/api/users', query(q)), {})).expect).toBe(expected)
  })

  it('judges refusals of accepted requests and acceptance of refused ones', () => {
    expect(judge({ expect: 'accept', why: '' }, 422, null).map((found) => found.rule)).toEqual(['refused a request the document accepts'])
    expect(judge({ expect: 'reject', why: '' }, 201, null).map((found) => found.rule)).toEqual(['accepted a request the document refuses'])
    expect(judge({ expect: 'accept', why: '' }, 404, null)).toEqual([])
    expect(judge({ expect: 'reject', why: '' }, 415, null)).toEqual([])
    expect(judge({ expect: 'any', why: '' }, 400, null)).toEqual([])
  })
})
