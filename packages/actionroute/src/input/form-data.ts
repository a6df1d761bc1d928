import { OperationError } from '../core/errors'

/** Bounds on what one form or query string may hold; each is refused with 400 past its limit. */
export interface FormLimits {
  /** Most fields (entries) in one form or query string. Default 1,000. */
  maxFields: number
  /** Longest field name, in UTF-16 code units. Default 1,000. */
  maxNameLength: number
  /** Most segments in one field path: `address.city` has 2. Default 8. */
  maxDepth: number
  /** Highest index in a path such as `tags[3]`. Default 1,000. */
  maxIndex: number
}

export const DEFAULT_FORM_LIMITS: Readonly<FormLimits> = Object.freeze({
  maxFields: 1_000,
  maxNameLength: 1_000,
  maxDepth: 8,
  maxIndex: 1_000,
})

/** Keys that could reach an object's prototype if used as a path segment. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

type FormValue = string | File

const badForm = (message: string) => new OperationError('BAD_REQUEST', message)

/** Shows a field name in an error without echoing a megabyte of it back. */
const shown = (name: string) => JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name)

/**
 * Splits `address.city`, `tags[0]` and `tags[]` into path segments, in one pass: a `[` with no `]`
 * after it is an ordinary character, and once none is found the search is never repeated.
 */
export function segmentsOf(name: string): string[] {
  const segments: string[] = []
  let start = 0
  let at = 0
  while (at < name.length) {
    const char = name[at]
    if (char === '.') {
      segments.push(name.slice(start, at))
      start = ++at
    } else if (char === '[') {
      const close = name.indexOf(']', at + 1)
      if (close === -1) break
      segments.push(name.slice(start, at), name.slice(at + 1, close))
      start = at = close + 1
    } else {
      at++
    }
  }
  segments.push(name.slice(start))
  return segments.filter((segment) => segment !== '')
}

const isIndex = (segment: string) => /^\d+$/.test(segment)
const PATH_SYNTAX = /[.[]/

function checkedSegments(name: string, limits: FormLimits): string[] {
  if (name.length > limits.maxNameLength) {
    throw badForm(`A field name is ${name.length} characters long; the limit is ${limits.maxNameLength}.`)
  }
  // A plain name, with no `.` or `[`, is its own one segment: most forms hold nothing else.
  const segments = PATH_SYNTAX.test(name) ? segmentsOf(name) : name === '' ? [] : [name]
  if (segments.length > limits.maxDepth) {
    throw badForm(`The field ${shown(name)} is nested ${segments.length} levels deep; the limit is ${limits.maxDepth}.`)
  }
  for (const segment of segments.slice(1)) {
    if (isIndex(segment) && (segment.length > 9 || Number(segment) > limits.maxIndex)) {
      throw badForm(`The field ${shown(name)} uses index ${segment.slice(0, 12)}; the highest allowed is ${limits.maxIndex}.`)
    }
  }
  return segments
}

const decodePart = (part: string) => {
  try {
    return decodeURIComponent(part.replaceAll('+', ' '))
  } catch {
    throw badForm('The form or query string holds a malformed percent-escape, or bytes that are not UTF-8.')
  }
}

/**
 * Parses `application/x-www-form-urlencoded` text (a body or a query string) strictly: where the
 * URL standard's parser quietly turns a bad escape such as `%FF` into U+FFFD, changing what would be
 * stored, this answers 400. Linear in the text, and it stops at the first pair past `maxFields`
 * rather than decoding a megabyte of `x=1&x=1…` first.
 */
export function parseUrlEncoded(text: string, { maxFields = DEFAULT_FORM_LIMITS.maxFields }: Partial<FormLimits> = {}): URLSearchParams {
  const params = new URLSearchParams()
  let fields = 0
  for (let start = 0; start <= text.length; ) {
    const amp = text.indexOf('&', start)
    const end = amp === -1 ? text.length : amp
    const pair = text.slice(start, end)
    start = end + 1
    if (pair === '') continue
    if (++fields > maxFields) throw badForm(`The form has more than ${maxFields} fields.`)
    const at = pair.indexOf('=')
    params.append(decodePart(at === -1 ? pair : pair.slice(0, at)), at === -1 ? '' : decodePart(pair.slice(at + 1)))
  }
  return params
}

/**
 * Turns FormData (or URLSearchParams) into a plain object for schema validation, in time linear
 * in its size. Next's `$ACTION_*` fields are dropped, empty strings count as absent, a repeated name
 * becomes an array, prototype-polluting keys are ignored. Past `limits`, or when one name is used
 * both as a value and as a group (`x=1&x[a]=2`), it throws a 400 OperationError: nothing is silently lost.
 */
export function parseFormData(
  form: FormData | URLSearchParams,
  limits: Partial<FormLimits> = DEFAULT_FORM_LIMITS,
): Record<string, unknown> {
  const bounds = limits === DEFAULT_FORM_LIMITS ? DEFAULT_FORM_LIMITS : { ...DEFAULT_FORM_LIMITS, ...limits }
  const result: Record<string, unknown> = {}
  let fields = 0
  for (const [name, value] of form.entries() as Iterable<[string, FormValue]>) {
    if (name.startsWith('$ACTION_')) continue
    if (++fields > bounds.maxFields) throw badForm(`The form has more than ${bounds.maxFields} fields.`)
    if (value === '' || (typeof value !== 'string' && value.size === 0 && value.name === '')) continue
    const segments = checkedSegments(name, bounds)
    if (segments.length === 0 || segments.some((segment) => FORBIDDEN_KEYS.has(segment))) continue
    assign(result, segments, value, name)
  }
  return result
}

const isGroup = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof File)

function assign(target: Record<string, unknown>, segments: string[], value: FormValue, name: string): void {
  const conflict = () => badForm(`The field ${shown(name)} is sent both as a value and as a group of fields; use one.`)
  let node = target
  for (const segment of segments.slice(0, -1)) {
    const existing = Object.hasOwn(node, segment) ? node[segment] : undefined
    if (existing === undefined) node[segment] = {}
    else if (!isGroup(existing)) throw conflict()
    node = node[segment] as Record<string, unknown>
  }
  const last = segments.at(-1)!
  const existing = Object.hasOwn(node, last) ? node[last] : undefined
  if (existing === undefined) node[last] = value
  else if (Array.isArray(existing)) existing.push(value)
  else if (isGroup(existing)) throw conflict()
  else node[last] = [existing, value]
}

/** The submitted values worth echoing back to a re-rendered form: strings only, no secrets. */
export function echoValues(form: FormData, isSecret: (name: string) => boolean): Record<string, string> {
  const values: Record<string, string> = {}
  for (const [name, value] of form.entries()) {
    if (typeof value !== 'string' || name.startsWith('$ACTION_') || isSecret(name)) continue
    values[name] = value
  }
  return values
}
