import { ActionError } from './errors'

export const DEFAULT_BODY_LIMIT = 1024 * 1024

function tooLarge(limit: number): ActionError {
  return new ActionError('PAYLOAD_TOO_LARGE', `The request body is larger than the limit of ${limit} bytes.`)
}

/** Reads the body into memory, refusing as soon as it passes `limit` bytes (declared or streamed). */
async function readCapped(request: Request, limit: number): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length'))
  if (declared > limit) throw tooLarge(limit)
  if (!request.body) return Buffer.alloc(0)
  const chunks: Buffer[] = []
  let size = 0
  const reader = request.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel()
      throw tooLarge(limit)
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength))
  }
  return Buffer.concat(chunks)
}

const mediaTypeOf = (request: Request) =>
  (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()

/** A request body: parsed JSON, or form fields still to be shaped by the operation's schema. */
export type Body = { json: unknown } | { form: FormData | URLSearchParams }

/**
 * Reads a JSON, urlencoded or multipart body; `undefined` when there is none. Anything else
 * answers 415, malformed JSON or multipart 400, an oversized body 413.
 */
export async function readBody(request: Request, limit = DEFAULT_BODY_LIMIT): Promise<Body | undefined> {
  const mediaType = mediaTypeOf(request)
  const bytes = await readCapped(request, limit)
  if (bytes.byteLength === 0) return undefined

  if (mediaType === 'application/json' || mediaType.endsWith('+json')) {
    try {
      return { json: JSON.parse(new TextDecoder().decode(bytes)) }
    } catch {
      throw new ActionError('BAD_REQUEST', 'The request body is not valid JSON.')
    }
  }
  if (mediaType === 'application/x-www-form-urlencoded') {
    return { form: new URLSearchParams(new TextDecoder().decode(bytes)) }
  }
  if (mediaType === 'multipart/form-data') {
    try {
      return { form: await new Response(new Blob([new Uint8Array(bytes)]), { headers: request.headers }).formData() }
    } catch {
      throw new ActionError('BAD_REQUEST', 'The request body is not valid multipart/form-data.')
    }
  }
  throw new ActionError(
    'UNSUPPORTED_MEDIA_TYPE',
    `Content-Type "${mediaType || '(none)'}" is not supported; send application/json, application/x-www-form-urlencoded or multipart/form-data.`,
  )
}
