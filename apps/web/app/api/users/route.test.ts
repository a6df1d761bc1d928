import { describe, expect, it } from 'vitest'
import { users } from '@/server/db/schema'
import { call } from '@/test/support/http'
import { setupTestDatabase } from '@/test/support/database'
import { encodeCursor } from '@/server/users/cursor'
import * as route from './route'

const database = setupTestDatabase()

interface Page {
  users: { id: string; name: string }[]
  nextCursor: string | null
  prevCursor: string | null
}

/** Inserts users one second apart, oldest first, so "newest first" has one right answer. */
async function seed(names: string[], at: (index: number) => Date = (index) => new Date(Date.UTC(2026, 0, 1, 0, 0, index))) {
  await database().db.insert(users).values(names.map((name, index) => ({ name, door: 'route' as const, createdAt: at(index) })))
}

const list = async (query: string) => {
  const answer = await call(route.GET, { path: `/api/users?${query}` })
  expect(answer.status).toBe(200)
  return answer.body as Page
}
const names = (page: Page) => page.users.map((user) => user.name)
const cursorOf = (createdAt: string) => encodeCursor({ direction: 'next', createdAt, id: '6f1c1c1e-8d5b-4a55-9a55-0d1f3a3b0001' })

describe('GET /api/users', () => {
  it('lists newest first and walks pages forward and back with opaque cursors', async () => {
    const all = Array.from({ length: 25 }, (_, i) => `User ${String(i + 1).padStart(2, '0')}`)
    await seed(all)
    const newestFirst = [...all].reverse()

    const first = await list('limit=10')
    expect(names(first)).toEqual(newestFirst.slice(0, 10))
    expect(first.prevCursor).toBeNull()

    const second = await list(`limit=10&cursor=${first.nextCursor}`)
    expect(names(second)).toEqual(newestFirst.slice(10, 20))

    const third = await list(`limit=10&cursor=${second.nextCursor}`)
    expect(names(third)).toEqual(newestFirst.slice(20))
    expect(third.nextCursor).toBeNull()

    const backToSecond = await list(`limit=10&cursor=${third.prevCursor}`)
    expect(names(backToSecond)).toEqual(newestFirst.slice(10, 20))
    const backToFirst = await list(`limit=10&cursor=${backToSecond.prevCursor}`)
    expect(names(backToFirst)).toEqual(newestFirst.slice(0, 10))
    expect(backToFirst.prevCursor).toBeNull()
  })

  it('pages through rows created in the same millisecond without losing or repeating one', async () => {
    const sameInstant = new Date('2026-01-01T00:00:00.000Z')
    const all = Array.from({ length: 23 }, (_, i) => `Tied ${i}`)
    await seed(all, () => sameInstant)
    const seen: string[] = []
    let cursor = ''
    for (let pages = 0; pages < 10; pages++) {
      const page = await list(`limit=5${cursor ? `&cursor=${cursor}` : ''}`)
      seen.push(...names(page))
      if (!page.nextCursor) break
      cursor = page.nextCursor
    }
    expect(seen.toSorted()).toEqual(all.toSorted())
  })

  it('defaults to 20 per page', async () => {
    await seed(Array.from({ length: 21 }, (_, i) => `U${i}`))
    const page = await list('')
    expect(page.users).toHaveLength(20)
    expect(page.nextCursor).not.toBeNull()
  })

  it.each([
    { q: 'ali', expected: ['Alison', 'Alice'] },
    { q: 'ALI', expected: ['Alison', 'Alice'] },
    { q: '100%', expected: ['100% Bob'] },
    { q: '_', expected: ['snake_case'] },
    { q: 'nobody', expected: [] },
  ])('searches names with q=$q', async ({ q, expected }) => {
    await seed(['Alice', 'Bob', '100% Bob', 'snake_case', 'Alison'])
    expect(names(await list(`q=${encodeURIComponent(q)}`))).toEqual(expected)
  })

  it.each([
    { query: 'limit=0', path: 'limit' },
    { query: 'limit=101', path: 'limit' },
    { query: 'limit=ten', path: 'limit' },
    { query: 'limit=2.5', path: 'limit' },
    { query: 'cursor=not-a-cursor', path: 'cursor' },
    { query: `q=${'x'.repeat(101)}`, path: 'q' },
    // Each of these once reached PostgreSQL and came back as a 500.
    { query: 'limit=0x10', path: 'limit' },
    { query: 'limit=1e1', path: 'limit' },
    { query: 'q=%00', path: 'q' },
    { query: `cursor=${cursorOf('2020-02-30T00:00:00.000Z')}`, path: 'cursor' },
    { query: `cursor=${cursorOf('+275760-09-13T00:00:00.000Z')}`, path: 'cursor' },
    { query: `cursor=${cursorOf('2026-01-01')}`, path: 'cursor' },
  ])('answers 422 for $query', async ({ query, path }) => {
    const answer = await call(route.GET, { path: `/api/users?${query}` })
    expect(answer.status).toBe(422)
    expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED', issues: [expect.objectContaining({ path })] })
  })

  it('POST /api/users adds a user like /api/addUser', async () => {
    const answer = await call(route.POST, { method: 'POST', json: { name: 'Alice' } })
    expect(answer).toMatchObject({ status: 201, body: { message: 'User Alice added via API route' } })
    expect(names(await list(''))).toEqual(['Alice'])
  })

  it('answers a repeated name used as a group with 400, not a RangeError (query and body)', async () => {
    const query = await call(route.GET, { path: '/api/users?x=1&x=2&x%5Blength%5D=0' })
    expect(query).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } })
    const body = await call(route.POST, {
      method: 'POST',
      body: 'name=ok&x=1&x=2&x[length]=0',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(body).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } })
    expect(names(await list(''))).toEqual([])
  })

  it('answers a query that is not UTF-8 with 400, instead of searching for U+FFFD', async () => {
    expect(await call(route.GET, { path: '/api/users?q=%FF' })).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } })
  })

  it('answers OPTIONS and HEAD from the same table as Allow', async () => {
    const options = await call(route.OPTIONS, { method: 'OPTIONS' })
    expect({ status: options.status, allow: options.headers.get('allow') }).toEqual({ status: 204, allow: 'GET, POST, HEAD, OPTIONS' })
    const head = await call(route.HEAD, { method: 'HEAD', path: '/api/users' })
    expect({ status: head.status, body: head.body, type: head.headers.get('content-type') }).toEqual({ status: 200, body: null, type: 'application/json' })
  })

  it('answers PUT with 405 and the allowed methods', async () => {
    const answer = await call(route.PUT, { method: 'PUT' })
    expect(answer.status).toBe(405)
    expect(answer.headers.get('allow')).toBe('GET, POST, HEAD, OPTIONS')
  })
})
