import { MutationObserver, QueryClient, QueryObserver } from '@tanstack/query-core'
import { useMutation, useQueries, useQuery, useSuspenseQuery } from '@tanstack/react-query'
import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { defineErrors, operation, type DoorErrorCode } from '../index'
import { createClient, type ClientErrorCode } from './fetch-client'
import { createQueryHelpers, isClientProblemError, type ClientProblemError } from './query'

// What a TanStack Query user relies on: data and error types from the table, GET paths for queries, typed keys.

const errors = defineErrors({ NOT_FOUND: { status: 404, message: 'No such user.' }, EMAIL_TAKEN: { status: 409, message: 'Taken.' } })
const user = z.object({ id: z.string(), name: z.string(), createdAt: z.date() })
const getUser = operation({ name: 'getUser', input: z.object({ id: z.string() }), errors, handler: () => user.parse({}) })
const addUser = operation({ name: 'addUser', input: z.object({ name: z.string(), email: z.string().optional() }), errors, handler: () => user.parse({}) })
const listUsers = operation({ name: 'listUsers', input: z.object({ q: z.string().optional() }), handler: () => [user.parse({})] })
const touch = operation({ name: 'touch', input: z.object({ note: z.string().optional() }), handler: () => ({ at: new Date() }) })
export const api = {
  '/api/addUser': { POST: addUser },
  '/api/users': { GET: listUsers, POST: addUser },
  '/api/users/{id}': { GET: getUser, PATCH: touch },
  '/api/touch': { POST: touch },
}

const queries = createQueryHelpers(createClient<typeof api>({ baseUrl: 'http://x' }))
type User = { id: string; name: string; createdAt: string }
type GetUserError = ClientProblemError<DoorErrorCode | 'NOT_FOUND' | 'EMAIL_TAKEN'>
type ListUsersError = ClientProblemError<DoorErrorCode>

describe('createQueryHelpers(client)', () => {
  it('offers queryOptions the GET paths only, with their params and query', () => {
    void queries.queryOptions('/api/users')
    void queries.queryOptions('/api/users', { query: { q: 'a' } })
    void queries.queryOptions('/api/users/{id}', { params: { id: '1' } })
    // @ts-expect-error: /api/addUser serves POST only
    void queries.queryOptions('/api/addUser')
    // @ts-expect-error: a path that is not in the table
    void queries.queryOptions('/api/things')
    // @ts-expect-error: the path param is required
    void queries.queryOptions('/api/users/{id}')
    // @ts-expect-error: q is a string
    void queries.queryOptions('/api/users', { query: { q: 1 } })
  })

  it('types the data as JSON and the error as a ClientProblemError with the operation’s codes', async () => {
    const options = queries.queryOptions('/api/users/{id}', { params: { id: '1' } })
    expectTypeOf(options.queryFn).returns.resolves.toEqualTypeOf<User>()
    expectTypeOf(await new QueryClient().fetchQuery(options)).toEqualTypeOf<User>()
    expectTypeOf<ReturnType<typeof useUser>['data']>().toEqualTypeOf<User | undefined>()
    expectTypeOf<ReturnType<typeof useUser>['error']>().toEqualTypeOf<GetUserError | null>()
    expectTypeOf<GetUserError['code']>().toEqualTypeOf<DoorErrorCode | 'NOT_FOUND' | 'EMAIL_TAKEN' | ClientErrorCode>()
    expectTypeOf(useUserCount).returns.toEqualTypeOf<number | undefined>()
  })

  it('is taken as it is by TanStack’s consumers, core and React', async () => {
    const client = new QueryClient()
    const users = queries.queryOptions('/api/users')
    expectTypeOf(new QueryObserver(client, users).getCurrentResult().error).toEqualTypeOf<ListUsersError | null>()
    expectTypeOf(await client.ensureQueryData(users)).toEqualTypeOf<User[]>()
    void client.prefetchQuery(users)
    expectTypeOf(useBoth).returns.toEqualTypeOf<[User[] | undefined, User | undefined]>()
    expectTypeOf(useSuspenseUsers).returns.toEqualTypeOf<User[]>()
    const add = new MutationObserver(client, queries.mutationOptions('POST', '/api/users'))
    expectTypeOf(add.getCurrentResult().error).toEqualTypeOf<GetUserError | null>()
    expectTypeOf(add.mutate).parameter(0).toExtend<{ body: { name: string } }>()
  })

  it('tags the key, so getQueryData is typed', () => {
    const client = new QueryClient()
    expectTypeOf(client.getQueryData(queries.key('/api/users/{id}', { params: { id: '1' } }))).toEqualTypeOf<User | undefined>()
    expectTypeOf(client.getQueryData(queries.queryOptions('/api/users').queryKey)).toEqualTypeOf<User[] | undefined>()
    expectTypeOf(queries.key('/api/users')).toExtend<readonly ['actionroute', 'GET', '/api/users', ...unknown[]]>()
    // @ts-expect-error: keys are for GET paths
    void queries.key('/api/addUser')
  })

  it('offers mutationOptions the other methods, with the request as the variables', async () => {
    const add = queries.mutationOptions('POST', '/api/addUser')
    expectTypeOf(add.mutationKey).toEqualTypeOf<readonly ['actionroute', 'POST', '/api/addUser']>()
    expectTypeOf(await add.mutationFn({ body: { name: 'Ada' } })).toEqualTypeOf<User>()
    // @ts-expect-error: name is required
    void add.mutationFn({ body: {} })
    expectTypeOf(await queries.mutationOptions('PATCH', '/api/users/{id}').mutationFn({ params: { id: '1' } })).toEqualTypeOf<{ at: string }>()
    // Nothing in this request is required, so mutate() may be called with nothing.
    void queries.mutationOptions('POST', '/api/touch').mutationFn()
    // @ts-expect-error: but the path param is required here
    void queries.mutationOptions('PATCH', '/api/users/{id}').mutationFn()
    // @ts-expect-error: GET is for queryOptions
    void queries.mutationOptions('GET', '/api/users')
    // @ts-expect-error: PATCH is not served at /api/users
    void queries.mutationOptions('PATCH', '/api/users')
    expectTypeOf<MutationErrorOf<typeof useAddUser>>().toEqualTypeOf<GetUserError | null>()
  })

  it('narrows unknown errors', () => {
    const error: unknown = new Error('x')
    if (isClientProblemError(error)) expectTypeOf(error.problem.detail).toBeString()
  })
})

// Hooks are type-checked here, never called (exported: used only as types above).
export function useUser() {
  return useQuery(queries.queryOptions('/api/users/{id}', { params: { id: '1' } }))
}
function useUserCount() {
  return useQuery({ ...queries.queryOptions('/api/users'), select: (users) => users.length }).data
}
function useBoth() {
  const [users, user] = useQueries({ queries: [queries.queryOptions('/api/users'), queries.queryOptions('/api/users/{id}', { params: { id: '1' } })] })
  return [users.data, user.data] as [typeof users.data, typeof user.data]
}
function useSuspenseUsers() {
  return useSuspenseQuery(queries.queryOptions('/api/users')).data
}
export function useAddUser() {
  return useMutation(queries.mutationOptions('POST', '/api/addUser'))
}
type MutationErrorOf<Hook extends () => { error: unknown }> = ReturnType<Hook>['error']
