import type { Context } from 'actionroute'
import { imports, reads, writes } from '@/server/bases'
import type { User } from '@/server/db/schema'
import { userErrors } from './errors'
import * as queries from './queries'
import { AVATAR_TYPE, findAvatar, normaliseAvatar, removeAvatarFile, saveAvatar } from './avatars'
import { requestDatabase } from '@/server/db/for-requests'
import { feedFor } from './feed'
import { callerOf } from 'actionroute'
import { isUuid } from './cursor'
import { cancelImport as requestCancel, cancelImportInput, cancelImportJson, importErrors, importEventJson, importUsersInput, IMPORT_BATCH, startImport } from './import'
import {
  type UpdateUserInput,
  followUsersInput,
  getAvatarInput,
  setAvatarInput,
  listUsersInput,
  newUserInput,
  renameUserInput,
  updateUserInput,
  userIdInput,
  userJson,
  userMessageJson,
  userEventJson,
  userPageJson,
} from './schema'

// Each users operation is defined once here and served by both doors: app/api/** and app/actions.ts.

const doorName = (ctx: Context) => (ctx.door === 'action' ? 'server action' : 'API route')
const tags = ['users']
// Every write changes the home page's list: the action door re-renders it in the same response.
const changesList = { tags, revalidate: { paths: ['/'] } } as const

async function found(id: string, user: Promise<User | null>): Promise<User> {
  const result = await user
  if (!result) throw queries.userNotFound(id)
  return result
}

export const addUser = writes.operation({
  ...changesList,
  name: 'addUser',
  summary: 'Add a user',
  input: newUserInput,
  output: userMessageJson,
  errors: { EMAIL_TAKEN: userErrors.EMAIL_TAKEN },
  handler: async ({ avatar, ...input }, ctx) => {
    // The image is read before the user is added: one it refuses adds no user.
    const image = avatar && (await normaliseAvatar(avatar))
    const user = await queries.insertUser(input, ctx.door)
    const stored = image && (await saveAvatar(user.id, image))
    return { message: `User ${user.name} added via ${doorName(ctx)}`, user: stored ? { ...user, avatarEtag: stored.etag } : user }
  },
  http: { status: 201, location: ({ user }) => `/api/users/${user.id}` },
})

export const listUsers = reads.operation({
  tags,
  name: 'listUsers',
  summary: 'List users, newest first',
  description: 'Keyset-paginated: follow `nextCursor` / `prevCursor`. `q` matches part of a name, ignoring case.',
  input: listUsersInput,
  output: userPageJson,
  handler: (input) => queries.listUsers(input),
})

export const getUser = reads.operation({
  tags,
  name: 'getUser',
  summary: 'Get one user',
  input: userIdInput,
  output: userJson,
  errors: { NOT_FOUND: userErrors.NOT_FOUND },
  handler: ({ id }) => found(id, queries.findUser(id)),
})

async function update(input: UpdateUserInput) {
  const user = await found(input.id, queries.updateUser(input))
  return { message: `User ${user.name} updated`, user }
}

export const updateUser = writes.operation({
  ...changesList,
  name: 'updateUser',
  summary: 'Change a user’s name, email, or both',
  description: '`email: null` removes the email.',
  input: updateUserInput,
  output: userMessageJson,
  errors: userErrors,
  handler: update,
})

/** The rename form: like updateUser, but the name is required, so a blank one is reported on its field. */
export const renameUser = writes.operation({
  ...changesList,
  name: 'renameUser',
  summary: 'Rename a user',
  input: renameUserInput,
  output: userMessageJson,
  errors: { NOT_FOUND: userErrors.NOT_FOUND },
  handler: update,
})

export const deleteUser = writes.operation({
  ...changesList,
  name: 'deleteUser',
  summary: 'Delete a user',
  input: userIdInput,
  output: userMessageJson,
  errors: { NOT_FOUND: userErrors.NOT_FOUND },
  handler: async ({ id }) => {
    const user = await found(id, queries.deleteUser(id))
    await removeAvatarFile(user.id, user.avatarEtag)
    return { message: `User ${user.name} deleted`, user }
  },
  http: { status: 204 },
})

export const setAvatar = writes.operation({
  ...changesList,
  name: 'setAvatar',
  summary: 'Set a user’s avatar',
  description: 'A PNG, JPEG or WebP image of at most 5 MB, in the multipart field `avatar`; stored as a 256 × 256 WebP.',
  input: setAvatarInput,
  output: userMessageJson,
  errors: { NOT_FOUND: userErrors.NOT_FOUND },
  handler: async ({ id, avatar }) => {
    const image = await normaliseAvatar(avatar)
    if (!(await saveAvatar(id, image))) throw queries.userNotFound(id)
    const user = await found(id, queries.findUser(id))
    return { message: `Avatar of ${user.name} updated`, user }
  },
})

/** A year: the URL with `?v=` names one version of the avatar, which never changes. */
const IMMUTABLE = 'public, max-age=31536000, immutable'

export const getAvatar = reads.operation({
  tags,
  name: 'getAvatar',
  summary: 'Get a user’s avatar',
  description: 'The stored 256 × 256 WebP, with an ETag; 304 for a matching If-None-Match.',
  input: getAvatarInput,
  errors: { NOT_FOUND: userErrors.NOT_FOUND },
  http: { produces: [AVATAR_TYPE] },
  handler: async ({ id, v }, ctx) => {
    const avatar = await findAvatar(id)
    if (!avatar) throw userErrors.NOT_FOUND({ message: `The user ${id} has no avatar.` })
    const headers = {
      'content-type': avatar.contentType,
      etag: avatar.etag,
      // Versioned URLs are cached for good; the plain one is checked each time (a 304 when unchanged).
      'cache-control': v === avatar.etag.slice(1, -1) ? IMMUTABLE : 'no-cache',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'last-modified': avatar.updatedAt.toUTCString(),
    }
    const matches = ctx.headers.get('if-none-match')?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === avatar.etag)
    if (matches) return new Response(null, { status: 304, headers })
    return new Response(new Uint8Array(avatar.bytes), { headers: { ...headers, 'content-length': String(avatar.size) } })
  },
})

/** An event id as a browser sends it back (Last-Event-ID): digits only, or none. */
const eventId = (text: string | undefined) => (text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined)

export const followUsers = reads.operation({
  tags,
  name: 'followUsers',
  summary: 'Follow changes to the directory, live',
  description:
    'Server-sent events, one per change (`added`, `renamed`, `deleted`), from every instance. A reconnecting client ' +
    'sends `Last-Event-ID` and gets what it missed first (changes are kept an hour; at most the latest 1,000 are resent).',
  input: followUsersInput,
  // Not a generator: a full instance (or one shutting down) answers 503 before the stream starts.
  handler: async ({ after }, ctx) => {
    const feed = feedFor(await requestDatabase())
    feed.admit()
    // Listening before subscribing: from here on, every change is read and handed to this subscriber.
    await feed.start()
    return feed.subscribe(eventId(ctx.lastEventId) ?? after, ctx.signal)
  },
  stream: { item: userEventJson, id: (event) => String(event.seq), event: (event) => event.kind },
})

export const importUsers = imports.operation({
  tags,
  name: 'importUsers',
  summary: 'Import users from a CSV file',
  description:
    `A CSV of a name and an email (optional) per line, with or without a header line \`name,email\`: sent as the body ` +
    `(\`Content-Type: text/csv\`) or as the multipart field \`file\`. Answers server-sent events: a \`progress\` at once and after each ` +
    `batch of ${IMPORT_BATCH.toLocaleString('en')} rows stored, then a \`done\` summary with the first rows not added and why. ` +
    'A row that is not a valid user, or whose email is taken, is reported and skipped. Each batch is stored whole or ' +
    'not at all; cancel with `POST /api/users/import/{id}/cancel` (closing the connection cancels too). With an ' +
    '`Idempotency-Key`, a retry resumes where the import stopped, and one that finished answers its summary again.',
  input: importUsersInput,
  errors: { IMPORT_RUNNING: importErrors.IMPORT_RUNNING, IMPORT_KEY_REUSED: importErrors.IMPORT_KEY_REUSED },
  http: { fileBody: 'file' },
  // Not a generator: a key in use (409), used for another file (422) or a busy server (503) is answered before the stream.
  handler: async ({ file }, ctx) =>
    startImport(await requestDatabase(), file, {
      door: ctx.door,
      key: ctx.idempotencyKey === undefined ? undefined : `${callerOf(ctx)}:${ctx.idempotencyKey}`,
      signal: ctx.signal,
    }),
  stream: { item: importEventJson, event: (event) => event.type },
})

export const cancelImport = writes.operation({
  tags,
  name: 'cancelImport',
  summary: 'Cancel a running import',
  description: 'The import stops after the batch it is storing (whichever instance runs it); its stream ends with its summary.',
  input: cancelImportInput,
  output: cancelImportJson,
  errors: { IMPORT_NOT_FOUND: importErrors.IMPORT_NOT_FOUND },
  handler: async ({ id }) => {
    const found = isUuid(id) ? await requestCancel(await requestDatabase(), id) : undefined
    if (!found) throw importErrors.IMPORT_NOT_FOUND({ message: `No import with id ${id}.` })
    const message = found.status === 'running' ? 'Cancelling: the import stops after its current batch.' : `This import has already ended (${found.status}).`
    return { message, status: found.status, stored: found.stored }
  },
})
