// Safe to import from client components: values and types only, no server APIs.
export { IDEMPOTENCY_FIELD, idle, resultState } from './action/envelope'
export type { ActionErrorValue, ErrorState, FormState, IdleState, SuccessState } from './action/envelope'
export type { ActionOf, ActionResult, FormActionOf, FormStateOf } from './action/action'
export type { ErrorCodesOf, FieldsOf, InputOf, OutputOf } from './core/operation'
export { createClient } from './client/fetch-client'
export type { Client, ClientErrorCode, ClientOptions, ClientProblem, ClientRequest, ClientResult, Jsonify, PathParams, RetryAfterOptions, RetryWait, Sendable, UploadProgress } from './client/fetch-client'
