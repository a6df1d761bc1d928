'use server'

import { z } from 'zod'
import { insertUser, type BenchUser, type NewUser } from '@/lib/db'
import { newUserInput } from '@/lib/new-user'

// The add-user Server Action written by hand, in the plain Next.js style, for useActionState: the schema's
// safeParse on the form's fields, the insert, the answer as the form's next state.

export type PlainState =
  | { status: 'idle' }
  | { status: 'success'; message: string; user: BenchUser }
  | { status: 'error'; errors: { [Field in keyof NewUser]?: string[] } }

export async function addUserPlainAction(_previous: PlainState, formData: FormData): Promise<PlainState> {
  // Validate form fields
  const parsed = newUserInput.safeParse({ name: formData.get('name'), email: formData.get('email') || undefined })
  if (!parsed.success) return { status: 'error', errors: z.flattenError(parsed.error).fieldErrors }
  // Insert the user
  const user = await insertUser(parsed.data)
  return { status: 'success', message: `User ${user.name} added via server action`, user }
}
