import { OperationError } from '../core/errors'
import { parseUrlEncoded, type FormLimits } from '../input/form-data'
import { checkJsonShape, type JsonLimits } from '../input/json'
import type { FileLimits } from '../input/files'
import { readMultipart, stopReading, type MultipartFiles } from '../input/multipart'

export const DEFAULT_BODY_LIMIT = 1024 * 1024

export interface BodyOptions {
  /** Largest body in bytes; default 1 MB. */
  limit?: number
  /** Bounds on a JSON body's nesting and keys per object; see `DEFAULT_JSON_LIMITS`. */
  jsonLimits?: Partial<JsonLimits>
  /** Bounds on form fields; a urlencoded body stops being read past `maxFields`. */
  formLimits?: Partial<FormLimits>
  /** A multipart body's files streamed into a sink, checked against their fields' rules; in memory without. */
  files?: MultipartFiles & Partial<FileLimits>
}

function tooLarge(limit: number): OperationError {
  return new OperationError('PAYLOAD_TOO_LARGE', `The request body is larger than the limit of ${limit} bytes.`)
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
      stopReading(reader)
      throw tooLarge(limit)
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength))
  }
  return Buffer.concat(chunks)
}

/** The media type and charset of a Content-Type header, lower-cased: `application/json; charset=UTF-8` → json, utf-8. */
export function contentTypeOf(request: Request): { mediaType: string; charset: string | undefined } {
  const [type = '', ...parameters] = (request.headers.get('content-type') ?? '').split(';')
  const charset = parameters
    .map((parameter) => parameter.trim().toLowerCase())
    .find((parameter) => parameter.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/^"(.*)"$/, '$1')
  return { mediaType: type.trim().toLowerCase(), charset }
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Text as UTF-8, refusing bytes that are not: a replaced character would silently change what is stored. */
function decodeUtf8(bytes: Buffer): string {
  try {
    return utf8.decode(bytes)
  } catch {
    throw new OperationError('BAD_REQUEST', 'The request body is not valid UTF-8.')
  }
}

/** The media types a route accepts for a body, in the order documented. */
export const BODY_MEDIA_TYPES = ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'] as const

/** A request body: parsed JSON, or form fields still to be shaped by the operation's schema. */
export type Body = { json: unknown } | { form: FormData | URLSearchParams }

/**
 * Reads a JSON, urlencoded or multipart body; `undefined` when there is none. Any other media type
 * or a charset other than UTF-8 answers 415, malformed JSON, UTF-8 or multipart 400, an oversized body 413.
 */
export async function readBody(
  request: Request,
  { limit = DEFAULT_BODY_LIMIT, jsonLimits, formLimits, files }: BodyOptions = {},
): Promise<Body | undefined> {
  const { mediaType, charset } = contentTypeOf(request)
  if (mediaType === 'multipart/form-data') {
    checkCharset(charset)
    // Streamed: its limits stop the parsing, not only the answer.
    const limits = { limit, maxParts: formLimits?.maxFields, maxNameLength: formLimits?.maxNameLength, maxFileSize: files?.maxFileSize, maxFiles: files?.maxFiles }
    return { form: await readMultipart(request, limits, files) }
  }
  const bytes = await readCapped(request, limit)
  if (bytes.byteLength === 0) return undefined

  if (!(BODY_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
    throw new OperationError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type "${mediaType || '(none)'}" is not supported; send ${BODY_MEDIA_TYPES.join(', ')}.`,
    )
  }
  checkCharset(charset)
  if (mediaType === 'application/json') {
    const text = decodeUtf8(bytes)
    checkJsonShape(text, jsonLimits)
    try {
      return { json: JSON.parse(text) }
    } catch {
      throw new OperationError('BAD_REQUEST', 'The request body is not valid JSON.')
    }
  }
  return { form: parseUrlEncoded(decodeUtf8(bytes), formLimits) }
}

export function checkCharset(charset: string | undefined): void {
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new OperationError('UNSUPPORTED_MEDIA_TYPE', `Charset "${charset}" is not supported; send UTF-8.`)
  }
}
