'use server'

import { insertUser, type BenchUser } from '@/lib/db'
import { checkNewUser } from '@/lib/new-user'

// The add-user Server Action written by hand, in the plain Next.js style, for useActionState:
// the hand-written route's checks and insert, its answer as the form's next state.

export type PlainState =
  | { status: 'idle' }
  | { status: 'success'; message: string; user: BenchUser }
  | { status: 'error'; errors: Record<string, string> }

export async function addUserPlainAction(_previous: PlainState, formData: FormData): Promise<PlainState> {
  // Validate form fields
  const checked = checkNewUser({ name: formData.get('name'), email: formData.get('email') || undefined })
  if (!checked.ok) return { status: 'error', errors: checked.errors }
  // Insert the user
  const user = await insertUser(checked.value)
  return { status: 'success', message: `User ${user.name} added via server action`, user }
}
