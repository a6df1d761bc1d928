import type { Context } from 'actionroute'
import { reads, writes } from '@/server/bases'
import type { User } from '@/server/db/schema'
import { userErrors } from './errors'
import * as queries from './queries'
import {
  type UpdateUserInput,
  listUsersInput,
  newUserInput,
  renameUserInput,
  updateUserInput,
  userIdInput,
  userJson,
  userMessageJson,
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
  handler: async (input, ctx) => {
    const user = await queries.insertUser(input, ctx.door)
    return { message: `User ${user.name} added via ${doorName(ctx)}`, user }
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
    return { message: `User ${user.name} deleted`, user }
  },
  http: { status: 204 },
})
