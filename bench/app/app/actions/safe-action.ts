'use server'

import { insertUser } from '@/lib/db'
import { newUserInput } from '@/lib/new-user'
import { actionClient } from '@/lib/safe-action'

// The add-user Server Action through next-safe-action, called with an object (`{ name }`).
export const addUserSafeAction = actionClient.inputSchema(newUserInput).action(async ({ parsedInput }) => {
  const user = await insertUser(parsedInput)
  return { message: `User ${user.name} added via server action`, user }
})
