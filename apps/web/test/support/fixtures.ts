import { inArray, not, sql } from 'drizzle-orm'
import { users } from '@/server/db/schema'
import type { Database } from '@/server/db/client'

/** Known users with fixed ids, for suites that run many cases against one table. */
export const fixtureUsers = [
  { id: '6f1c1c1e-8d5b-4a55-9a55-0d1f3a3b0001', name: 'Alice', email: null, door: 'route' as const, createdAt: new Date('2026-01-01T00:00:01Z') },
  { id: '6f1c1c1e-8d5b-4a55-9a55-0d1f3a3b0002', name: 'Bob', email: 'bob@example.com', door: 'action' as const, createdAt: new Date('2026-01-01T00:00:02Z') },
  { id: '6f1c1c1e-8d5b-4a55-9a55-0d1f3a3b0003', name: 'Alicia', email: 'alicia@example.com', door: 'route' as const, createdAt: new Date('2026-01-01T00:00:03Z') },
  { id: '6f1c1c1e-8d5b-4a55-9a55-0d1f3a3b0004', name: 'Dan', email: 'dan@example.com', door: 'route' as const, createdAt: new Date('2026-01-01T00:00:04Z') },
]

/**
 * Puts the table back to exactly `fixtures` in two statements (drop the others, upsert these), so
 * suites of a thousand generated cases can reset between cases and stay quick.
 */
export async function restoreUsers(database: Database, fixtures: typeof fixtureUsers = fixtureUsers): Promise<void> {
  const ids = fixtures.map((user) => user.id)
  await database.db.delete(users).where(not(inArray(users.id, ids)))
  await database.db
    .insert(users)
    .values(fixtures.map((user) => ({ ...user, updatedAt: user.createdAt })))
    .onConflictDoUpdate({ target: users.id, set: { name: sql`excluded.name`, email: sql`excluded.email`, updatedAt: sql`excluded.updated_at` } })
}
