import type { ActionError, FieldIssue } from '../core/errors'

/** An RFC 9457 problem details body, extended with a stable `code` and field `errors`. */
export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: string
  errors?: FieldIssue[]
  errorId?: string
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

export function toProblem(error: ActionError): Problem {
  const problem: Problem = {
    type: `urn:actionroute:problem:${error.code.toLowerCase().replaceAll('_', '-')}`,
    title: titles[error.status] ?? 'Error',
    status: error.status,
    detail: error.message,
    code: error.code,
  }
  if (error.issues.length > 0) problem.errors = error.issues
  if (error.errorId) problem.errorId = error.errorId
  return problem
}

/** The problem as a Response: the error's status and headers, laid over `headers` (those middleware set). */
export function problemResponse(error: ActionError, headers?: Headers): Response {
  const all = new Headers(headers)
  for (const [name, value] of Object.entries(error.headers)) all.set(name, value)
  all.set('content-type', PROBLEM_CONTENT_TYPE)
  return new Response(JSON.stringify(toProblem(error)), { status: error.status, headers: all })
}
