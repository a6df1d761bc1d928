import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { drizzle } from 'drizzle-orm/pglite'
import { migrate } from 'drizzle-orm/pglite/migrator'
import { describe, expect, it } from 'vitest'
import { migrationsFolder } from './client'

// A directory created before a migration keeps its rows through it: here 0001_door, which renamed
// `source` ('action' | 'api') to `door` ('action' | 'route').

/** The committed migrations up to and including `tag`, in a folder of their own. */
function migrationsUpTo(tag: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'userdirectory-migrations-'))
  cpSync(migrationsFolder(), dir, { recursive: true })
  const journalFile = path.join(dir, 'meta/_journal.json')
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] }
  journal.entries = journal.entries.slice(0, journal.entries.findIndex((entry) => entry.tag === tag) + 1)
  writeFileSync(journalFile, JSON.stringify(journal))
  return dir
}

describe('migrations', () => {
  it('0001_door keeps every user and says which door each came through', async () => {
    const client = await PGlite.create('memory://')
    const db = drizzle({ client })
    const before = migrationsUpTo('0000_init')
    try {
      await migrate(db, { migrationsFolder: before })
      await client.exec(`insert into users (name, source) values ('Ann', 'api'), ('Bo', 'action')`)
      await migrate(db, { migrationsFolder: migrationsFolder() })
      const { rows } = await client.query<{ name: string; door: string }>('select name, door from users order by name')
      expect(rows).toEqual([
        { name: 'Ann', door: 'route' },
        { name: 'Bo', door: 'action' },
      ])
      await expect(client.exec(`insert into users (name, door) values ('Cy', 'api')`)).rejects.toThrow(/users_door_valid/)
    } finally {
      await client.close()
      rmSync(before, { recursive: true, force: true })
    }
  })
})
