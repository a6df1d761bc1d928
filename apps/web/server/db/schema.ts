import { sql } from 'drizzle-orm'
import { bigint, boolean, check, customType, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'

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
    /** The stored avatar's version (a digest of its bytes), set with it in one transaction; null without one. */
    avatarEtag: text('avatar_etag'),
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

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
})

/**
 * A user's avatar, as stored: a normalised image (server/users/avatars.ts). With PostgreSQL its bytes are here, so
 * every instance serves every avatar; with PGlite they are a file beside the database (`image` null), named by
 * user and etag, written and renamed into place before this row points to it.
 */
export const avatars = pgTable('avatars', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  etag: text('etag').notNull(),
  contentType: text('content_type').notNull(),
  size: integer('size').notNull(),
  image: bytea('image'),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
})

/** What happened to a user, as the live directory streams it. */
export const USER_EVENT_KINDS = ['added', 'renamed', 'deleted'] as const
export type UserEventKind = (typeof USER_EVENT_KINDS)[number]

/**
 * Every change to `users`, written by a trigger in the change's own transaction (drizzle/0005_user_events.sql),
 * which also `pg_notify`s the channel `user_events` with the row's `seq`: each instance wakes its subscribers, and
 * a subscriber that reconnects reads what it missed from here (`seq` after its Last-Event-ID). Kept for an hour.
 */
export const userEvents = pgTable(
  'user_events',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    kind: text('kind', { enum: USER_EVENT_KINDS }).notNull(),
    userId: uuid('user_id').notNull(),
    name: text('name').notNull(),
    at: timestamptz('at').notNull().defaultNow(),
  },
  (table) => [index('user_events_at_idx').on(table.at)],
)

/** How an import ended, or that it runs. */
export const IMPORT_STATUSES = ['running', 'done', 'cancelled', 'failed'] as const
export type ImportStatus = (typeof IMPORT_STATUSES)[number]

/** A line of a CSV import that added no user, and why. */
export interface ImportProblem {
  line: number
  reason: string
}

/**
 * One CSV import (server/users/import.ts). Each batch of users is inserted in one transaction with this row's
 * counts, so what the row says was stored is exactly what is stored, whatever stops the import; `lines` is where
 * a retry with the same Idempotency-Key resumes. `cancel_requested` is read by the import after each batch, on
 * whichever instance it runs.
 */
export const userImports = pgTable(
  'user_imports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** `caller:Idempotency-Key`, when the import was sent with one. */
    idempotencyKey: text('idempotency_key'),
    /** The SHA-256 of the file: the same key with another file is refused. */
    fingerprint: text('fingerprint').notNull(),
    status: text('status', { enum: IMPORT_STATUSES }).notNull().default('running'),
    cancelRequested: boolean('cancel_requested').notNull().default(false),
    /** The last line read into a committed batch. */
    lines: integer('lines').notNull().default(0),
    stored: integer('stored').notNull().default(0),
    taken: integer('taken').notNull().default(0),
    invalid: integer('invalid').notNull().default(0),
    /** The first problems (line and reason), at most IMPORT_PROBLEMS_KEPT. */
    problems: jsonb('problems').$type<ImportProblem[]>().notNull().default([]),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    /** Written with each batch: a running import not heard of for a while has died (its process was killed). */
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (table) => [uniqueIndex('user_imports_idempotency_key').on(table.idempotencyKey), check('user_imports_status_valid', sql`${table.status} in ('running', 'done', 'cancelled', 'failed')`)],
)

export type UserImport = typeof userImports.$inferSelect

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
