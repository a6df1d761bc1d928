import { sql } from 'drizzle-orm'
import { check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'

/** The door a user came through: a Server Action or an API route (Route Handler). */
export const DOORS = ['action', 'route'] as const
export type Door = (typeof DOORS)[number]

// Millisecond precision, so a timestamp survives the round trip through a JS Date in a page cursor.
const timestamptz = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' })

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    email: text('email'),
    door: text('door', { enum: DOORS }).notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('users_email_lower_key').on(sql`lower(${table.email})`),
    index('users_created_at_id_idx').on(table.createdAt.desc(), table.id.desc()),
    check('users_name_length', sql`char_length(${table.name}) between 1 and 100`),
    check('users_door_valid', sql`${table.door} in ('action', 'route')`),
  ],
)

export type User = typeof users.$inferSelect
export type NewUser = typeof users.$inferInsert

/** actionroute's rate-limit windows (postgresStore; RATE_LIMIT_TABLE_SQL), here so migrations create the table. */
export const rateLimits = pgTable('actionroute_rate_limits', {
  key: text('key').primaryKey(),
  count: integer('count').notNull(),
  resetAt: timestamp('reset_at', { withTimezone: true }).notNull(),
})

/** actionroute's idempotency keys (postgresIdempotencyStore; IDEMPOTENCY_TABLE_SQL). */
export const idempotencyKeys = pgTable('actionroute_idempotency', {
  key: text('key').primaryKey(),
  fingerprint: text('fingerprint').notNull(),
  owner: text('owner'),
  outcome: jsonb('outcome'),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
})
