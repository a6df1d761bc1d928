import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requestJson, type ApiUser } from './api'
import { startServer, type Server } from './server'

// The API door seen from outside the browser: the documented request and its answers, over real HTTP.

let server: Server

beforeAll(async () => {
  server = await startServer()
})

afterAll(async () => {
  await server?.stop()
})

describe('POST /api/addUser', () => {
  it('{"name":"Alice"} → 201 with the message, the user and a Location that serves it', async () => {
    const response = await fetch(`${server.url}/api/addUser`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Alice' }),
    })
    const body = (await response.json()) as { message: string; user: ApiUser }

    expect(response.status).toBe(201)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(body.message).toBe('User Alice added via API route')
    expect(body.user).toMatchObject({ name: 'Alice', email: null, door: 'route' })
    expect(body.user.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    expect(response.headers.get('location')).toBe(`/api/users/${body.user.id}`)

    const located = await requestJson<ApiUser>(new URL(response.headers.get('location')!, server.url).href)
    expect(located.status, 'GET <Location>').toBe(200)
    expect(located.body).toEqual(body.user)
  })
})

describe('errors are problem+json with the right status', () => {
  const cases: {
    title: string
    request: () => Promise<Response>
    status: number
    code: string
    issues?: { path: string; message: string | RegExp }[]
  }[] = [
    {
      title: 'blank name → 422 with the field error',
      request: () => post('/api/addUser', JSON.stringify({ name: '   ' })),
      status: 422,
      code: 'VALIDATION_FAILED',
      issues: [{ path: 'name', message: 'Name is required' }],
    },
    {
      title: 'email already used (other case) → 409 with the field error',
      request: async () => {
        const first = await post('/api/addUser', JSON.stringify({ name: 'Owner', email: 'taken@example.com' }))
        expect(first.status, 'the first user with that email').toBe(201)
        return post('/api/addUser', JSON.stringify({ name: 'Copycat', email: 'Taken@Example.COM' }))
      },
      status: 409,
      code: 'EMAIL_TAKEN',
      issues: [{ path: 'email', message: /already used/ }],
    },
    {
      title: 'malformed JSON → 400',
      request: () => post('/api/addUser', '{"name": '),
      status: 400,
      code: 'BAD_REQUEST',
    },
    {
      title: 'GET /api/users/<unknown id> → 404',
      request: () => fetch(`${server.url}/api/users/${randomUUID()}`),
      status: 404,
      code: 'NOT_FOUND',
    },
  ]

  function post(path: string, body: string): Promise<Response> {
    return fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  }

  for (const { title, request, status, code, issues } of cases) {
    it(title, async () => {
      const response = await request()
      const problem = (await response.json()) as { status: number; code: string; issues?: { path: string; message: string }[] }
      expect(response.status).toBe(status)
      expect(response.headers.get('content-type')).toBe('application/problem+json')
      expect(problem).toMatchObject({ status, code })
      if (issues) {
        expect(problem.issues).toEqual(issues.map(({ path, message }) => ({ path, message: typeof message === 'string' ? message : expect.stringMatching(message) })))
      }
    })
  }
})
