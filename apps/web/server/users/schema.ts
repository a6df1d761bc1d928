import { z } from 'zod'

// The rules for a user's fields, in one place: the API, the forms and the database checks agree on them.
export const NAME_MAX = 100
export const EMAIL_MAX = 254

const textRequired = (field: string) => (issue: { input: unknown }) =>
  issue.input === undefined || issue.input === null ? `${field} is required` : `${field} must be text`

export const userName = z
  .string({ error: textRequired('Name') })
  .trim()
  .normalize('NFC')
  .min(1, 'Name is required')
  .refine((name) => [...name].length <= NAME_MAX, `Name must be at most ${NAME_MAX} characters`)
  .refine((name) => !/\p{Cc}/u.test(name), 'Name must not contain control characters (such as line breaks)')
  .meta({ description: 'Trimmed and NFC-normalized; 1–100 characters; no control characters', maxLength: NAME_MAX })

export const userEmail = z
  .string({ error: textRequired('Email') })
  .trim()
  .toLowerCase()
  .max(EMAIL_MAX, `Email must be at most ${EMAIL_MAX} characters`)
  .pipe(z.email('Enter a valid email address, like ada@example.com'))
  .meta({ description: 'Stored lower-case; unique regardless of case', format: 'email' })

/** Any string may name a user; one that is not a UUID simply matches no user (404, not 422). */
export const userId = z.string({ error: textRequired('User id') })

export const newUserInput = z.object({
  name: userName,
  // null is accepted as "no email", so a user object read from the API can be posted back as is
  email: userEmail.nullish(),
})

export const updateUserInput = z
  .object({
    id: userId,
    name: userName.optional(),
    // null clears the email
    email: userEmail.nullable().optional(),
  })
  .refine((input) => input.name !== undefined || input.email !== undefined, {
    message: 'Send a name or an email to change',
  })

export const renameUserInput = z.object({ id: userId, name: userName })

export const userIdInput = z.object({ id: userId })

export const PAGE_SIZE_DEFAULT = 20

export const listUsersInput = z.object({
  q: z.string().trim().max(NAME_MAX, `Search must be at most ${NAME_MAX} characters`).optional(),
  cursor: z.string().optional(),
  limit: z.coerce
    .number({ error: 'limit must be a number from 1 to 100' })
    .int('limit must be a whole number from 1 to 100')
    .min(1, 'limit must be a number from 1 to 100')
    .max(100, 'limit must be a number from 1 to 100')
    .default(PAGE_SIZE_DEFAULT),
})

export type NewUserInput = z.output<typeof newUserInput>
export type UpdateUserInput = z.output<typeof updateUserInput>
export type ListUsersInput = z.output<typeof listUsersInput>

// What the operations answer, as JSON: documents the responses in OpenAPI, checked outside production.
export const userJson = z.object({
  id: z.uuid(),
  name: z.string(),
  email: z.string().nullable(),
  source: z.enum(['action', 'api']).describe('Which door the user came through'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
})

export const userMessageJson = z.object({ message: z.string(), user: userJson })

export const userPageJson = z.object({
  users: z.array(userJson),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next (older) page; null on the last page'),
  prevCursor: z.string().nullable().describe('Pass as `cursor` for the previous (newer) page; null on the first page'),
})
