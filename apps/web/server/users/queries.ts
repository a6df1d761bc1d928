import { and, asc, desc, eq, ilike, max, sql, type SQL } from 'drizzle-orm'
import { OperationError } from 'actionroute'
import { requestDb as db } from '@/server/db/for-requests'
import { idempotencyKeys, userEvents, users, type Door, type User } from '@/server/db/schema'
import { decodeCursor, encodeCursor, isUuid } from './cursor'
import { userErrors } from './errors'
import type { ListUsersInput, NewUserInput, UpdateUserInput } from './schema'

const EMAIL_CONSTRAINT = 'users_email_lower_key'

function isEmailTaken(error: unknown): boolean {
  for (let current = error; current; current = (current as { cause?: unknown }).cause) {
    const { code, constraint } = current as { code?: string; constraint?: string }
    if (code === '23505' && constraint === EMAIL_CONSTRAINT) return true
  }
  return false
}

function emailTaken(email: string, cause: unknown): OperationError {
  return userErrors.EMAIL_TAKEN({
    message: `A user with the email ${email} already exists.`,
    issues: [{ path: 'email', message: 'This email is already used by another user' }],
    cause,
  })
}

export function userNotFound(id: string): OperationError {
  return userErrors.NOT_FOUND({ message: `No user with id ${id}.` })
}

export async function insertUser(input: NewUserInput, door: Door): Promise<User> {
  try {
    const [user] = await (await db())
      .insert(users)
      .values({ name: input.name, email: input.email ?? null, door })
      .returning()
    return user!
  } catch (error) {
    if (input.email && isEmailTaken(error)) throw emailTaken(input.email, error)
    throw error
  }
}

export async function findUser(id: string): Promise<User | null> {
  if (!isUuid(id)) return null
  const [user] = await (await db()).select().from(users).where(eq(users.id, id))
  return user ?? null
}

export async function updateUser({ id, ...changes }: UpdateUserInput): Promise<User | null> {
  if (!isUuid(id)) return null
  try {
    const [user] = await (await db())
      .update(users)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(eq(users.id, id))
      .returning()
    return user ?? null
  } catch (error) {
    if (changes.email && isEmailTaken(error)) throw emailTaken(changes.email, error)
    throw error
  }
}

/**
 * Deletes a user, and with it, in the same transaction, every answer kept for an idempotency key that describes
 * them (their add, their renames): those hold their name and email, which must not outlive them by the keys' 24 h.
 * A retry of such a call after the delete runs again, as after the key's expiry. The delete's own answer is kept,
 * so that a retry of the delete is answered as the first was.
 */
export async function deleteUser(id: string): Promise<User | null> {
  if (!isUuid(id)) return null
  return (await db()).transaction(async (tx) => {
    const [user] = await tx.delete(users).where(eq(users.id, id)).returning()
    if (user) await tx.delete(idempotencyKeys).where(sql`position(${id} in ${idempotencyKeys.outcome}::text) > 0`)
    return user ?? null
  })
}

export interface UserPage {
  users: User[]
  /** Opaque cursors for the older / newer neighbouring pages; null at either end. */
  nextCursor: string | null
  prevCursor: string | null
}

/** The id of the latest change to the directory (0 for none): a page rendered now follows the changes after it. */
export async function latestEventSeq(): Promise<number> {
  const [row] = await (await db()).select({ last: max(userEvents.seq) }).from(userEvents)
  return Number(row?.last ?? 0)
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`)

/** Newest first, keyset-paginated on (created_at, id), optionally filtered by a name fragment. */
export async function listUsers({ q, cursor: token, limit }: ListUsersInput): Promise<UserPage> {
  const cursor = token ? decodeCursor(token) : null
  if (token && !cursor) {
    throw new OperationError('VALIDATION_FAILED', 'The cursor is not valid: use one from a previous page.', {
      issues: [{ path: 'cursor', message: 'Invalid cursor' }],
    })
  }
  const search = q ? ilike(users.name, `%${escapeLike(q)}%`) : undefined
  const position = (op: '<' | '>', at: { createdAt: string; id: string }): SQL =>
    sql`(${users.createdAt}, ${users.id}) ${sql.raw(op)} (${at.createdAt}::timestamptz, ${at.id}::uuid)`
  const page = async (where: SQL | undefined, newestFirst: boolean) =>
    (await db())
      .select()
      .from(users)
      .where(and(search, where))
      .orderBy(...(newestFirst ? [desc(users.createdAt), desc(users.id)] : [asc(users.createdAt), asc(users.id)]))
      .limit(limit + 1)

  const cursorFor = (direction: 'next' | 'prev', user: User | undefined) =>
    user ? encodeCursor({ direction, createdAt: user.createdAt.toISOString(), id: user.id }) : null

  if (cursor?.direction === 'prev') {
    const newer = await page(position('>', cursor), false)
    if (newer.length > limit) {
      const rows = newer.slice(0, limit).reverse()
      return { users: rows, prevCursor: cursorFor('prev', rows[0]), nextCursor: cursorFor('next', rows.at(-1)) }
    }
    // Fewer than a page of newer rows: we are back at the start, so show the first page.
  }
  const rows = await page(cursor?.direction === 'next' ? position('<', cursor) : undefined, true)
  const shown = rows.slice(0, limit)
  return {
    users: shown,
    nextCursor: rows.length > limit ? cursorFor('next', shown.at(-1)) : null,
    prevCursor: cursor?.direction === 'next' ? cursorFor('prev', shown[0]) : null,
  }
}
