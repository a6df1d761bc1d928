/** Built-in error codes and the HTTP status each one renders as. */
export const errorStatus = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  CROSS_SITE_REQUEST: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  VALIDATION_FAILED: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
} as const

export type BuiltInErrorCode = keyof typeof errorStatus

/** A problem with one input field; `path` is dot-separated (`address.city`, `tags.0`). */
export interface FieldIssue {
  path: string
  message: string
}

export interface ActionErrorOptions {
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
 * The one error type operations throw on purpose. It renders as RFC 9457 problem+json over HTTP
 * and as a value (never a thrown Error) from a Server Action.
 */
export class ActionError extends Error {
  override readonly name = 'ActionError'
  readonly code: string
  readonly status: number
  readonly issues: FieldIssue[]
  readonly headers: Record<string, string>
  readonly errorId: string | undefined

  constructor(code: string, message: string, options: ActionErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.code = code
    this.status = options.status ?? errorStatus[code as BuiltInErrorCode] ?? 400
    this.issues = options.issues ?? []
    this.headers = options.headers ?? {}
    this.errorId = options.errorId
  }
}

export function isActionError(error: unknown): error is ActionError {
  return error instanceof ActionError
}

/** Creates one declared error; it also carries its code, status and default message for OpenAPI. */
export interface ErrorFactory<Code extends string = string> {
  (options?: { message?: string; issues?: FieldIssue[]; cause?: unknown }): ActionError
  readonly code: Code
  readonly status: number
  readonly message: string
}

/** An operation's declared errors, by code. */
export type ErrorFactories = Record<string, ErrorFactory>

/** Every code an operation with these declared errors can answer: the built-in ones and its own. */
export type ErrorCodeOf<Errors extends ErrorFactories> = BuiltInErrorCode | (keyof Errors & string)

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
      new ActionError(code, options.message ?? message, { status, issues: options.issues, cause: options.cause })
    factories[code] = Object.assign(create, { code, status, message })
  }
  return factories as { [Code in keyof Specs & string]: ErrorFactory<Code> }
}
