import { describe, expect, it } from 'vitest'
import { closeDatabase, database, openDatabase, useDatabase } from './client'

describe('the process database after shutdown', () => {
  it('is never opened again: a handler that runs past the cut gets a 503 (it reopened PGlite and retook its lock)', async () => {
    useDatabase(await openDatabase({ dataDir: 'memory://' }))
    expect((await database()).kind).toBe('pglite')
    await closeDatabase()
    await expect(database()).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, headers: { 'retry-after': '1' } })
    await expect(database()).rejects.toMatchObject({ status: 503 })
  })
})
