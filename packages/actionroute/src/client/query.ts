// TanStack Query options for a typed client: `createQueryHelpers(client)`.
// Client-safe, and it imports only types from @tanstack/query-core: no TanStack code in this module.
import type { DataTag, MutationKey, MutationOptions, QueryFunctionContext, QueryKey, QueryObserverOptions } from '@tanstack/query-core'
import type { ErrorCodesOf, HttpMethod } from '../core/operation'
import type { ApiPaths } from '../http/router'
import type { Client, ClientErrorCode, ClientProblem, ClientRequest, ClientResult, OperationAt, PathsWith } from './fetch-client'

/** A problem the API answered (or the client reported), thrown so that TanStack Query sees an error. */
export class ClientProblemError<Code extends string = string> extends Error {
  override readonly name = 'ClientProblemError'
  /** The RFC 9457 problem, `issues[]` for fields included. */
  readonly problem: ClientProblem<Code>
  /** The problem's `code`: the operation's codes, or `NETWORK_ERROR` / `UNEXPECTED_RESPONSE`. */
  readonly code: Code | ClientErrorCode
  /** The HTTP status; 0 when no answer came. */
  readonly status: number
  readonly response: Response | undefined

  constructor(problem: ClientProblem<Code>, response?: Response) {
    super(problem.detail || problem.title)
    this.problem = problem
    this.code = problem.code
    this.status = problem.status
    this.response = response
  }
}

export function isClientProblemError(value: unknown): value is ClientProblemError {
  return value instanceof ClientProblemError
}

type DataOf<Op> = Extract<ClientResult<Op>, { ok: true }>['data']
type ErrorOf<Op> = ClientProblemError<ErrorCodesOf<Op> & string>
type RequestOf<Api extends ApiPaths, Path extends keyof Api & string, Method extends HttpMethod> = ClientRequest<OperationAt<Api, Path, Method>, Path, Method>

type KeyOf<Api extends ApiPaths, Path extends PathsWith<Api, 'GET'>> = readonly ['actionroute', 'GET', Path, Pick<RequestOf<Api, Path, 'GET'>, 'params' | 'query'>?]

/** `['actionroute', 'GET', path, { params?, query? }?]`, tagged with the data and error types for `getQueryData`. */
export type ApiQueryKey<Api extends ApiPaths, Path extends PathsWith<Api, 'GET'>> = DataTag<
  KeyOf<Api, Path>,
  DataOf<OperationAt<Api, Path, 'GET'>>,
  ErrorOf<OperationAt<Api, Path, 'GET'>>
>

type QueryOptionsFor<Op, Key extends QueryKey, TaggedKey extends Key> = Omit<QueryObserverOptions<DataOf<Op>, ErrorOf<Op>, DataOf<Op>, DataOf<Op>, Key>, 'queryKey' | 'queryFn'> & {
  queryKey: TaggedKey
  queryFn: (context: QueryFunctionContext<Key>) => Promise<DataOf<Op>>
}

/** What `useQuery`, `queryClient.fetchQuery` and the like take: a key, and a query function that throws problems. */
export type ApiQueryOptions<Api extends ApiPaths, Path extends PathsWith<Api, 'GET'>> = QueryOptionsFor<OperationAt<Api, Path, 'GET'>, KeyOf<Api, Path>, ApiQueryKey<Api, Path>>

/** The request a mutation takes as its variables; `mutate()` alone when nothing in it is required. */
export type ApiMutationVariables<Request> = object extends Request ? Request | void : Request

type MutationOptionsFor<Op, Variables, Key extends MutationKey> = Omit<MutationOptions<DataOf<Op>, ErrorOf<Op>, Variables>, 'mutationKey' | 'mutationFn'> & {
  mutationKey: Key
  mutationFn: (request: Variables) => Promise<DataOf<Op>>
}

/** What `useMutation` takes: a key, and a mutation function that throws problems. */
export type ApiMutationOptions<Api extends ApiPaths, Method extends HttpMethod, Path extends PathsWith<Api, Method>> = MutationOptionsFor<
  OperationAt<Api, Path, Method>,
  ApiMutationVariables<RequestOf<Api, Path, Method>>,
  readonly ['actionroute', Method, Path]
>

type RequestArgs<Request> = object extends Request ? [request?: Request] : [request: Request]

export interface QueryHelpers<Api extends ApiPaths> {
  /**
   * Options for a GET: `useQuery(queries.queryOptions('/api/users', { query: { q } }))`. The key holds the path,
   * `params` and `query` (not `headers`); the query function passes TanStack's `signal` and throws a
   * `ClientProblemError` when the call fails, so the query goes to its error state.
   */
  queryOptions<Path extends PathsWith<Api, 'GET'>>(path: Path, ...request: RequestArgs<RequestOf<Api, Path, 'GET'>>): ApiQueryOptions<Api, Path>
  /** Options for a write: `useMutation(queries.mutationOptions('POST', '/api/users'))`; the variables are the request. */
  mutationOptions<Method extends Exclude<HttpMethod, 'GET'>, Path extends PathsWith<Api, Method>>(method: Method, path: Path): ApiMutationOptions<Api, Method, Path>
  /**
   * The key `queryOptions` uses for this request. Without a request it is also the prefix of every query of
   * the path: `queryClient.invalidateQueries({ queryKey: queries.key('/api/users') })`.
   */
  key<Path extends PathsWith<Api, 'GET'>>(path: Path, request?: Partial<RequestOf<Api, Path, 'GET'>>): ApiQueryKey<Api, Path>
}

type AnyRequest = { params?: Record<string, string>; query?: Record<string, unknown>; body?: unknown; headers?: HeadersInit; signal?: AbortSignal }
type AnyCall = (path: string, request?: AnyRequest) => Promise<ClientResult<unknown>>

function dataOrThrow(result: ClientResult<unknown>): unknown {
  if (!result.ok) throw new ClientProblemError(result.error, result.response)
  return result.data
}

function keyOf(path: string, request: AnyRequest = {}): readonly unknown[] {
  const { params, query } = request
  if (params === undefined && query === undefined) return ['actionroute', 'GET', path]
  return ['actionroute', 'GET', path, { ...(params !== undefined && { params }), ...(query !== undefined && { query }) }]
}

/**
 * TanStack Query options from a typed client (`createClient<typeof api>()`): `queryOptions` for GET paths,
 * `mutationOptions` for the others, and `key` for invalidation and `getQueryData`. Data and error types come
 * from the paths table; failures are thrown as `ClientProblemError`, because that is how TanStack sees them.
 */
export function createQueryHelpers<Api extends ApiPaths>(client: Client<Api>): QueryHelpers<Api> {
  const call = (method: HttpMethod) => client[method] as unknown as AnyCall
  const helpers = {
    key: (path: string, request?: AnyRequest) => keyOf(path, request),
    queryOptions: (path: string, request?: AnyRequest) => ({
      queryKey: keyOf(path, request),
      queryFn: async ({ signal }: { signal: AbortSignal }) => dataOrThrow(await call('GET')(path, { ...request, signal })),
    }),
    mutationOptions: (method: HttpMethod, path: string) => ({
      mutationKey: ['actionroute', method, path],
      mutationFn: async (request?: AnyRequest) => dataOrThrow(await call(method)(path, request)),
    }),
  }
  return helpers as unknown as QueryHelpers<Api>
}
