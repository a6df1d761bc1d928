import { OperationError } from '../core/errors'
import { DEFAULT_FORM_LIMITS } from './form-data'

/** Bounds on a multipart body, each enforced while the bytes arrive, so a refusal stops the work. */
export interface MultipartLimits {
  /** Largest body in bytes: past it, 413. Default 1 MB. */
  limit: number
  /** Most parts: past it, 400 before another byte is parsed. Default 1,000 (`DEFAULT_FORM_LIMITS.maxFields`). */
  maxParts: number
  /** Longest field name or file name, in UTF-16 code units. Default 1,000. */
  maxNameLength: number
}

export const DEFAULT_MULTIPART_LIMITS: Readonly<MultipartLimits> = Object.freeze({
  limit: 1024 * 1024,
  maxParts: DEFAULT_FORM_LIMITS.maxFields,
  maxNameLength: DEFAULT_FORM_LIMITS.maxNameLength,
})

/** The limits given, the defaults for the rest (an `undefined` limit is a default too). */
const limitsOf = (limits: Partial<MultipartLimits>): MultipartLimits => ({
  limit: limits.limit ?? DEFAULT_MULTIPART_LIMITS.limit,
  maxParts: limits.maxParts ?? DEFAULT_MULTIPART_LIMITS.maxParts,
  maxNameLength: limits.maxNameLength ?? DEFAULT_MULTIPART_LIMITS.maxNameLength,
})

const bad = (message: string) => new OperationError('BAD_REQUEST', `The multipart body is malformed: ${message}`)
const tooLarge = (limit: number) => new OperationError('PAYLOAD_TOO_LARGE', `The request body is larger than the limit of ${limit} bytes.`)

const CRLF = Buffer.from('\r\n')
const HEADER_END = Buffer.from('\r\n\r\n')
const utf8 = new TextDecoder('utf-8', { fatal: true })
const EMPTY = Buffer.alloc(0)

function decode(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes)
  } catch {
    throw new OperationError('BAD_REQUEST', `The multipart body holds ${what} that is not valid UTF-8.`)
  }
}

/** The boundary of a `multipart/form-data; boundary=…` Content-Type (RFC 2046: 1–70 characters), or a 400. */
export function boundaryOf(contentType: string): string {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))\s*(?:;|$)/i.exec(contentType)
  const boundary = match?.[1] ?? match?.[2]
  if (!boundary) throw bad('its Content-Type has no boundary of 1 to 70 characters.')
  return boundary
}

/** `form-data; name="a"; filename="b.txt"` → its parameters, lower-cased names, values as sent. One pass. */
function dispositionOf(text: string): Map<string, string> {
  const semicolon = text.indexOf(';')
  const type = (semicolon === -1 ? text : text.slice(0, semicolon)).trim().toLowerCase()
  if (type !== 'form-data') throw bad(`a part's Content-Disposition is "${type.slice(0, 40)}", not form-data.`)
  const parameters = new Map<string, string>()
  let at = semicolon === -1 ? text.length : semicolon + 1
  while (at < text.length) {
    while (text[at] === ' ' || text[at] === '\t') at++
    const equals = text.indexOf('=', at)
    if (equals === -1) throw bad('a Content-Disposition parameter has no value.')
    const key = text.slice(at, equals).trim().toLowerCase()
    let value = ''
    at = equals + 1
    if (text[at] === '"') {
      // A quoted string, up to the next quote: browsers (and curl) write `"` as %22, and a backslash as itself.
      const close = text.indexOf('"', at + 1)
      if (close === -1) throw bad('a Content-Disposition parameter has no closing quote.')
      value = text.slice(at + 1, close)
      at = close + 1
    } else {
      const end = text.indexOf(';', at)
      value = text.slice(at, end === -1 ? text.length : end).trim()
      at = end === -1 ? text.length : end
    }
    while (text[at] === ' ' || text[at] === '\t') at++
    if (at < text.length && text[at++] !== ';') throw bad('Content-Disposition parameters must be separated by ";".')
    if (parameters.has(key)) throw bad(`a part's Content-Disposition names "${key.slice(0, 40)}" twice.`)
    parameters.set(key, value)
  }
  return parameters
}

interface PartHead {
  name: string
  filename: string | undefined
  type: string
}

/** A part's header block: Content-Disposition (form-data with a name) required, Content-Type and its charset checked. */
function headOf(block: Buffer, limits: MultipartLimits): PartHead {
  let disposition: string | undefined
  let type = ''
  for (const line of decode(block, 'a part header').split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon < 1 || line[0] === ' ' || line[0] === '\t') throw bad(`a part header line is not "Name: value".`)
    const header = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    if (header === 'content-disposition') {
      if (disposition !== undefined) throw bad('a part has two Content-Disposition headers.')
      disposition = value
    } else if (header === 'content-type') {
      type = value
    } else if (header === 'content-transfer-encoding' && !/^(7bit|8bit|binary)$/i.test(value)) {
      throw bad(`Content-Transfer-Encoding "${value.slice(0, 40)}" is not supported.`)
    }
  }
  if (disposition === undefined) throw bad('a part has no Content-Disposition header.')
  const parameters = dispositionOf(disposition)
  const name = parameters.get('name')
  if (name === undefined) throw bad('a part has no name.')
  const filename = parameters.get('filename')
  for (const [what, text] of [['field name', name], ['file name', filename ?? '']] as const) {
    if (text.length > limits.maxNameLength) throw new OperationError('BAD_REQUEST', `A ${what} is ${text.length} characters long; the limit is ${limits.maxNameLength}.`)
  }
  if (filename === undefined) {
    const charset = /;\s*charset="?([^";\s]*)/i.exec(type)?.[1]?.toLowerCase()
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      throw new OperationError('UNSUPPORTED_MEDIA_TYPE', `The field ${JSON.stringify(name.slice(0, 40))} is in charset "${charset.slice(0, 40)}"; send UTF-8.`)
    }
  }
  return { name, filename, type }
}

const enum State {
  /** Before the first delimiter: a preamble, which RFC 2046 says to ignore. */
  Preamble,
  /** Just past a delimiter: `--` ends the body, CRLF starts a part. */
  Delimiter,
  Headers,
  Body,
  /** Past the close delimiter: the epilogue, ignored. */
  Done,
}

/**
 * A strict, streaming `multipart/form-data` parser (RFC 7578): push chunks as they arrive. Linear in its
 * input: each byte is searched once, and only a delimiter's length (≤ 74 bytes) is carried between chunks.
 * Every limit is checked as soon as it can be, and anything a looser parser would quietly drop, truncate
 * or replace (a part without a name, an over-long header, bytes that are not UTF-8) is a 400.
 */
export class MultipartParser {
  readonly form = new FormData()
  #state = State.Preamble
  /** `\r\n--boundary`: the stream is read as if it began with CRLF, so the first delimiter needs no special case. */
  readonly #delimiter: Buffer
  /** The unsearched tail of the previous chunk: shorter than what is searched for. */
  #carry: Buffer = CRLF
  /** Bytes of the current header block or body, known to hold no delimiter. */
  #collected: Buffer[] = []
  #collectedSize = 0
  #head: PartHead | undefined
  #parts = 0
  #empty = true
  readonly #limits: MultipartLimits
  /** The most header bytes one part may have: room for a name and a file name at their limits, 4 bytes a character. */
  readonly #headerLimit: number

  constructor(boundary: string, limits: Partial<MultipartLimits> = {}) {
    this.#delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1')
    this.#limits = limitsOf(limits)
    this.#headerLimit = 8 * this.#limits.maxNameLength + 4096
  }

  /** True once the close delimiter has been read: what follows is epilogue, and need not be read. */
  get done(): boolean {
    return this.#state === State.Done
  }

  push(chunk: Uint8Array): void {
    if (this.#state === State.Done || chunk.byteLength === 0) return
    this.#empty = false
    const data = this.#carry.length === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([this.#carry, chunk])
    this.#carry = EMPTY
    let at = 0
    while (at < data.length && this.#state !== State.Done) {
      if (this.#state === State.Delimiter) {
        if (data.length - at < 2) break
        const first = data[at]
        const second = data[at + 1]
        at += 2
        if (first === 0x2d && second === 0x2d) this.#state = State.Done
        else if (first === 0x0d && second === 0x0a) this.#startPart()
        else throw bad('a boundary is followed by neither "--" nor a line break.')
      } else if (this.#state === State.Headers) {
        if (this.#collectedSize === 0 && data.length - at >= 2 && data[at] === 0x0d && data[at + 1] === 0x0a) throw bad('a part has no headers.')
        const end = data.indexOf(HEADER_END, at)
        const stop = end === -1 ? Math.max(at, data.length - (HEADER_END.length - 1)) : end
        this.#collect(data.subarray(at, stop))
        if (this.#collectedSize > this.#headerLimit) throw bad(`a part's headers are over ${this.#headerLimit} bytes.`)
        if (end === -1) {
          at = data.length
          this.#carry = Buffer.from(data.subarray(stop))
        } else {
          this.#head = headOf(this.#take(), this.#limits)
          this.#state = State.Body
          at = end + HEADER_END.length
        }
      } else {
        // Preamble or Body: everything up to the next delimiter.
        const end = data.indexOf(this.#delimiter, at)
        const stop = end === -1 ? Math.max(at, data.length - (this.#delimiter.length - 1)) : end
        if (this.#state === State.Body) this.#collect(data.subarray(at, stop))
        if (end === -1) {
          at = data.length
          this.#carry = Buffer.from(data.subarray(stop))
        } else {
          if (this.#state === State.Body) this.#endPart()
          this.#state = State.Delimiter
          at = end + this.#delimiter.length
        }
      }
    }
    if (at < data.length && this.#state !== State.Done) this.#carry = Buffer.concat([this.#carry, data.subarray(at)])
  }

  /** The body has ended: anything but a close delimiter behind us (or no byte at all) means it was cut short. */
  end(): FormData {
    if (this.#state !== State.Done && !this.#empty) {
      throw bad(this.#parts === 0 && this.#state === State.Preamble ? 'no boundary was found in it.' : 'it ends before its closing boundary.')
    }
    return this.form
  }

  #startPart(): void {
    if (++this.#parts > this.#limits.maxParts) throw new OperationError('BAD_REQUEST', `The form has more than ${this.#limits.maxParts} fields.`)
    this.#state = State.Headers
  }

  #endPart(): void {
    const { name, filename, type } = this.#head!
    const bytes = this.#take()
    if (filename === undefined) this.form.append(name, decode(bytes, `the field ${JSON.stringify(name.slice(0, 40))}`))
    else this.form.append(name, new File([new Uint8Array(bytes)], filename, { type: type || 'application/octet-stream' }))
    this.#head = undefined
  }

  #collect(bytes: Buffer): void {
    if (bytes.length === 0) return
    // A view into a chunk the stream may reuse: keep a copy.
    this.#collected.push(Buffer.from(bytes))
    this.#collectedSize += bytes.length
  }

  #take(): Buffer {
    const bytes = this.#collected.length === 1 ? this.#collected[0]! : Buffer.concat(this.#collected, this.#collectedSize)
    this.#collected = []
    this.#collectedSize = 0
    return bytes
  }
}

/**
 * Reads a `multipart/form-data` body as it streams in, stopping at the first limit it passes: 413 past
 * `limit` bytes (declared or streamed), 400 past `maxParts` parts or for anything malformed. An empty
 * body is an empty form. What follows the closing boundary is not read.
 */
export async function readMultipart(request: Request, limits: Partial<MultipartLimits> = {}): Promise<FormData> {
  const { limit } = limitsOf(limits)
  if (Number(request.headers.get('content-length')) > limit) throw tooLarge(limit)
  const parser = new MultipartParser(boundaryOf(request.headers.get('content-type') ?? ''), limits)
  if (!request.body) return parser.end()
  const reader = request.body.getReader()
  let size = 0
  let ended = false
  try {
    while (!parser.done) {
      const { done, value } = await reader.read()
      if ((ended = done)) break
      size += value.byteLength
      if (size > limit) throw tooLarge(limit)
      parser.push(value)
    }
    return parser.end()
  } finally {
    if (!ended) await reader.cancel().catch(() => {})
  }
}
