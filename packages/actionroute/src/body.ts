import { ActionError } from './errors'
import { parseFormData } from './form-data'

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

/**
 * Reads a JSON, urlencoded or multipart body. An empty body reads as `undefined`;
 * anything else answers 415, malformed JSON 400, an oversized body 413.
 */
export async function readBody(request: Request, limit = DEFAULT_BODY_LIMIT): Promise<unknown> {
  const mediaType = mediaTypeOf(request)
  const bytes = await readCapped(request, limit)
  if (bytes.byteLength === 0) return undefined

  if (mediaType === 'application/json' || mediaType.endsWith('+json')) {
    try {
      return JSON.parse(new TextDecoder().decode(bytes))
    } catch {
      throw new ActionError('BAD_REQUEST', 'The request body is not valid JSON.')
    }
  }
  if (mediaType === 'application/x-www-form-urlencoded') {
    return parseFormData(new URLSearchParams(new TextDecoder().decode(bytes)))
  }
  if (mediaType === 'multipart/form-data') {
    try {
      const form = await new Response(new Blob([new Uint8Array(bytes)]), { headers: request.headers }).formData()
      return parseFormData(form)
    } catch {
      throw new ActionError('BAD_REQUEST', 'The request body is not valid multipart/form-data.')
    }
  }
  throw new ActionError(
    'UNSUPPORTED_MEDIA_TYPE',
    `Content-Type "${mediaType || '(none)'}" is not supported; send application/json, application/x-www-form-urlencoded or multipart/form-data.`,
  )
}
