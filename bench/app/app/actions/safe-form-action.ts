'use server'

import { z } from 'zod'
import { insertUser } from '@/lib/db'
import { newUserInput } from '@/lib/new-user'
import { actionClient } from '@/lib/safe-action'

// The add-user Server Action through next-safe-action as a form action (`stateAction`, for useActionState):
// called with the previous result and the form's FormData, like formAction() and the plain action. The form's
// fields become the schema's input the way the plain action reads them.
const formInput = z.preprocess(
  (input) => (input instanceof FormData ? { name: input.get('name'), email: input.get('email') || undefined } : input),
  newUserInput,
)

export const addUserSafeFormAction = actionClient.inputSchema(formInput).stateAction(async ({ parsedInput }) => {
  const user = await insertUser(parsedInput)
  return { message: `User ${user.name} added via server action`, user }
})
