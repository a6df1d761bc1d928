import { createHash } from 'node:crypto'
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

// zod 4 again, with a file field: the route door streams the file to disk and checks it while it arrives (its size,
// and its type from its bytes); the action door checks the file Next read. The handler reads the bytes it was given.
const IMAGE_MAX_BYTES = 64 * 1024
export const uploadImage = operation({
  name: 'uploadImage',
  summary: 'Upload an image',
  input: z.object({
    caption: z.string().max(80).optional(),
    image: z.file().max(IMAGE_MAX_BYTES, 'At most 64 KB').mime(['image/png', 'image/jpeg'], 'Choose a PNG or JPEG image'),
  }),
  handler: async ({ caption, image }) => {
    const bytes = new Uint8Array(await image.arrayBuffer())
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    return { message: `Received ${image.name}: ${bytes.length} bytes, sha256 ${sha256}`, name: image.name, type: image.type, size: bytes.length, sha256, caption: caption ?? null }
  },
  http: { status: 201 },
})

/** When each countdown's handler stopped, by its label: what the consumer test reads to time an abort. */
export const countdownStops = ((globalThis as { countdownStops?: Map<string, number> }).countdownStops ??= new Map<string, number>())

// A stream, served by both doors: an async generator, one item every `everyMs`, that stops when its reader goes.
export const countdown = operation({
  name: 'countdown',
  summary: 'Count down, one number at a time',
  input: z.object({ label: z.string().max(40), from: z.number().int().min(1).max(1000), everyMs: z.number().int().min(1).max(1000).default(50) }),
  async *handler({ label, from, everyMs }, ctx) {
    try {
      for (let n = from; n >= 1; n--) {
        yield { label, n }
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, everyMs)
          ctx.signal.addEventListener('abort', () => (clearTimeout(timer), reject(ctx.signal.reason)), { once: true })
        })
      }
    } finally {
      countdownStops.set(label, Date.now())
    }
  },
  stream: { item: z.object({ label: z.string(), n: z.number().int() }), id: (item) => String(item.n), event: () => 'tick' },
})

/** The time a countdown stopped (ms since the epoch), or null while it runs. */
export const countdownStopped = operation({
  name: 'countdownStopped',
  input: z.object({ label: z.string().max(40) }),
  handler: ({ label }) => ({ stoppedAt: countdownStops.get(label) ?? null }),
})
