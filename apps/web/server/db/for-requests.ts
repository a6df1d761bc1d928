import { OperationError } from 'actionroute'
import { database, DatabaseClosedError, type Database, type Db } from './client'

/**
 * The database as requests use it: once shutdown has closed it, a request still running gets a 503 with
 * Retry-After (another instance, or this one restarted, can take the retry) instead of an unexpected 500.
 */
export function requestDatabase(): Promise<Database> {
  return database().catch((error: unknown) => {
    if (error instanceof DatabaseClosedError) {
      throw new OperationError('SERVICE_UNAVAILABLE', 'The server is shutting down: try again in a moment.', { status: 503, headers: { 'retry-after': '1' }, cause: error })
    }
    throw error
  })
}

export async function requestDb(): Promise<Db> {
  return (await requestDatabase()).db
}
