import { builtInCodes, type FieldIssue, type OperationError } from '../core/errors'

/** An RFC 9457 problem details body, extended with a stable `code` and the field `issues`. */
export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: string
  issues?: FieldIssue[]
  errorId?: string
}

// A declared code's title is its status's, as the built-in codes name it.
const titles = new Map<number, string>(Object.values(builtInCodes).map(({ status, title }) => [status, title]))

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

export function toProblem(error: OperationError): Problem {
  const problem: Problem = {
    type: `urn:actionroute:problem:${error.code.toLowerCase().replaceAll('_', '-')}`,
    title: titles.get(error.status) ?? 'Error',
    status: error.status,
    detail: error.message,
    code: error.code,
  }
  if (error.issues.length > 0) problem.issues = error.issues
  if (error.errorId) problem.errorId = error.errorId
  return problem
}

/** The problem as a Response: the error's status and headers, laid over `headers` (those middleware set). */
export function problemResponse(error: OperationError, headers?: Headers): Response {
  const all = new Headers(headers)
  for (const [name, value] of Object.entries(error.headers)) all.set(name, value)
  all.set('content-type', PROBLEM_CONTENT_TYPE)
  return new Response(JSON.stringify(toProblem(error)), { status: error.status, headers: all })
}
