import { z } from 'zod'

// The add-user rules, one zod 4 schema for every variant, so that only the door differs between them: the name
// trimmed and NFC-normalized, 1–100 characters, no control characters; the email trimmed and lower-cased.

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
