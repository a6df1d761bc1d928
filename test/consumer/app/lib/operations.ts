import { operation } from 'actionroute'
import { toStandardJsonSchema } from '@valibot/to-json-schema'
import { type } from 'arktype'
import * as v from 'valibot'
import { z } from 'zod'

// One operation per schema library. Each validates through Standard Schema and describes itself
// (for form coercion and OpenAPI) through Standard JSON Schema.

// zod 4: both built in.
export const subscribe = operation({
  name: 'subscribe',
  summary: 'Subscribe to the newsletter',
  input: z.object({
    name: z.string().trim().min(2, 'Use at least 2 characters'),
    email: z.email('Enter an email address'),
  }),
  handler: ({ name, email }) => ({ message: `Subscribed ${name} <${email}>`, email }),
  http: { status: 201 },
})

// valibot 1: validation built in; JSON Schema through @valibot/to-json-schema's toStandardJsonSchema().
export const createTag = operation({
  name: 'createTag',
  summary: 'Create a tag',
  input: toStandardJsonSchema(
    v.object({
      label: v.pipe(v.string(), v.minLength(3), v.maxLength(24), v.regex(/^[a-z0-9-]+$/, 'Lowercase letters, digits and dashes')),
    }),
  ),
  handler: ({ label }) => ({ message: `Created #${label}`, label }),
  http: { status: 201, location: ({ label }) => `/tags/${label}` },
})

// arktype 2: both built in.
export const bookSeats = operation({
  name: 'bookSeats',
  summary: 'Book seats on a flight',
  input: type({ flight: /^[A-Z]{2}\d{1,4}$/, seats: '1 <= number.integer <= 9' }),
  handler: ({ flight, seats }) => ({ message: `Booked ${seats} on ${flight}`, flight, seats }),
})
