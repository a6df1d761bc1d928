import { describe, expect, it } from 'vitest'
import { closeDatabase, database, DatabaseClosedError, openDatabase, useDatabase } from './client'
import { requestDatabase } from './for-requests'

describe('the process database after shutdown', () => {
  it('is never opened again: a request that runs past the cut gets a 503 (it reopened PGlite and retook its lock)', async () => {
    useDatabase(await openDatabase({ dataDir: 'memory://' }))
    expect((await database()).kind).toBe('pglite')
    await closeDatabase()
    await expect(database()).rejects.toBeInstanceOf(DatabaseClosedError)
    await expect(requestDatabase()).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, headers: { 'retry-after': '1' } })
  })
})
