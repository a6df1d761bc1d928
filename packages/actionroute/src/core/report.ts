import { randomUUID } from 'node:crypto'
import type { Context } from './context'
import { OperationError } from './errors'

/** What is known about an unexpected error besides the error itself. */
export interface ErrorReport {
  /** The id the caller was answered with, to find this report from a user's complaint. */
  errorId: string
  operation: string
  door: Context['door']
}

export type ErrorReporter = (error: unknown, report: ErrorReport) => void

// On globalThis: Next bundles instrumentation.ts, route handlers and actions separately, and a
// reporter set in one must be seen by all.
const REPORTER = Symbol.for('actionroute.onError')
const registry = globalThis as { [REPORTER]?: ErrorReporter }

/**
 * Sends unexpected errors to `reporter` (Sentry, OpenTelemetry, pino…) instead of `console.error`.
 * Set it once at start-up, e.g. in `instrumentation.ts`; `onError(undefined)` restores the console.
 */
export function onError(reporter: ErrorReporter | undefined): void {
  registry[REPORTER] = reporter
}

const toConsole: ErrorReporter = (error, { errorId, operation, door }) =>
  console.error(`[actionroute] unexpected error ${errorId} in ${operation} (${door}):`, error)

/** Reports an unexpected error under a fresh id and returns the OperationError that carries only that id. */
export function unexpected(error: unknown, ctx: Pick<Context, 'operation' | 'door'>): OperationError {
  const errorId = randomUUID()
  const report = { errorId, operation: ctx.operation, door: ctx.door }
  try {
    ;(registry[REPORTER] ?? toConsole)(error, report)
  } catch (reporterError) {
    // A failing reporter must not turn one error into two answers: fall back to the console.
    toConsole(error, report)
    console.error('[actionroute] the onError reporter failed:', reporterError)
  }
  return new OperationError('INTERNAL', `An unexpected error occurred. Quote reference ${errorId} when reporting it.`, { errorId })
}
