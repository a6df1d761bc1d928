import { OperationError } from '../core/errors'
import { acceptsType, DEFAULT_FILE_LIMITS, fileCounter, fileTooLarge, fileTypeRefused, isNoFile, SNIFF_BYTES, sniffType, type FileLimits, type FileRule } from './files'
import { DEFAULT_FORM_LIMITS } from './form-data'
import type { FileSink, FileTarget } from './upload'

/** Bounds on a multipart body, each enforced while the bytes arrive, so a refusal stops the work. */
export interface MultipartLimits extends FileLimits {
  /** Largest body in bytes: past it, 413. Default 1 MB. */
  limit: number
  /** Most parts: past it, 400 before another byte is parsed. Default 1,000 (`DEFAULT_FORM_LIMITS.maxFields`). */
  maxParts: number
  /** Longest field name or file name, in UTF-16 code units. Default 1,000. */
  maxNameLength: number
  /** Largest file of a file field whose schema sets no maximum, in bytes. Default 10 MB. */
  maxFileSize: number
  /** Most files in one body, and in one list field whose schema sets no `maxItems`. Default 10. */
  maxFiles: number
}

export const DEFAULT_MULTIPART_LIMITS: Readonly<MultipartLimits> = Object.freeze({
  limit: 1024 * 1024,
  maxParts: DEFAULT_FORM_LIMITS.maxFields,
  maxNameLength: DEFAULT_FORM_LIMITS.maxNameLength,
  ...DEFAULT_FILE_LIMITS,
})

/** The limits given, the defaults for the rest (an `undefined` limit is a default too). */
const limitsOf = (limits: Partial<MultipartLimits>): MultipartLimits => ({
  limit: limits.limit ?? DEFAULT_MULTIPART_LIMITS.limit,
  maxParts: limits.maxParts ?? DEFAULT_MULTIPART_LIMITS.maxParts,
  maxNameLength: limits.maxNameLength ?? DEFAULT_MULTIPART_LIMITS.maxNameLength,
  maxFileSize: limits.maxFileSize ?? DEFAULT_MULTIPART_LIMITS.maxFileSize,
  maxFiles: limits.maxFiles ?? DEFAULT_MULTIPART_LIMITS.maxFiles,
})

/**
 * Where a parser puts files: in memory (the default, for bodies already read whole), or streamed into a sink
 * as they arrive, each checked against its field's rule. `rules` undefined: the schema could not be described,
 * so any field may hold files, up to the limits' defaults.
 */
export interface MultipartFiles {
  sink: FileSink
  rules: ReadonlyMap<string, FileRule> | undefined
}

/** The most file bytes a body may carry under `rules` (or the defaults), for the limit of the whole body. */
export function fileAllowance(rules: ReadonlyMap<string, FileRule> | undefined, limits: Partial<MultipartLimits> = {}): number {
  const { maxFileSize, maxFiles } = limitsOf(limits)
  if (!rules) return maxFileSize * maxFiles
  let total = 0
  let files = 0
  for (const rule of rules.values()) {
    const count = rule.many ? (rule.maxItems ?? maxFiles) : 1
    files += count
    total += count * (rule.maxSize ?? maxFileSize)
  }
  // Never more than maxFiles files in all: the largest ones, at most.
  return files <= maxFiles ? total : Math.min(total, maxFiles * Math.max(...[...rules.values()].map((rule) => rule.maxSize ?? maxFileSize)))
}

const bad = (message: string) => new OperationError('BAD_REQUEST', `The multipart body is malformed: ${message}`)
const tooLarge = (limit: number) => new OperationError('PAYLOAD_TOO_LARGE', `The request body is larger than the limit of ${limit} bytes.`)

const CRLF = Buffer.from('\r\n')
const HEADER_END = Buffer.from('\r\n\r\n')
const utf8 = new TextDecoder('utf-8', { fatal: true })
const EMPTY = Buffer.alloc(0)
/**
 * A streamed file goes to its sink in batches of this many bytes (and the rest when it ends): one write per batch
 * instead of one per chunk of the request (~32 KiB from a socket), so a 100 MB upload is ~400 writes, not ~3,200.
 */
export const BATCH_BYTES = 256 * 1024
/** Or of this many pieces, however small (a slow client's chunks): one `writev` takes at most 1,024 (IOV_MAX). */
const BATCH_PIECES = 1024

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

interface StreamedFile {
  field: string
  filename: string
  claimed: string
  rule: FileRule
  maxSize: number
  size: number
  /** Bytes not handed to the sink yet: the first ones until the type is sniffed, then at most a batch. */
  pending: Buffer[]
  pendingSize: number
  /** The sink's file, once the type is known and accepted. */
  target: Promise<FileTarget> | undefined
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
  readonly #files: MultipartFiles | undefined
  /** The file part being streamed into the sink. */
  #file: StreamedFile | undefined
  readonly #countFile: ReturnType<typeof fileCounter> | undefined
  #fieldBytes = 0
  /** Form entries in order; a streamed file's slot is filled once the sink has all of it. */
  readonly #entries: [string, FormDataEntryValue | undefined][] = []
  /** The sink's work, in order: each file created, written batch by batch and finished before the next step. */
  #work: Promise<void> = Promise.resolve()
  /** The sink's work up to the latest batch, which may be written while the next fills: see ready(). */
  #ready: Promise<void> = this.#work

  constructor(boundary: string, limits: Partial<MultipartLimits> = {}, files?: MultipartFiles) {
    this.#delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1')
    this.#limits = limitsOf(limits)
    this.#headerLimit = 8 * this.#limits.maxNameLength + 4096
    this.#files = files
    this.#countFile = files && fileCounter(files.rules, this.#limits)
  }

  /**
   * Resolves once the parser may take another chunk: the sink has every batch but the latest, which may still be
   * under way while the next one fills (so the request is read at most one batch ahead of the disk). Rejects with
   * the sink's failure. Await it before pushing more.
   */
  ready(): Promise<void> {
    return this.#ready
  }

  /** Resolves once the sink has every batch handed to it and every file that ended is finished; rejects with the sink's failure. */
  settled(): Promise<void> {
    return this.#work
  }

  /** True once the close delimiter has been read: what follows is epilogue, and need not be read. */
  get done(): boolean {
    return this.#state === State.Done
  }

  /** With a sink, a file's bytes are kept, not copied, until they are written: do not change a chunk once pushed. */
  push(chunk: Uint8Array): void {
    if (this.#state === State.Done || chunk.byteLength === 0) return
    this.#empty = false
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    let data = bytes
    if (this.#carry.length > 0) {
      if (this.#inTail(bytes)) this.#collectCarry()
      // Only where a delimiter or the end of the headers may straddle the seam: the chunk is copied behind the carry.
      else data = Buffer.concat([this.#carry, bytes])
    }
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
          this.#startFile(this.#head)
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

  /**
   * Whether the carried tail is plain body (or preamble): no delimiter starts in it that `bytes` completes. A
   * delimiter starting in the tail ends within its length minus one of the seam, so only that much of `bytes` is
   * searched, instead of copying all of it behind the tail (a large upload comes in thousands of chunks).
   */
  #inTail(bytes: Buffer): boolean {
    if (this.#state !== State.Body && this.#state !== State.Preamble) return false
    const reach = this.#delimiter.length - 1
    if (bytes.length < reach) return false
    return Buffer.concat([this.#carry, bytes.subarray(0, reach)]).indexOf(this.#delimiter) === -1
  }

  /** The carried tail, known to be plain: part of the body (collected), or preamble (dropped). */
  #collectCarry(): void {
    if (this.#state === State.Body) this.#collect(this.#carry)
  }

  /**
   * The body has ended: anything but a close delimiter behind us (or no byte at all) means it was cut short.
   * With a sink, call it once `settled()` has resolved.
   */
  end(): FormData {
    if (this.#state !== State.Done && !this.#empty) {
      throw bad(this.#parts === 0 && this.#state === State.Preamble ? 'no boundary was found in it.' : 'it ends before its closing boundary.')
    }
    for (const [name, value] of this.#entries) {
      if (value === undefined) throw new Error('MultipartParser.end() was called before settled() resolved.')
      this.form.append(name, value)
    }
    this.#entries.length = 0
    return this.form
  }

  #startPart(): void {
    if (++this.#parts > this.#limits.maxParts) throw new OperationError('BAD_REQUEST', `The form has more than ${this.#limits.maxParts} fields.`)
    this.#state = State.Headers
  }

  #endPart(): void {
    const { name, filename, type } = this.#head!
    this.#head = undefined
    if (this.#file) return this.#endFile()
    const bytes = this.#take()
    if (filename === undefined) this.#entries.push([name, decode(bytes, `the field ${JSON.stringify(name.slice(0, 40))}`)])
    else this.#entries.push([name, new File([new Uint8Array(bytes)], filename, { type: type || 'application/octet-stream' })])
  }

  /** A file part's headers are read: with a sink, its file is counted against its field and streamed from here on. */
  #startFile({ name, filename, type }: PartHead): void {
    if (!this.#countFile || filename === undefined) return
    const { rule, maxSize } = this.#countFile(name)
    this.#file = { field: name, filename, claimed: type, rule, maxSize, size: 0, pending: [], pendingSize: 0, target: undefined }
  }

  /**
   * A streamed file's bytes: counted against its limit as they arrive (a 413 is never left to a write), held until
   * its type is known, then handed to the sink a batch at a time.
   */
  #fileBytes(file: StreamedFile, bytes: Buffer): void {
    file.size += bytes.length
    if (file.size > file.maxSize) throw fileTooLarge(file.field, file.maxSize)
    file.pending.push(bytes)
    file.pendingSize += bytes.length
    if (!file.target && file.size >= SNIFF_BYTES) this.#openFile(file)
    if (file.target && (file.pendingSize >= BATCH_BYTES || file.pending.length >= BATCH_PIECES)) this.#flush(file)
  }

  /** Enough of the file to know its type: refused if its field does not take that type, else its sink file opened. */
  #openFile(file: StreamedFile): void {
    const type = sniffType(Buffer.concat(file.pending, Math.min(SNIFF_BYTES, file.pendingSize)), file.claimed)
    if (!acceptsType(file.rule.types, type)) throw fileTypeRefused(file.field, type, file.rule.types)
    const created = this.#files!.sink.create({ field: file.field, name: file.filename, type })
    // Observed here so that a refusal thrown before the next settled() leaves no unhandled rejection behind.
    created.catch(() => {})
    file.target = created
  }

  /** The file's pending bytes, queued as one write; the caller may push more once the write before it is done. */
  #flush(file: StreamedFile): void {
    const { pending, pendingSize, target } = file
    file.pending = []
    file.pendingSize = 0
    this.#ready = this.#work
    this.#queue(async () => {
      const sink = await target!
      await (sink.writev ? sink.writev(pending) : sink.write(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingSize)))
    })
  }

  #endFile(): void {
    const file = this.#file!
    this.#file = undefined
    if (isNoFile({ size: file.size, name: file.filename, type: file.claimed })) return
    if (!file.target) this.#openFile(file)
    if (file.pendingSize > 0) this.#flush(file)
    const entry: [string, FormDataEntryValue | undefined] = [file.field, undefined]
    this.#entries.push(entry)
    this.#queue(async () => {
      entry[1] = await (await file.target!).finish()
    })
  }

  #queue(step: () => Promise<void>): void {
    this.#work = this.#work.then(step)
    this.#work.catch(() => {})
  }

  #collect(bytes: Buffer): void {
    if (bytes.length === 0) return
    if (this.#file) return this.#fileBytes(this.#file, bytes)
    // With files streamed apart, `limit` bounds what stays in memory: the fields and their headers.
    if (this.#files && (this.#fieldBytes += bytes.length) > this.#limits.limit) throw tooLarge(this.#limits.limit)
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
 * Stops reading a body, without waiting: the cancel of a tee'd body (a `request.clone()`'s other half unread)
 * settles only once both halves are cancelled, which would hold the answer back for good.
 */
export function stopReading(reader: ReadableStreamDefaultReader<Uint8Array>): void {
  reader.cancel().catch(() => {})
}

/**
 * Reads a `multipart/form-data` body as it streams in, stopping at the first limit it passes: 413 past
 * `limit` bytes (declared or streamed), 400 past `maxParts` parts or for anything malformed. An empty
 * body is an empty form. What follows the closing boundary is not read.
 *
 * With `files`, each file streams into `files.sink` as it arrives, checked against its field's rule while it does
 * (413 past its size, 415 for a type its field does not take, 400 for a file no field takes or one too many), and
 * `limit` bounds the other fields; the body may carry the files' allowance beyond it. On any failure, and when the
 * client goes away mid-upload, the sink is disposed before this rejects; otherwise the caller disposes it when the
 * call ends.
 */
export async function readMultipart(request: Request, limits: Partial<MultipartLimits> = {}, files?: MultipartFiles): Promise<FormData> {
  const { limit } = limitsOf(limits)
  const total = files ? limit + fileAllowance(files.rules, limits) : limit
  if (Number(request.headers.get('content-length')) > total) throw tooLarge(total)
  const parser = new MultipartParser(boundaryOf(request.headers.get('content-type') ?? ''), limits, files)
  if (!request.body) return parser.end()
  const reader = request.body.getReader()
  let size = 0
  let ended = false
  try {
    while (!parser.done) {
      const { done, value } = await reader.read()
      if ((ended = done)) break
      size += value.byteLength
      if (size > total) throw tooLarge(total)
      parser.push(value)
      await parser.ready()
    }
    await parser.settled()
    return parser.end()
  } catch (error) {
    if (files) {
      await parser.settled().catch(() => {})
      await files.sink.dispose()
    }
    // The client went away mid-body: nobody reads the answer, but the log should not call it unexpected.
    if (!(error instanceof OperationError) && request.signal.aborted) throw new OperationError('BAD_REQUEST', 'The request body was cut off: the client closed the connection.')
    throw error
  } finally {
    if (!ended) stopReading(reader)
  }
}
