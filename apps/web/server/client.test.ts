import { createClient } from 'actionroute/client'
import { router, type HttpMethod } from 'actionroute'
import { describe, expect, it } from 'vitest'
import { users } from '@/server/db/schema'
import { setupTestDatabase } from '@/test/support/database'
import { api } from './api'

// The typed client against the app's own operations and database (PGlite and PostgreSQL projects):
// its fetch hands each request to the route handlers of the paths table, as Next would.
const database = setupTestDatabase()
const handlers = router(api)
const client = createClient<typeof api>({
  baseUrl: 'http://directory.test',
  fetch: (request) => handlers[request.method as HttpMethod](request, { params: Promise.resolve({}) }),
})

describe('createClient<typeof api>() on the User Directory', () => {
  it('adds, reads, lists, renames and deletes a user, each typed from the table', async () => {
    const added = await client.POST('/api/addUser', { body: { name: 'Alice' } })
    if (!added.ok) throw new Error(added.error.detail)
    expect(added.data.message).toBe('User Alice added via API route')
    expect(added.response.headers.get('location')).toBe(`/api/users/${added.data.user.id}`)

    const { id } = added.data.user
    expect(await client.GET('/api/users/{id}', { params: { id } })).toMatchObject({ ok: true, data: { name: 'Alice', door: 'route' } })
    expect(await client.GET('/api/users', { query: { q: 'ali', limit: 5 } })).toMatchObject({ ok: true, data: { users: [{ id }] } })
    expect(await client.PATCH('/api/users/{id}', { params: { id }, body: { name: 'Alicia' } })).toMatchObject({
      ok: true,
      data: { message: 'User Alicia updated' },
    })
    expect(await client.DELETE('/api/users/{id}', { params: { id } })).toMatchObject({ ok: true, status: 204 })
    expect(await database().db.select().from(users)).toEqual([])
  })

  it('returns the API’s problems with their codes and field paths', async () => {
    await client.POST('/api/users', { body: { name: 'Ada', email: 'ada@example.com' } })
    const taken = await client.POST('/api/users', { body: { name: 'Ada Again', email: 'ADA@example.com' } })
    expect(taken).toMatchObject({ ok: false, status: 409, error: { code: 'EMAIL_TAKEN', issues: [{ path: 'email' }] } })
    const blank = await client.POST('/api/addUser', { body: { name: '   ' } })
    expect(blank).toMatchObject({ ok: false, status: 422, error: { code: 'VALIDATION_FAILED', issues: [{ path: 'name', message: 'Name is required' }] } })
    const missing = await client.GET('/api/users/{id}', { params: { id: '00000000-0000-4000-8000-000000000000' } })
    expect(missing).toMatchObject({ ok: false, status: 404, error: { code: 'NOT_FOUND' } })
    expect(await database().db.select().from(users)).toHaveLength(1)
  })
})
