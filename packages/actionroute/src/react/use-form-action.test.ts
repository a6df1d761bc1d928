import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { base, IDEMPOTENCY_FIELD, idempotency, memoryIdempotencyStore, route } from '../index'
import { fallbackRequest } from './use-form-action'

const form = (entries: [string, string][]) => {
  const data = new FormData()
  for (const [name, value] of entries) data.append(name, value)
  return data
}

describe('the deploy-skew fallback request', () => {
  it('carries the form idempotency key as the Idempotency-Key header, and the page cookies', () => {
    const { url, init } = fallbackRequest('/api/addUser', form([['$ACTION_ID_abc', ''], ['name', 'Ada'], [IDEMPOTENCY_FIELD, 'render-7']]), 'https://app.test/')
    expect(url.href).toBe('https://app.test/api/addUser')
    expect(init).toMatchObject({ method: 'POST', credentials: 'same-origin', headers: { 'idempotency-key': 'render-7' } })
    expect([...(init.body as FormData)]).toEqual([['name', 'Ada']])
  })

  it('sends a DELETE with its fields in the query string, and fills the path from the form', () => {
    const { url, init } = fallbackRequest({ path: '/api/users/{id}', method: 'DELETE' }, form([['id', 'a/b'], [IDEMPOTENCY_FIELD, 'k']]), 'https://app.test/')
    expect(url.href).toBe('https://app.test/api/users/a%2Fb?id=a%2Fb')
    expect(init).toMatchObject({ method: 'DELETE', body: undefined, headers: { 'idempotency-key': 'k' } })
  })

  it('so a retry through the route after a deploy replays the first answer instead of running again', async () => {
    const runs: string[] = []
    const addUser = base.use(idempotency({ store: memoryIdempotencyStore() })).operation({
      name: 'addUser',
      input: z.object({ name: z.string() }),
      handler: ({ name }) => (runs.push(name), { message: `User ${name} added` }),
    })
    const send = async () => {
      const { url, init } = fallbackRequest('/api/addUser', form([['name', 'Ada'], [IDEMPOTENCY_FIELD, 'render-8']]), 'https://app.test/')
      return route(addUser)(new Request(url, init), { params: Promise.resolve({}) })
    }
    expect((await send()).headers.get('idempotency-replayed')).toBeNull()
    expect((await send()).headers.get('idempotency-replayed')).toBe('true')
    expect(runs).toEqual(['Ada'])
  })
})
