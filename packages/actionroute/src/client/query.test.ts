import { CancelledError, MutationObserver, QueryClient } from '@tanstack/query-core'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { operation, router } from '../index'
import { createClient } from './fetch-client'
import { inProcessFetch, notesApi } from './notes.fixture'
import { ClientProblemError, createQueryHelpers, isClientProblemError } from './query'

const { addNote, getNote, listNotes } = notesApi([{ id: '1', text: 'buy milk', at: new Date('2026-01-02T03:04:05Z') }])
let release: () => void = () => {}
// Answers when the test says so: for cancelling a query in flight.
const slowNote = operation({ name: 'slowNote', input: z.object({}), handler: () => new Promise<{ done: true }>((resolve) => (release = () => resolve({ done: true }))) })

const api = {
  '/v1/notes': { GET: listNotes, POST: addNote },
  '/v1/notes/{id}': { GET: getNote },
  '/v1/slow': { GET: slowNote },
}
const handlers = router(api)
const seen: Request[] = []
const client = createClient<typeof api>({ baseUrl: 'http://notes.test', fetch: inProcessFetch(handlers, seen) })
const queries = createQueryHelpers(client)
const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } })
afterEach(() => queryClient.clear())

describe('createQueryHelpers(client).queryOptions()', () => {
  it('fetches through the client and resolves with the data, as JSON', async () => {
    const data = await queryClient.fetchQuery(queries.queryOptions('/v1/notes/{id}', { params: { id: '1' } }))
    expect(data).toEqual({ id: '1', text: 'buy milk', at: '2026-01-02T03:04:05.000Z' })
    expect(seen.at(-1)!.url).toBe('http://notes.test/v1/notes/1')
    expect(queryClient.getQueryData(queries.key('/v1/notes/{id}', { params: { id: '1' } }))).toEqual(data)
  })

  it('throws a ClientProblemError, so the query goes to its error state', async () => {
    const options = queries.queryOptions('/v1/notes/{id}', { params: { id: '99' } })
    const error = await queryClient.fetchQuery(options).catch((caught: unknown) => caught)
    expect(isClientProblemError(error)).toBe(true)
    expect(error).toBeInstanceOf(ClientProblemError)
    expect(error).toMatchObject({ name: 'ClientProblemError', message: 'No such note.', code: 'NOT_FOUND', status: 404, problem: { code: 'NOT_FOUND', status: 404 } })
    expect((error as ClientProblemError).response?.status).toBe(404)
    expect(queryClient.getQueryState(options.queryKey)).toMatchObject({ status: 'error', error })
  })

  it('throws the client’s own problems too: no answer is NETWORK_ERROR, status 0', async () => {
    const offline = createQueryHelpers(createClient<typeof api>({ baseUrl: 'http://notes.test', fetch: () => Promise.reject(new TypeError('fetch failed')) }))
    await expect(queryClient.fetchQuery(offline.queryOptions('/v1/notes'))).rejects.toMatchObject({ code: 'NETWORK_ERROR', status: 0, response: undefined })
  })

  it('keys by path, params and query, not headers; key(path) is the prefix of them all', async () => {
    expect(queries.queryOptions('/v1/notes').queryKey).toEqual(['actionroute', 'GET', '/v1/notes'])
    expect(queries.queryOptions('/v1/notes', { query: { q: 'milk' }, headers: { 'x-trace': '1' } }).queryKey).toEqual(['actionroute', 'GET', '/v1/notes', { query: { q: 'milk' } }])
    expect(queries.key('/v1/notes/{id}', { params: { id: '1' } })).toEqual(['actionroute', 'GET', '/v1/notes/{id}', { params: { id: '1' } }])
    expect(queries.key('/v1/notes')).toEqual(queries.queryOptions('/v1/notes').queryKey)

    await queryClient.fetchQuery(queries.queryOptions('/v1/notes'))
    await queryClient.fetchQuery(queries.queryOptions('/v1/notes', { query: { q: 'milk' }, headers: { 'x-trace': '1' } }))
    expect(seen.at(-1)!.headers.get('x-trace')).toBe('1')
    await queryClient.fetchQuery(queries.queryOptions('/v1/notes/{id}', { params: { id: '1' } }))
    await queryClient.invalidateQueries({ queryKey: queries.key('/v1/notes'), refetchType: 'none' })
    const invalidated = queryClient.getQueryCache().findAll({ predicate: (query) => query.state.isInvalidated })
    expect(invalidated.map((query) => query.queryKey)).toEqual([
      ['actionroute', 'GET', '/v1/notes'],
      ['actionroute', 'GET', '/v1/notes', { query: { q: 'milk' } }],
    ])
  })

  it('passes TanStack’s signal, so cancelling a query aborts the request', async () => {
    const options = queries.queryOptions('/v1/slow')
    const pending = queryClient.fetchQuery(options).catch((caught: unknown) => caught)
    await expect.poll(() => seen.at(-1)?.url).toBe('http://notes.test/v1/slow')
    await queryClient.cancelQueries({ queryKey: options.queryKey })
    expect(seen.at(-1)!.signal.aborted).toBe(true)
    expect(await pending).toBeInstanceOf(CancelledError)
    release()
  })
})

describe('createQueryHelpers(client).mutationOptions()', () => {
  it('sends the variables as the request and resolves with the data', async () => {
    const options = queries.mutationOptions('POST', '/v1/notes')
    expect(options.mutationKey).toEqual(['actionroute', 'POST', '/v1/notes'])
    const observer = new MutationObserver(queryClient, options)
    const added = await observer.mutate({ body: { text: 'walk the dog' } })
    expect(added).toMatchObject({ text: 'walk the dog', at: '2026-01-02T03:04:05.000Z' })
    expect(observer.getCurrentResult()).toMatchObject({ status: 'success', data: added, variables: { body: { text: 'walk the dog' } } })
  })

  it('throws a ClientProblemError with the field errors, so the mutation goes to its error state', async () => {
    const observer = new MutationObserver(queryClient, queries.mutationOptions('POST', '/v1/notes'))
    await expect(observer.mutate({ body: { text: '' } })).rejects.toBeInstanceOf(ClientProblemError)
    expect(observer.getCurrentResult()).toMatchObject({
      status: 'error',
      error: { code: 'VALIDATION_FAILED', status: 422, problem: { issues: [{ path: 'text', message: 'Write something' }] } },
    })
  })
})

describe('isClientProblemError()', () => {
  it('tells a problem from other errors', () => {
    expect(isClientProblemError(new ClientProblemError({ type: 'about:blank', title: 'Conflict', status: 409, detail: '', code: 'CONFLICT' }))).toBe(true)
    expect(isClientProblemError(new Error('x'))).toBe(false)
    expect(isClientProblemError({ code: 'CONFLICT' })).toBe(false)
  })
})
