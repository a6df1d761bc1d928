import { operation, type Context } from 'actionroute'
import type { User } from '@/server/db/schema'
import * as queries from './queries'
import { type UpdateUserInput, listUsersInput, newUserInput, renameUserInput, updateUserInput, userIdInput } from './schema'

// Each users operation is defined once here and served by both doors: app/api/** and app/actions.ts.

const doorName = (ctx: Context) => (ctx.transport === 'action' ? 'server action' : 'API route')

async function found(id: string, user: Promise<User | null>): Promise<User> {
  const result = await user
  if (!result) throw queries.userNotFound(id)
  return result
}

export const addUser = operation({
  name: 'addUser',
  input: newUserInput,
  handler: async (input, ctx) => {
    const user = await queries.insertUser(input, ctx.transport === 'action' ? 'action' : 'api')
    return { message: `User ${user.name} added via ${doorName(ctx)}`, user }
  },
  http: { status: 201, location: ({ user }) => `/api/users/${user.id}` },
})

export const listUsers = operation({
  name: 'listUsers',
  input: listUsersInput,
  handler: (input) => queries.listUsers(input),
})

export const getUser = operation({
  name: 'getUser',
  input: userIdInput,
  handler: ({ id }) => found(id, queries.findUser(id)),
})

async function update(input: UpdateUserInput) {
  const user = await found(input.id, queries.updateUser(input))
  return { message: `User ${user.name} updated`, user }
}

/** PATCH /api/users/{id}: change the name, the email, or both. */
export const updateUser = operation({ name: 'updateUser', input: updateUserInput, handler: update })

/** The rename form: like updateUser, but the name is required, so a blank one is reported on its field. */
export const renameUser = operation({ name: 'renameUser', input: renameUserInput, handler: update })

export const deleteUser = operation({
  name: 'deleteUser',
  input: userIdInput,
  handler: async ({ id }) => {
    const user = await found(id, queries.deleteUser(id))
    return { message: `User ${user.name} deleted`, user }
  },
  http: { status: 204 },
})
