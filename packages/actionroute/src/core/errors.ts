/**
 * Every built-in error code, with its HTTP status and its problem+json `title`: the one table the doors,
 * the middleware and OpenAPI read. `door: true` marks the codes any call can get from the doors themselves
 * (a body that does not parse, an input that does not validate, an unexpected error, a server going away): they are in every
 * operation's code union. The others are answered by middleware or handlers that declare them.
 */
export const builtInCodes = {
  BAD_REQUEST: { status: 400, title: 'Bad Request', door: true },
  UNAUTHORIZED: { status: 401, title: 'Unauthorized', door: false },
  FORBIDDEN: { status: 403, title: 'Forbidden', door: false },
  CROSS_SITE_REQUEST: { status: 403, title: 'Forbidden', door: true },
  NOT_FOUND: { status: 404, title: 'Not Found', door: false },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method Not Allowed', door: true },
  CONFLICT: { status: 409, title: 'Conflict', door: false },
  IDEMPOTENCY_KEY_IN_USE: { status: 409, title: 'Conflict', door: false },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Content Too Large', door: true },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported Media Type', door: true },
  VALIDATION_FAILED: { status: 422, title: 'Unprocessable Content', door: true },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Unprocessable Content', door: false },
  RATE_LIMITED: { status: 429, title: 'Too Many Requests', door: false },
  INTERNAL: { status: 500, title: 'Internal Server Error', door: true },
  IDEMPOTENCY_STORE_FULL: { status: 503, title: 'Service Unavailable', door: false },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service Unavailable', door: true },
} as const satisfies Record<string, { status: number; title: string; door: boolean }>

export type BuiltInErrorCode = keyof typeof builtInCodes

/** The codes every operation can answer, whatever it declares: the doors' own. */
export type DoorErrorCode = { [Code in BuiltInErrorCode]: (typeof builtInCodes)[Code]['door'] extends true ? Code : never }[BuiltInErrorCode]

/** @deprecated Read `builtInCodes[code].status`. The HTTP status of each built-in code. */
export const errorStatus = Object.fromEntries(Object.entries(builtInCodes).map(([code, { status }]) => [code, status])) as {
  [Code in BuiltInErrorCode]: (typeof builtInCodes)[Code]['status']
}

export const isDoorCode = (code: string): boolean => (builtInCodes as Record<string, { door: boolean }>)[code]?.door === true

/** A problem with one input field; `path` is dot-separated (`address.city`, `tags.0`). */
export interface FieldIssue {
  path: string
  message: string
}

export interface OperationErrorOptions {
  /** HTTP status; defaults to the built-in status for `code`, else 400. */
  status?: number
  /** Problems with individual fields, shown next to them in forms. */
  issues?: FieldIssue[]
  /** Extra response headers (e.g. `Allow`, `Retry-After`). */
  headers?: Record<string, string>
  /** Set on unexpected errors: the id under which the details were logged. */
  errorId?: string
  cause?: unknown
}

/**
 * The one error type operations and middleware throw on purpose, on either door. It renders as RFC 9457
 * problem+json on the route door and as a value (never a thrown Error) from a Server Action.
 */
export class OperationError extends Error {
  override readonly name = 'OperationError'
  readonly code: string
  readonly status: number
  readonly issues: FieldIssue[]
  readonly headers: Record<string, string>
  readonly errorId: string | undefined

  constructor(code: string, message: string, options: OperationErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.code = code
    this.status = options.status ?? (builtInCodes as Record<string, { status: number }>)[code]?.status ?? 400
    this.issues = options.issues ?? []
    this.headers = options.headers ?? {}
    this.errorId = options.errorId
  }
}

export function isOperationError(error: unknown): error is OperationError {
  return error instanceof OperationError
}

/** @deprecated Renamed `OperationError`: it serves both doors. */
export const ActionError = OperationError
/** @deprecated Renamed `OperationError`: it serves both doors. */
export type ActionError = OperationError
/** @deprecated Renamed `isOperationError`. */
export const isActionError = isOperationError

/** Creates one declared error; it also carries its code, status and default message for OpenAPI. */
export interface ErrorFactory<Code extends string = string> {
  (options?: { message?: string; issues?: FieldIssue[]; headers?: Record<string, string>; cause?: unknown }): OperationError
  readonly code: Code
  readonly status: number
  readonly message: string
}

/** An operation's declared errors, by code. */
export type ErrorFactories = Record<string, ErrorFactory>

/** An operation or middleware that declares no errors of its own. */
export type NoErrors = Record<never, ErrorFactory>

/** Every code an operation with these declared errors can answer: the doors' own and the declared ones (its middleware's included). */
export type ErrorCodeOf<Errors extends ErrorFactories> = DoorErrorCode | (keyof Errors & string)

/** @deprecated Renamed `OperationErrorOptions`. */
export type ActionErrorOptions = OperationErrorOptions

/**
 * Declares an operation's typed errors once: `const errors = defineErrors({ EMAIL_TAKEN: { status: 409,
 * message: '…' } })`, then `throw errors.EMAIL_TAKEN({ issues })` and `operation({ errors, … })`.
 */
export function defineErrors<const Specs extends Record<string, { status: number; message: string }>>(
  specs: Specs,
): { [Code in keyof Specs & string]: ErrorFactory<Code> } {
  const factories: Record<string, ErrorFactory> = {}
  for (const [code, { status, message }] of Object.entries(specs)) {
    const create = (options: Parameters<ErrorFactory>[0] = {}) =>
      new OperationError(code, options.message ?? message, { status, issues: options.issues, headers: options.headers, cause: options.cause })
    factories[code] = Object.assign(create, { code, status, message })
  }
  return factories as { [Code in keyof Specs & string]: ErrorFactory<Code> }
}
