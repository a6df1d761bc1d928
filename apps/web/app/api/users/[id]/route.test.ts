import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { users } from '@/server/db/schema'
import { call } from '@/test/support/http'
import { setupTestDatabase } from '@/test/support/database'
import * as collection from '../route'
import * as route from './route'

const database = setupTestDatabase()
const MISSING = '00000000-0000-4000-8000-000000000000'

async function addUser(name: string, email?: string) {
  const answer = await call(collection.POST, { method: 'POST', json: { name, ...(email ? { email } : {}) } })
  return (answer.body as { user: { id: string; updatedAt: string } }).user
}
const row = async (id: string) => (await database().db.select().from(users).where(eq(users.id, id)))[0]

describe('/api/users/{id}', () => {
  it('GET answers the user', async () => {
    const { id } = await addUser('Alice', 'alice@example.com')
    const answer = await call(route.GET, { params: { id } })
    expect(answer).toMatchObject({ status: 200, body: { id, name: 'Alice', email: 'alice@example.com', door: 'route' } })
  })

  it.each([
    { method: 'GET', id: MISSING },
    { method: 'GET', id: 'not-a-uuid' },
    { method: 'PATCH', id: MISSING, json: { name: 'X' } },
    { method: 'DELETE', id: MISSING },
    { method: 'DELETE', id: "1' or '1'='1" },
  ] as const)('$method of unknown id $id → 404', async ({ method, id, ...rest }) => {
    const answer = await call(route[method], { method, params: { id }, ...rest })
    expect(answer.status).toBe(404)
    expect(answer.body).toMatchObject({ code: 'NOT_FOUND', detail: `No user with id ${id}.` })
  })

  it('PATCH renames, validates like create, and moves updatedAt', async () => {
    const created = await addUser('Alice')
    const answer = await call(route.PATCH, { method: 'PATCH', params: { id: created.id }, json: { name: '  Alicia ' } })
    expect(answer).toMatchObject({ status: 200, body: { message: 'User Alicia updated', user: { id: created.id, name: 'Alicia' } } })
    const stored = await row(created.id)
    expect(stored?.name).toBe('Alicia')
    expect(stored!.updatedAt.getTime()).toBeGreaterThanOrEqual(new Date(created.updatedAt).getTime())
  })

  it.each([
    { name: 'blank name', json: { name: ' ' }, path: 'name' },
    { name: 'nothing to change', json: {}, path: '' },
    { name: 'invalid email', json: { email: 'nope' }, path: 'email' },
  ])('PATCH with $name → 422 and the row unchanged', async ({ json, path }) => {
    const { id } = await addUser('Alice')
    const answer = await call(route.PATCH, { method: 'PATCH', params: { id }, json })
    expect(answer.status).toBe(422)
    expect(answer.body).toMatchObject({ issues: [expect.objectContaining({ path })] })
    expect((await row(id))?.name).toBe('Alice')
  })

  it('PATCH to an email another user has → 409; null clears an email', async () => {
    await addUser('Ada', 'ada@example.com')
    const { id } = await addUser('Bob', 'bob@example.com')
    const taken = await call(route.PATCH, { method: 'PATCH', params: { id }, json: { email: 'Ada@Example.com' } })
    expect(taken).toMatchObject({ status: 409, body: { code: 'EMAIL_TAKEN', issues: [{ path: 'email' }] } })
    expect((await row(id))?.email).toBe('bob@example.com')
    const cleared = await call(route.PATCH, { method: 'PATCH', params: { id }, json: { email: null } })
    expect(cleared.status).toBe(200)
    expect((await row(id))?.email).toBeNull()
  })

  it('the id in the path wins over an id in the body', async () => {
    const alice = await addUser('Alice')
    const bob = await addUser('Bob')
    await call(route.PATCH, { method: 'PATCH', params: { id: alice.id }, json: { id: bob.id, name: 'Renamed' } })
    expect((await row(alice.id))?.name).toBe('Renamed')
    expect((await row(bob.id))?.name).toBe('Bob')
  })

  it('DELETE answers 204 with no body and removes the row; a second DELETE is 404', async () => {
    const { id } = await addUser('Alice')
    const answer = await call(route.DELETE, { method: 'DELETE', params: { id } })
    expect(answer).toMatchObject({ status: 204, body: null })
    expect(await row(id)).toBeUndefined()
    expect((await call(route.DELETE, { method: 'DELETE', params: { id } })).status).toBe(404)
  })

  it.each(['POST', 'PUT'] as const)('%s → 405 with Allow', async (method) => {
    const answer = await call(route[method], { method, params: { id: MISSING } })
    expect(answer.status).toBe(405)
    expect(answer.headers.get('allow')).toBe('GET, PATCH, DELETE, HEAD, OPTIONS')
  })
})
