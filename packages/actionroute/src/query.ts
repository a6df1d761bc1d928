// actionroute/query: TanStack Query options for the typed client. Safe in client components; it needs
// @tanstack/query-core for its types only (it comes with @tanstack/react-query and the other adapters).
export { ClientProblemError, createQueryHelpers, isClientProblemError } from './client/query'
export type { ApiMutationOptions, ApiMutationVariables, ApiQueryKey, ApiQueryOptions, QueryHelpers } from './client/query'
