import type { StandardSchemaV1 } from '@standard-schema/spec'
import { toJsonSchema, type JsonSchema } from '../core/json-schema'
import { OperationError } from '../core/errors'

/**
 * Files in an operation's input: what each file field accepts (from its schema), and what a file *is* (from its
 * bytes). Both doors use these, the route door while the bytes arrive, the action door on the file Next read.
 */

/** What one file field accepts: its largest file in bytes and its media types (`image/*` allowed); none = any. */
export interface FileRule {
  maxSize: number | undefined
  types: string[]
  /** The field is a list of files (`z.array(z.file())`). */
  many: boolean
  maxItems: number | undefined
}

/** A file field's schema: binary content (zod's `z.file()`, valibot's `v.file()`), alone or as the items of a list. */
export const isFileSchema = (schema: JsonSchema): boolean =>
  schema.format === 'binary' ||
  schema.contentEncoding === 'binary' ||
  (schema.type === 'array' && schema.items !== undefined && isFileSchema(schema.items))

/** The media types a file field accepts, from its `contentMediaType`s (one, or alternatives in `anyOf`). */
export function mediaTypesOf(schema: JsonSchema): string[] {
  const file = schema.type === 'array' && schema.items ? schema.items : schema
  const own = typeof file.contentMediaType === 'string' ? [file.contentMediaType] : []
  return [...own, ...(file.anyOf ?? []).flatMap((option) => (typeof option.contentMediaType === 'string' ? [option.contentMediaType] : []))]
}

/** The file fields of an input schema (top-level properties), each with its rule. Empty when there are none. */
export function fileRulesOf(schema: JsonSchema | null): Map<string, FileRule> {
  const rules = new Map<string, FileRule>()
  for (const [name, property] of Object.entries(schema?.properties ?? {})) {
    if (!isFileSchema(property)) continue
    const many = property.type === 'array'
    const file = many && property.items ? property.items : property
    rules.set(name, {
      maxSize: typeof file.maxLength === 'number' ? file.maxLength : undefined,
      types: mediaTypesOf(property),
      many,
      maxItems: many && typeof property.maxItems === 'number' ? property.maxItems : undefined,
    })
  }
  return rules
}

// ---- Sniffing: the WHATWG MIME Sniffing Standard's signatures (§6.1 images, §6.2 audio and video, §6.3 archives)
// for the formats an upload form meets, plus PDF. Each is a prefix, `null` bytes in it matching any byte.

/** Bytes of a file's start that decide its type: the longest signature below (WebP's) is 14 bytes. */
export const SNIFF_BYTES = 16

const ascii = (text: string) => [...text].map((char) => char.charCodeAt(0))
const SIGNATURES: { type: string; bytes: (number | null)[] }[] = [
  { type: 'image/png', bytes: [0x89, ...ascii('PNG\r\n'), 0x1a, 0x0a] },
  { type: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
  { type: 'image/gif', bytes: ascii('GIF87a') },
  { type: 'image/gif', bytes: ascii('GIF89a') },
  { type: 'image/webp', bytes: [...ascii('RIFF'), null, null, null, null, ...ascii('WEBPVP')] },
  { type: 'image/bmp', bytes: ascii('BM') },
  { type: 'image/x-icon', bytes: [0, 0, 1, 0] },
  { type: 'image/avif', bytes: [null, null, null, null, ...ascii('ftypavif')] },
  { type: 'video/mp4', bytes: [null, null, null, null, ...ascii('ftypisom')] },
  { type: 'application/pdf', bytes: ascii('%PDF-') },
  { type: 'application/zip', bytes: [...ascii('PK'), 3, 4] },
  { type: 'application/gzip', bytes: [0x1f, 0x8b, 0x08] },
]
const SIGNATURE_TYPES = new Set(SIGNATURES.map(({ type }) => type))

/** True when the bytes hold a byte no text file has: WHATWG's "binary data byte" (controls other than \t \n \f \r ESC). */
const looksBinary = (head: Uint8Array) =>
  head.some((byte) => byte <= 0x08 || byte === 0x0b || (byte >= 0x0e && byte <= 0x1a) || (byte >= 0x1c && byte <= 0x1f))

/**
 * A file's media type from its first bytes (`SNIFF_BYTES` of them, or all of a shorter file), never from its name:
 * a signature's type when one matches; otherwise the type the client claimed if the bytes look like text and the
 * claim is not a format with a signature (a CSV stays text/csv, an SVG image/svg+xml); otherwise
 * `application/octet-stream`. So a file cannot pass for a PNG unless it starts like one.
 */
export function sniffType(head: Uint8Array, claimed: string): string {
  for (const { type, bytes } of SIGNATURES) {
    if (head.length >= bytes.length && bytes.every((byte, i) => byte === null || head[i] === byte)) return type
  }
  const claim = claimed.split(';')[0]!.trim().toLowerCase()
  if (looksBinary(head) || SIGNATURE_TYPES.has(claim)) return 'application/octet-stream'
  // The essence only: a schema's `.mime()` compares the type exactly (`text/csv`, not `text/csv; charset=utf-8`).
  return claim === '' || claim === 'application/octet-stream' ? 'text/plain' : claim
}

/** True when `type` is one of `accepted` (`image/*` matches any image); any type when none are listed. */
export function acceptsType(accepted: readonly string[], type: string): boolean {
  if (accepted.length === 0) return true
  const essence = type.split(';')[0]!.trim().toLowerCase()
  return accepted.some((pattern) => {
    const want = pattern.trim().toLowerCase()
    return want === essence || (want.endsWith('/*') && essence.startsWith(want.slice(0, -1)))
  })
}

const shownName = (field: string) => JSON.stringify(field.length > 40 ? `${field.slice(0, 40)}…` : field)

/** 413 for a file past its field's limit, with the field named, so a form shows it next to the input. */
export const fileTooLarge = (field: string, maxSize: number) =>
  new OperationError('PAYLOAD_TOO_LARGE', `The file ${shownName(field)} is larger than ${maxSize.toLocaleString('en')} bytes.`, {
    issues: [{ path: field, message: `The file is larger than ${formatBytes(maxSize)}.` }],
  })

/** 415 for a file whose bytes are not of a type its field accepts. */
export const fileTypeRefused = (field: string, type: string, accepted: readonly string[]) =>
  new OperationError('UNSUPPORTED_MEDIA_TYPE', `The file ${shownName(field)} is ${type}; it must be ${accepted.join(', ')}.`, {
    issues: [{ path: field, message: `This file is ${type}; choose ${accepted.join(', ')}.` }],
  })

/** 400 for a file the schema has no file field for, or more files than a field takes. */
export const unexpectedFile = (field: string, why: string) =>
  new OperationError('BAD_REQUEST', `The file ${shownName(field)} ${why}.`, { issues: [{ path: field, message: `This file ${why}.` }] })

/** 1536 → "1.5 KB", 5_000_000 → "4.8 MB": binary units as file managers show them. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} bytes` : `${Number(value.toFixed(1))} ${units[unit]}`
}

/** Limits on files whose field's schema sets none. */
export interface FileLimits {
  /** Largest file of a field whose schema sets no maximum, in bytes. Default 10 MB. */
  maxFileSize: number
  /** Most files in one request, and in a list field whose schema sets no `maxItems`. Default 10. */
  maxFiles: number
}

export const DEFAULT_FILE_LIMITS: Readonly<FileLimits> = Object.freeze({ maxFileSize: 10 * 1024 * 1024, maxFiles: 10 })

/** The rule of a field when the schema cannot be described: any type, the default limits. */
const ANY_FILE: FileRule = { maxSize: undefined, types: [], many: true, maxItems: undefined }

/**
 * Counts one request's files against their fields: each call names the field of the next file and gets its rule
 * and size limit, or the refusal (400) of a file no field takes, or one too many. `rules` undefined: any field.
 */
export function fileCounter(rules: ReadonlyMap<string, FileRule> | undefined, { maxFileSize, maxFiles }: FileLimits) {
  const perField = new Map<string, number>()
  let total = 0
  return (field: string): { rule: FileRule; maxSize: number } => {
    const rule = rules ? rules.get(field) : ANY_FILE
    if (!rule) throw unexpectedFile(field, 'is not a file field of this operation')
    if (++total > maxFiles) throw unexpectedFile(field, maxFiles === 1 ? 'is a second file, and a request may carry one' : `is one more than the ${maxFiles} files a request may carry`)
    const count = (perField.get(field) ?? 0) + 1
    const most = rule.many ? (rule.maxItems ?? maxFiles) : 1
    if (count > most) throw unexpectedFile(field, most === 1 ? 'was sent more than once' : `is one more than the ${most} this field takes`)
    perField.set(field, count)
    return { rule, maxSize: rule.maxSize ?? maxFileSize }
  }
}

/**
 * A file input left empty: browsers send a part with an empty file name, no bytes and `application/octet-stream`;
 * through a Server Action called from JavaScript, it arrives renamed and untyped. Nothing was chosen. An empty file
 * with a name and a type of its own (an empty `notes.csv`) is a file.
 */
export const isNoFile = (file: { size: number; name: string; type: string }) =>
  file.size === 0 && (file.name === '' || file.type === '' || file.type === 'application/octet-stream')

/** One file Next has already read, against its field: its size, then its sniffed type; handed on with that type. */
async function checkFile(field: string, file: File, count: ReturnType<typeof fileCounter>): Promise<File> {
  const { rule, maxSize } = count(field)
  if (file.size > maxSize) throw fileTooLarge(field, maxSize)
  const type = sniffType(new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer()), file.type)
  if (!acceptsType(rule.types, type)) throw fileTypeRefused(field, type, rule.types)
  return type === file.type ? file : new File([file], file.name, { type, lastModified: file.lastModified })
}

/**
 * The action door's check of the files in a form Next has already read (within its body size limit): each against
 * its field's rule, as the route door checks them while they stream. Empty file inputs are dropped, and each file
 * is handed on with its sniffed type (a new `File` over the same bytes when it differs from the claimed one).
 */
export async function checkFormFiles(form: FormData, rules: ReadonlyMap<string, FileRule> | undefined, limits: FileLimits = DEFAULT_FILE_LIMITS): Promise<FormData> {
  const entries = [...form]
  if (entries.every(([, value]) => typeof value === 'string')) return form
  const count = fileCounter(rules, limits)
  const checked = new FormData()
  for (const [field, value] of entries) {
    if (typeof value === 'string') checked.append(field, value)
    else if (!isNoFile(value)) checked.append(field, await checkFile(field, value, count))
  }
  return checked
}

/** True when an object passed to an action holds a file in a field, alone or in a list. */
export const holdsFiles = (input: unknown): input is Record<string, unknown> =>
  typeof input === 'object' && input !== null && Object.values(input).some((value) => value instanceof File || (Array.isArray(value) && value.some((item) => item instanceof File)))

/** The same check for an object passed to an action (`action(op)` called with a `File` in a field). */
export async function checkInputFiles(input: Record<string, unknown>, rules: ReadonlyMap<string, FileRule> | undefined, limits: FileLimits = DEFAULT_FILE_LIMITS): Promise<Record<string, unknown>> {
  const count = fileCounter(rules, limits)
  const checked: Record<string, unknown> = { ...input }
  for (const [field, value] of Object.entries(input)) {
    if (value instanceof File) checked[field] = await checkFile(field, value, count)
    else if (Array.isArray(value) && value.some((item) => item instanceof File)) {
      checked[field] = await Promise.all(value.map((item) => (item instanceof File ? checkFile(field, item, count) : item)))
    }
  }
  return checked
}

const rulesCache = new WeakMap<StandardSchemaV1, ReadonlyMap<string, FileRule> | undefined>()

/** The file fields of an input schema and their rules, cached; undefined when the schema cannot be described. */
export function fileRulesFor(schema: StandardSchemaV1): ReadonlyMap<string, FileRule> | undefined {
  if (!rulesCache.has(schema)) {
    const json = toJsonSchema(schema, 'input')
    rulesCache.set(schema, json ? fileRulesOf(json) : undefined)
  }
  return rulesCache.get(schema)
}
