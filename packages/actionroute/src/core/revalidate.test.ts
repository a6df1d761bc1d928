import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'

// Records what each door asks of Next's cache; the real functions need a Next.js request to run in.
const cache = vi.hoisted(() => ({ calls: [] as string[], fail: false }))
vi.mock('next/cache', () => ({
  updateTag: (tag: string) => cache.calls.push(`updateTag(${tag})`),
  revalidateTag: (tag: string, profile: string) => cache.calls.push(`revalidateTag(${tag}, ${profile})`),
  revalidatePath: (path: string, type?: string) => {
    if (cache.fail) throw new Error('revalidatePath failed')
    cache.calls.push(type ? `revalidatePath(${path}, ${type})` : `revalidatePath(${path})`)
  },
}))

const { action, formAction, idle, onError, operation, route } = await import('../index')
const { withActionContext } = await import('../testing')

const save = operation({
  name: 'save',
  input: z.object({ id: z.string().min(1) }),
  handler: ({ id }) => ({ id }),
  revalidate: { tags: ['items'], paths: ['/', { path: '/items/[id]', type: 'page' }] },
})
const saveOne = operation({
  name: 'saveOne',
  input: z.object({ id: z.string() }),
  handler: ({ id }) => ({ id }),
  revalidate: (data) => ({ tags: [`item:${data.id}`] }),
})

const post = (body: unknown) =>
  new Request('http://test/items', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
const noParams = { params: Promise.resolve({}) }
const form = (id: string) => {
  const data = new FormData()
  data.set('id', id)
  return data
}

describe('revalidate', () => {
  beforeEach(() => {
    cache.calls = []
    cache.fail = false
    vi.stubEnv('NEXT_RUNTIME', 'nodejs')
  })
  afterEach(() => {
    vi.unstubAllEnvs()
    onError(undefined)
  })

  it('expires tags at once on the action door, so the caller reads its own write', async () => {
    await withActionContext({}, () => action(save)({ id: 'a' }))
    expect(cache.calls).toEqual(['updateTag(items)', 'revalidatePath(/)', 'revalidatePath(/items/[id], page)'])
  })

  it('does the same for a form action', async () => {
    const state = await withActionContext({}, () => formAction(save)(idle, form('a')))
    expect(state.status).toBe('success')
    expect(cache.calls).toEqual(['updateTag(items)', 'revalidatePath(/)', 'revalidatePath(/items/[id], page)'])
  })

  it('marks tags stale on the route door, where updateTag would throw', async () => {
    const response = await route(save)(post({ id: 'a' }), noParams)
    expect(response.status).toBe(200)
    expect(cache.calls).toEqual(['revalidateTag(items, max)', 'revalidatePath(/)', 'revalidatePath(/items/[id], page)'])
  })

  it('names targets from the result', async () => {
    await route(saveOne)(post({ id: '42' }), noParams)
    await withActionContext({}, () => action(saveOne)({ id: '7' }))
    expect(cache.calls).toEqual(['revalidateTag(item:42, max)', 'updateTag(item:7)'])
  })

  it('invalidates nothing when the call fails', async () => {
    const response = await route(save)(post({ id: '' }), noParams)
    const result = await withActionContext({}, () => action(save)({ id: '' }))
    expect([response.status, result.ok]).toEqual([422, false])
    expect(cache.calls).toEqual([])
  })

  it('does nothing outside the Next.js server', async () => {
    vi.stubEnv('NEXT_RUNTIME', '')
    const result = await withActionContext({}, () => action(save)({ id: 'a' }))
    expect(result.ok).toBe(true)
    expect(cache.calls).toEqual([])
  })

  it('reports a failed invalidation and still answers the success: the write happened', async () => {
    cache.fail = true
    const reports: string[] = []
    onError((error, report) => reports.push(`${report.operation} ${report.door}: ${(error as Error).message}`))
    const result = await withActionContext({}, () => action(save)({ id: 'a' }))
    expect(result).toEqual({ ok: true, data: { id: 'a' } })
    expect(reports).toEqual(['save revalidate action: revalidatePath failed'])
  })
})
