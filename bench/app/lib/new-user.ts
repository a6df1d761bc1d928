import { z } from 'zod'
import type { NewUser } from './db'

// The add-user rules twice, side by side: as the zod 4 schema every library variant validates with (actionroute,
// oRPC, next-safe-action) and as the hand-written checks of the plain Route Handler and Server Action. Both trim
// and NFC-normalize the name and lower-case the email; 1–100 characters, no control characters.

const NAME_MAX = 100
const EMAIL_MAX = 254

export const newUserInput = z.object({
  name: z
    .string()
    .trim()
    .normalize('NFC')
    .min(1, 'Name is required')
    .refine((name) => [...name].length <= NAME_MAX, `Name must be at most ${NAME_MAX} characters`)
    .refine((name) => !/\p{Cc}/u.test(name), 'Name must not contain control characters (such as line breaks)'),
  email: z
    .string()
    .trim()
    .toLowerCase()
    .max(EMAIL_MAX)
    .pipe(z.email('Enter a valid email address'))
    .optional(),
})

const CONTROL_CHARS = /\p{Cc}/u
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

export type Checked = { ok: true; value: NewUser } | { ok: false; errors: Record<string, string> }

export function checkNewUser(body: unknown): Checked {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: { body: 'Send a JSON object' } }
  }
  const { name: rawName, email: rawEmail } = body as Record<string, unknown>
  const errors: Record<string, string> = {}

  const name = typeof rawName === 'string' ? rawName.trim().normalize('NFC') : ''
  if (typeof rawName !== 'string') errors.name = rawName == null ? 'Name is required' : 'Name must be text'
  else if (name.length === 0) errors.name = 'Name is required'
  else if ([...name].length > NAME_MAX) errors.name = `Name must be at most ${NAME_MAX} characters`
  else if (CONTROL_CHARS.test(name)) errors.name = 'Name must not contain control characters (such as line breaks)'

  let email: string | undefined
  if (rawEmail !== undefined) {
    if (typeof rawEmail !== 'string') errors.email = 'Email must be text'
    else {
      email = rawEmail.trim().toLowerCase()
      if (email.length > EMAIL_MAX || !EMAIL.test(email)) errors.email = 'Enter a valid email address'
    }
  }

  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, value: { name, email } }
}
