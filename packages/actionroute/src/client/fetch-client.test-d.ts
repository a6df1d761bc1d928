import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { defineErrors, operation, type DoorErrorCode } from '../index'
import { createClient, type ClientErrorCode } from './fetch-client'

// What a consumer of the client relies on: inputs and data typed from the table, codes as unions.

const errors = defineErrors({ NOT_FOUND: { status: 404, message: 'No such user.' } })
const user = z.object({ id: z.string(), name: z.string(), createdAt: z.date() })
const getUser = operation({ name: 'getUser', input: z.object({ id: z.string() }), errors, handler: () => user.parse({}) })
const addUser = operation({ name: 'addUser', input: z.object({ name: z.string(), email: z.string().optional() }), handler: () => user.parse({}) })
const listUsers = operation({ name: 'listUsers', input: z.object({ q: z.string().optional() }), handler: () => [user.parse({})] })
export const api = { '/api/users': { GET: listUsers, POST: addUser }, '/api/users/{id}': { GET: getUser } }

export const upload = operation({ name: 'upload', input: z.object({ title: z.string(), file: z.file(), extra: z.array(z.file()).optional() }), handler: () => ({ ok: true }) })

const client = createClient<typeof api>({ baseUrl: 'http://x' })

describe('createClient<typeof api>()', () => {
  it('offers each method only the paths that serve it', () => {
    void client.GET('/api/users')
    void client.GET('/api/users/{id}', { params: { id: '1' } })
    // @ts-expect-error: POST is not served at /api/users/{id}
    void client.POST('/api/users/{id}', { params: { id: '1' }, body: { name: 'Ada' } })
    // @ts-expect-error: a path that is not in the table
    void client.GET('/api/things')
    // @ts-expect-error: no path serves DELETE
    void client.DELETE('/api/users/{id}', { params: { id: '1' } })
  })

  it('types path params, the body and the query from the input', () => {
    void client.GET('/api/users/{id}', { params: { id: '1' } })
    // @ts-expect-error: the path param is required
    void client.GET('/api/users/{id}')
    void client.POST('/api/users', { body: { name: 'Ada' } })
    // @ts-expect-error: name is required
    void client.POST('/api/users', { body: { email: 'a@b.co' } })
    void client.GET('/api/users', { query: { q: 'a' } })
    void client.GET('/api/users')
  })

  it('types the data as JSON and the error code as the operation’s codes', async () => {
    const result = await client.GET('/api/users/{id}', { params: { id: '1' } })
    if (result.ok) expectTypeOf(result.data).toEqualTypeOf<{ id: string; name: string; createdAt: string }>()
    else expectTypeOf(result.error.code).toEqualTypeOf<DoorErrorCode | 'NOT_FOUND' | ClientErrorCode>()
    const list = await client.GET('/api/users')
    if (list.ok) expectTypeOf(list.data).toEqualTypeOf<{ id: string; name: string; createdAt: string }[]>()
  })

  it('takes any Blob where the input takes a File, and only in a body', () => {
    const files = createClient<{ '/files': { POST: typeof upload; GET: typeof upload } }>({ baseUrl: 'http://x' })
    void files.POST('/files', { body: { title: 't', file: new Blob(['x']), extra: [new File(['y'], 'y.txt')] }, onUploadProgress: ({ loaded, total }) => loaded / total })
    // @ts-expect-error: a string is not a file
    void files.POST('/files', { body: { title: 't', file: 'x' } })
  })
})
