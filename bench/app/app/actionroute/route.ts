import { operation, route } from 'actionroute'
import { insertUser } from '@/lib/db'
import { newUserInput } from '@/lib/new-user'

// Variant (b): the same add-user work served by actionroute's route(), validated by a zod 4 schema.

const addUser = operation({
  name: 'addUser',
  input: newUserInput,
  handler: async (input) => {
    const user = await insertUser(input)
    return { message: `User ${user.name} added via API route`, user }
  },
  http: { status: 201 },
})

export const POST = route(addUser)
