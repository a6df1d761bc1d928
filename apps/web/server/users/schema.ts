import { z } from 'zod'
import { avatarFile } from './avatars'

// The rules for a user's fields, in one place: the API, the forms and the database checks agree on them.
export const NAME_MAX = 100
export const EMAIL_MAX = 254

const textRequired = (field: string) => (issue: { input: unknown }) =>
  issue.input === undefined || issue.input === null ? `${field} is required` : `${field} must be text`

// A name may not hold characters that hide or rearrange text: controls, line and paragraph
// separators, bidi controls (they reorder what surrounds the name), or lone surrogates (not UTF-8).
const HIDDEN_OR_REORDERING = '\\p{Cc}\\p{Cs}\\p{Zl}\\p{Zp}\\u061C\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069'
// Characters that show nothing: spaces, format characters (U+200B), fillers (U+3164, U+2800).
const INVISIBLE = '\\p{White_Space}\\p{Cc}\\p{Cf}\\p{Cs}\\p{Zl}\\p{Zp}\\p{Default_Ignorable_Code_Point}\\u2800'
/** No hidden or reordering characters anywhere (anchored); and, below, at least one visible character. */
export const NAME_ALLOWED = new RegExp(`^[^${HIDDEN_OR_REORDERING}]*$`, 'u')
export const NAME_VISIBLE = new RegExp(`[^${INVISIBLE}]`, 'u')

export const userName = z
  .string({ error: textRequired('Name') })
  .trim()
  .normalize('NFC')
  // A blank name gets this one message, not also "must contain a visible character".
  .min(1, { error: 'Name is required', abort: true })
  .refine((name) => [...name].length <= NAME_MAX, `Name must be at most ${NAME_MAX} characters`)
  .regex(NAME_ALLOWED, 'Name must not contain control characters, line breaks or text-direction controls')
  .regex(NAME_VISIBLE, 'Name must contain a visible character')
  .meta({
    description:
      'Trimmed and NFC-normalized; 1–100 characters; at least one visible character; no control characters, ' +
      'line or paragraph separators, or bidirectional-text controls',
    maxLength: NAME_MAX,
  })

/**
 * Emails are checked exactly as sent against an ASCII address pattern (the one the OpenAPI document
 * states; browsers already trim an email input), then lower-cased: so their normal form is ASCII
 * lower case, and no Unicode look-alike (the Kelvin sign K) folds into another user's address.
 */
const EMAIL_MESSAGE = 'Enter a valid email address, like ada@example.com'
// zod's address pattern lets a domain label end with "-" (a@b-.com) or run past 63 characters; the
// `format: email` the document also states does not. The server checks both, so both say the same.
const DOMAIN_LABELS = /@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/

export const userEmail = z
  .string({ error: textRequired('Email') })
  .max(EMAIL_MAX, `Email must be at most ${EMAIL_MAX} characters`)
  .email({ error: EMAIL_MESSAGE, abort: true })
  .regex(DOMAIN_LABELS, EMAIL_MESSAGE)
  .toLowerCase()
  .meta({ description: 'An ASCII address; stored lower-case, and unique regardless of case' })

/** Any string may name a user; one that is not a UUID simply matches no user (404, not 422). */
export const userId = z.string({ error: textRequired('User id') })

export const newUserInput = z.object({
  name: userName,
  // null is accepted as "no email", so a user object read from the API can be posted back as is
  email: userEmail.nullish(),
  // Only in a multipart body (a form); JSON adds a user without one.
  avatar: avatarFile.optional(),
})

export const setAvatarInput = z.object({ id: userId, avatar: avatarFile })

export const getAvatarInput = z.object({
  id: userId,
  v: z.string().max(64).optional().describe('The avatar version (`avatarEtag` without quotes): an answer for it may be cached for good'),
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
  // The refinement above, for OpenAPI: a body must carry at least one of the two.
  .meta({ anyOf: [{ required: ['name'] }, { required: ['email'] }] })

export const renameUserInput = z.object({ id: userId, name: userName })

export const userIdInput = z.object({ id: userId })

export const PAGE_SIZE_DEFAULT = 20

export const listUsersInput = z.object({
  q: z
    .string()
    .trim()
    .max(NAME_MAX, `Search must be at most ${NAME_MAX} characters`)
    .regex(NAME_ALLOWED, 'Search must not contain control characters')
    .optional(),
  cursor: z.string().max(200, 'Invalid cursor').optional(),
  // A query string is text: actionroute turns decimal digits into a number (and nothing else, so no `0x10`).
  limit: z
    .number({ error: 'limit must be a number from 1 to 100' })
    .int('limit must be a whole number from 1 to 100')
    .min(1, 'limit must be a number from 1 to 100')
    .max(100, 'limit must be a number from 1 to 100')
    .default(PAGE_SIZE_DEFAULT),
})

export const followUsersInput = z.object({
  after: z
    .number({ error: 'after must be an event id (a whole number)' })
    .int('after must be an event id (a whole number)')
    .min(0, 'after must be an event id (a whole number)')
    .max(Number.MAX_SAFE_INTEGER, 'after must be an event id (a whole number)')
    .optional()
    .describe('Start after this event id (the page renders the latest); a reconnecting browser sends Last-Event-ID instead'),
})

export type NewUserInput = z.output<typeof newUserInput>
export type UpdateUserInput = z.output<typeof updateUserInput>
export type ListUsersInput = z.output<typeof listUsersInput>

// What the operations answer, as JSON: documents the responses in OpenAPI, checked outside production.
export const userJson = z
  .object({
    id: z.uuid(),
    name: z.string(),
    email: z.string().nullable(),
    door: z.enum(['action', 'route']).describe('The door the user came through: a Server Action or an API route'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    avatarEtag: z
      .string()
      .nullable()
      .describe('The avatar’s version, null without one: GET /api/users/{id}/avatar?v= this value without its quotes'),
  })
  // A named component in OpenAPI, shared by every response that holds a user.
  .meta({ id: 'User' })

export const userMessageJson = z.object({ message: z.string(), user: userJson })

export const userPageJson = z.object({
  users: z.array(userJson),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next (older) page; null on the last page'),
  prevCursor: z.string().nullable().describe('Pass as `cursor` for the previous (newer) page; null on the first page'),
})

/** One change to the directory, as `GET /api/users/events` streams it (the SSE event name is its `kind`). */
export const userEventJson = z
  .object({
    seq: z.number().int().describe('The event id: send it back as Last-Event-ID to resume after it'),
    kind: z.enum(['added', 'renamed', 'deleted']),
    id: z.uuid(),
    name: z.string(),
    at: z.iso.datetime(),
  })
  .meta({ id: 'UserEvent' })
