import { deref, operationOf, validators, type Content, type Document, type OperationSpec, type Parameter, type Schema } from './document'
import { SAMPLE_IMAGES } from './arbitraries'

// What the document says of a request (does it follow the document?) and of a response (is it one
// the document describes?). Every rule reads the document; none knows the app's zod schemas.

export type Rule =
  | 'server error'
  | 'undocumented status'
  | 'undocumented content-type'
  | 'body does not match the documented schema'
  | 'missing documented header'
  | 'refused a request the document accepts'
  | 'accepted a request the document refuses'
  | 'undocumented method answer'
  | 'database changed'
  | 'untruthful error'
  | 'action threw'
  | 'action answered INTERNAL'
  | 'action envelope shape'
  | 'prototype polluted'

export interface Problem {
  rule: Rule
  message: string
}

/** The document's view of a request: it must be accepted, it must be refused, or the document cannot say. */
export interface Verdict {
  expect: 'accept' | 'reject' | 'any'
  why: string
  /** The body as the document reads it (JSON value or form fields as an object), when there is one. */
  body?: unknown
}

/** Answers that refuse the input itself: a request the document accepts gets none of them (403 needs a cross-site browser, never sent here). */
const REFUSALS = new Set([400, 403, 413, 415, 422])
/** The JSON nesting past which actionroute answers 400 (DEFAULT_JSON_DEPTH): allowed only where the document's 400 says so. */
const JSON_DEPTH = 64
/** Form and query limits (README: 1,000 fields, names of 1,000 characters): allowed only where the document's 400 says so. */
const FORM_FIELDS = 1000

const accept = (why = 'follows the document'): Verdict => ({ expect: 'accept', why })
const reject = (why: string): Verdict => ({ expect: 'reject', why })
const either = (why: string): Verdict => ({ expect: 'any', why })

const show = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 80 ? `${text.slice(0, 80)}…` : text
}

/**
 * A file's type as the document's file fields say types are read: an image's from its signature (PNG, JPEG, WebP);
 * text keeps the type it claims (text/plain when it claims none); other bytes are of another type.
 */
function fileTypeOf(bytes: Uint8Array, claimed: string): string {
  const starts = (...prefix: (number | null)[]) => bytes.length >= prefix.length && prefix.every((byte, i) => byte === null || bytes[i] === byte)
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png'
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg'
  if (starts(0x52, 0x49, 0x46, 0x46, null, null, null, null, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50)) return 'image/webp'
  const controls = bytes.subarray(0, 16).some((byte) => byte < 0x20 && ![0x09, 0x0a, 0x0c, 0x0d, 0x1b].includes(byte))
  const claim = claimed.split(';')[0]!.trim().toLowerCase()
  if (controls || claim.startsWith('image/')) return 'another type'
  return claim === '' || claim === 'application/octet-stream' ? 'text/plain' : claim
}

export function conformance(doc: Document) {
  const validate = validators(doc)
  const problemSchema = doc.components?.schemas?.Problem

  const mentions = (op: OperationSpec, status: number, words: RegExp) => words.test(op.responses[String(status)]?.description ?? '')

  /** `%XX` sequences decoded as UTF-8, strictly: undefined when they are not UTF-8, null when not even well-formed. */
  function decode(component: string): string | null | undefined {
    if (/%(?![0-9A-Fa-f]{2})/.test(component)) return null
    try {
      return decodeURIComponent(component.replaceAll('+', ' '))
    } catch {
      return undefined
    }
  }

  /**
   * Form fields (query string, urlencoded or multipart) as the object the schema describes: an empty
   * field is an absent one, a repeated one an array. `unsure` when the form uses nested names (a[b],
   * a.b) or passes the form limits: the library's conventions, which the document's 400 may mention.
   */
  function fieldsObject(pairs: [string, unknown][], mayRefuse: boolean): { value: Record<string, unknown>; unsure?: Verdict } {
    const value: Record<string, unknown> = Object.create(null)
    for (const [name, item] of pairs) {
      if (item === '') continue
      const existing = value[name]
      value[name] = existing === undefined ? item : Array.isArray(existing) ? [...existing, item] : [existing, item]
    }
    const beyond = pairs.length > FORM_FIELDS || pairs.some(([name]) => /[[\].]/.test(name) || name.length > FORM_FIELDS)
    return beyond && mayRefuse ? { value, unsure: either('nested field names or a form past the documented limits') } : { value }
  }

  /**
   * The file fields of a multipart body, as the document describes them (`format: binary`, a `maxLength` in bytes,
   * the part's `encoding.contentType`), each replaced by a placeholder the schema's validator takes. A file input
   * left empty (no name, no bytes) is an absent field. An accepted type that is not one of the sample images may
   * not decode: whether it does, the document cannot say.
   */
  async function filesVerdict(media: Content[string], value: Record<string, unknown>): Promise<Verdict | undefined> {
    let unsure: Verdict | undefined
    for (const [name, property] of Object.entries(deref(doc, media.schema ?? {}).properties ?? {})) {
      const schema = deref(doc, property)
      if (schema.format !== 'binary' && schema.contentEncoding !== 'binary') continue
      const item = value[name]
      // As browsers send an empty file input (and Server Actions pass it on): no bytes, and no name or no type.
      if (item instanceof File && item.size === 0 && (item.name === '' || item.type === '' || item.type === 'application/octet-stream')) delete value[name]
      if (value[name] === undefined) continue
      if (!(item instanceof File)) return reject(`${name}: ${Array.isArray(item) ? 'more than one value' : 'text'} where the document describes one file`)
      const bytes = new Uint8Array(await item.arrayBuffer())
      const accepted = media.encoding?.[name]?.contentType?.split(',').map((type) => type.trim())
      const type = fileTypeOf(bytes, item.type)
      if (accepted && !accepted.includes(type)) return reject(`${name} is ${type}; the document takes ${accepted.join(', ')}`)
      if (schema.maxLength !== undefined && bytes.length > schema.maxLength) return reject(`${name} is over ${schema.maxLength} bytes`)
      const sample = SAMPLE_IMAGES.some((image) => image.bytes!.length === bytes.length && image.bytes!.every((byte, i) => byte === bytes[i]))
      if (type.startsWith('image/') && !sample) unsure ??= either(`${name}: a ${type} file that may not decode as an image`)
      value[name] = ''
    }
    return unsure
  }

  /** A query or path value read as the schema's type: only plain decimal text is an integer. */
  function typed(schema: Schema, text: string): unknown {
    const types = [schema.type ?? []].flat()
    if (types.includes('integer') || types.includes('number')) {
      if (/^-?(0|[1-9]\d*)$/.test(text)) return Number(text)
      if (types.includes('number') && /^-?(0|[1-9]\d*)\.\d+$/.test(text)) return Number(text)
    }
    if (types.includes('boolean') && (text === 'true' || text === 'false')) return text === 'true'
    return text
  }

  function parameterVerdict(parameter: Parameter, values: string[]): Verdict {
    if (values.length === 0) return parameter.required ? reject(`${parameter.in} parameter ${parameter.name} is required`) : accept()
    if (values.length > 1) return reject(`${parameter.name} is given ${values.length} times`)
    const types = [parameter.schema.type ?? []].flat()
    // JSON Schema counts 5.0 and 1e2 as integers and `05`, `+5` are still decimal: the document cannot say whether a query may spell them so.
    if (types.includes('integer') && /^[+-]?0\d|^\+|^-?\d+(\.\d+)?[eE][+-]?\d+$|^-?\d+\.\d+$/.test(values[0]!)) {
      return either(`${parameter.name}=${values[0]}: a number the document neither allows nor forbids in a query`)
    }
    const value = typed(parameter.schema, values[0]!)
    return validate(parameter.schema)(value) ? accept() : reject(`${parameter.in} ${parameter.name}=${show(values[0])} does not match its schema`)
  }

  /** Only the documented parameters are input: other names in the query string are ignored, as OpenAPI allows. */
  function queryVerdict(op: OperationSpec, search: string): Verdict {
    const documented = (op.parameters ?? []).filter((parameter) => parameter.in === 'query')
    // Where the document's 400 speaks of the query string, a malformed one may be refused; elsewhere it is no input at all.
    const mayRefuse = mentions(op, 400, /query/i)
    const pairs: [string, string][] = []
    for (const part of search.split('&')) {
      if (!part) continue
      const at = part.includes('=') ? part.indexOf('=') : part.length
      const name = new URLSearchParams(`n=${part.slice(0, at)}`).get('n')!
      const value = decode(part.slice(at + 1))
      if (value === null || value === undefined || decode(part.slice(0, at)) == null) {
        // Broken percent-encoding in a documented parameter breaks its value; elsewhere, the request line is malformed but its input is not.
        if (value === undefined && documented.some((parameter) => parameter.name === name)) return reject(`the value of ${name} is not UTF-8`)
        return mayRefuse ? either('malformed percent-encoding or bytes that are not UTF-8 in the query string') : accept('a query string it does not read')
      }
      pairs.push([name, value])
    }
    const { unsure } = fieldsObject(pairs, mayRefuse)
    const verdicts = documented.map((parameter) =>
      parameterVerdict(parameter, pairs.filter(([name, value]) => name === parameter.name && value !== '').map(([, value]) => value)),
    )
    if (unsure) verdicts.push(unsure)
    return verdicts.find((verdict) => verdict.expect === 'reject') ?? verdicts.find((verdict) => verdict.expect === 'any') ?? accept()
  }

  async function bodyVerdict(op: OperationSpec, request: Request): Promise<Verdict> {
    const bytes = new Uint8Array(await request.arrayBuffer())
    const documented = op.requestBody
    if (bytes.length === 0) return documented?.required ? reject('the required body is missing') : accept('no body')
    if (!documented) return either('a body where the document describes none')
    const header = request.headers.get('content-type')
    if (!header) return reject('a body without a Content-Type')
    const [type = '', ...parameters] = header.split(';').map((part) => part.trim())
    const media = documented.content[type.toLowerCase()]
    if (!media) return reject(`media type ${show(type)} is not documented`)
    const charset = parameters.find((parameter) => /^charset=/i.test(parameter))?.slice(8).replace(/^"(.*)"$/, '$1')
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) return reject(`charset ${charset}; the document's bodies are UTF-8`)
    // The file itself as the body (`type: string` of a `contentMediaType`): any bytes, of a type read as a file's is.
    const raw = media.schema as { type?: string; contentMediaType?: string } | undefined
    if (raw?.type === 'string' && raw.contentMediaType !== undefined) {
      const read = fileTypeOf(bytes, header)
      return documented.content[read] ? accept(`a ${read} file as the body`) : reject(`a body that is ${read}; the document takes ${Object.keys(documented.content).join(', ')}`)
    }
    // A multipart body carries files as raw bytes: only its text fields are UTF-8 (checked below).
    const multipart = /^multipart\/form-data$/i.test(type)
    let text = ''
    try {
      if (!multipart) text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    } catch {
      return reject('a body that is not UTF-8')
    }
    let value: unknown
    let unsure: Verdict | undefined
    if (/^application\/(.+\+)?json$/i.test(type)) {
      try {
        value = JSON.parse(text)
      } catch {
        return reject('a body that is not JSON')
      }
      if (depthOf(value) > JSON_DEPTH && mentions(op, 400, /nest|deep/i)) unsure = either('JSON nested past the documented depth limit')
    } else {
      let pairs: [string, unknown][] = []
      if (/^application\/x-www-form-urlencoded$/i.test(type)) {
        for (const part of text.split('&')) {
          if (!part) continue
          const at = part.includes('=') ? part.indexOf('=') : part.length
          const [name, item] = [decode(part.slice(0, at)), decode(part.slice(at + 1))]
          if (name === null || item === null) return either('malformed percent-encoding')
          if (name === undefined || item === undefined) return reject('form fields whose percent-encoding is not UTF-8')
          pairs.push([name, item])
        }
      } else {
        try {
          pairs = [...(await new Response(bytes, { headers: { 'content-type': header } }).formData()).entries()]
        } catch {
          return reject('a body that is not multipart/form-data')
        }
        // The parser replaced what was not UTF-8 with U+FFFD; a client may also have sent U+FFFD itself.
        if (pairs.some(([name, item]) => `${name}${typeof item === 'string' ? item : ''}`.includes('\ufffd'))) unsure = either('a multipart text field that may not be UTF-8')
      }
      const fields = fieldsObject(pairs, mentions(op, 400, /form/i))
      value = fields.value
      unsure = fields.unsure ?? unsure
      const files = await filesVerdict(media, fields.value)
      if (files?.expect === 'reject') return { ...files, body: value }
      unsure ??= files
    }
    const check = validate(media.schema ?? {})
    if (check(value)) return { ...(unsure ?? accept(`sends ${show(value)}`)), body: value }
    return { ...reject(`${show(value)}: ${check.errors?.map((error) => `${error.instancePath || '/'} ${error.message}`).join(', ')}`), body: value }
  }

  /** What the document says of this request to `op`: path, query and body together. */
  async function verdictOf(op: OperationSpec, request: Request, params: Record<string, string>): Promise<Verdict> {
    const path = (op.parameters ?? []).filter((parameter) => parameter.in === 'path')
    const body = await bodyVerdict(op, request.clone())
    const verdicts = [
      ...path.map((parameter) => parameterVerdict(parameter, params[parameter.name] === undefined ? [] : [params[parameter.name]!])),
      queryVerdict(op, new URL(request.url).search.slice(1)),
      body,
    ]
    const verdict = verdicts.find((v) => v.expect === 'reject') ?? verdicts.find((v) => v.expect === 'any') ?? accept()
    return { ...verdict, body: body.body }
  }

  /** The status against the verdict: accepted input is never refused, refused input never gets a 2xx. */
  function judge(verdict: Verdict, status: number, body: unknown): Problem[] {
    if (verdict.expect === 'accept' && REFUSALS.has(status)) {
      const said = (body as { issues?: unknown; detail?: unknown } | null)?.issues ?? (body as { detail?: unknown } | null)?.detail
      return [{ rule: 'refused a request the document accepts', message: `${status} ${show(said)} for a request that ${verdict.why}` }]
    }
    if (verdict.expect === 'reject' && (status < 400 || status > 499)) {
      return [{ rule: 'accepted a request the document refuses', message: `${status} although ${verdict.why}` }]
    }
    return []
  }

  function schemaProblems(schema: Schema | undefined, value: unknown, what: string): Problem[] {
    if (!schema) return []
    const check = validate(schema)
    if (check(value)) return []
    const errors = check.errors?.map((error) => `${error.instancePath || '/'} ${error.message}`).join(', ')
    return [{ rule: 'body does not match the documented schema', message: `${what}: ${errors} in ${show(value)}` }]
  }

  /** A response to a method the path serves with no operation: OPTIONS 204 or 405, both with `Allow` as the path item says. */
  function unservedProblems(path: string, method: string, response: Response, text: string): Problem[] {
    const documented = /`Allow: ([^`]+)`/.exec(doc.paths[path]?.description ?? '')?.[1]
    if (!documented) return [{ rule: 'undocumented method answer', message: `${method} ${path} answered ${response.status}; the document does not say what methods it does not list answer` }]
    const methods = (list: string | null) => new Set((list ?? '').split(',').map((name) => name.trim()).filter(Boolean))
    const allow = response.headers.get('allow')
    const problems: Problem[] = []
    const expected = method === 'OPTIONS' ? 204 : 405
    if (response.status !== expected) problems.push({ rule: 'undocumented method answer', message: `${method} ${path} answered ${response.status}, not ${expected}` })
    const [want, got] = [methods(documented), methods(allow)]
    if (want.size !== got.size || [...want].some((name) => !got.has(name))) {
      problems.push({ rule: 'missing documented header', message: `${method} ${path}: Allow is ${show(allow)}, the document says ${show(documented)}` })
    }
    if (expected === 405 && method !== 'HEAD') {
      const type = response.headers.get('content-type')?.split(';')[0]?.trim()
      if (type !== 'application/problem+json') problems.push({ rule: 'undocumented content-type', message: `405 as ${show(type)}, not problem+json` })
      problems.push(...schemaProblems(problemSchema && { allOf: [problemSchema, { properties: { status: { const: 405 } } }] }, parse(text), `405 to ${method} ${path}`))
    } else if (text) {
      problems.push({ rule: 'body does not match the documented schema', message: `${method} ${path} answered ${response.status} with a body` })
    }
    return problems
  }

  /**
   * Checks one response against the document: a documented status (never 5xx), the documented
   * content-type, a body valid against its schema, the required headers. HEAD is checked as GET without a body.
   */
  async function checkResponse(path: string, request: Request, response: Response): Promise<{ status: number; body: unknown; problems: Problem[] }> {
    const { method } = request
    const status = response.status
    const streaming = response.headers.get('content-type')?.startsWith('text/event-stream') ?? false
    // A stream never ends: what it sends at once (the opening comment, events a backlog resends) is what is checked.
    const text = streaming ? await eventsFor(response, 15) : await response.text()
    const body = parse(text)
    const problems: Problem[] = status >= 500 ? [{ rule: 'server error', message: `${status} ${text.slice(0, 200)}` }] : []
    if (method === 'HEAD' && text) problems.push({ rule: 'body does not match the documented schema', message: 'HEAD answered with a body' })
    // "HEAD answers as GET without a body", says the path item, when the document has no HEAD operation.
    const headAsGet = method === 'HEAD' && !operationOf(doc, path, 'HEAD') && /HEAD answers as GET/.test(doc.paths[path]?.description ?? '')
    const op = operationOf(doc, path, headAsGet ? 'GET' : method)
    if (!op) return { status, body, problems: [...problems, ...unservedProblems(path, method, response, text)] }

    const spec = op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`] ?? op.responses.default
    if (!spec) return { status, body, problems: [...problems, { rule: 'undocumented status', message: `${status} is not documented for ${method} ${path} (${Object.keys(op.responses).join(', ')})` }] }
    for (const [name, header] of Object.entries(spec.headers ?? {})) {
      const value = response.headers.get(name)
      if (value === null && header.required) problems.push({ rule: 'missing documented header', message: `${status} without the required ${name} header` })
    }
    const type = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase()
    if (!spec.content) {
      if (text || type) problems.push({ rule: 'undocumented content-type', message: `${status} has no documented body, got ${show(type)} ${show(text)}` })
      return { status, body, problems }
    }
    const media = type ? spec.content[type] : undefined
    if (!media) {
      problems.push({ rule: 'undocumented content-type', message: `${status} as ${show(type)}; documented: ${Object.keys(spec.content).join(', ')}` })
    } else if (streaming) {
      // Each event's data against the item (the documented event's `data`).
      const item = (media.schema as { properties?: { data?: Schema } } | undefined)?.properties?.data
      for (const data of eventData(text)) problems.push(...schemaProblems(item, parse(data), `${status} ${type} event`))
    } else if (method !== 'HEAD') {
      problems.push(...schemaProblems(media.schema, body, `${status} ${type}`))
    }
    return { status, body, problems }
  }

  /** What an event stream sends within `ms` (it may never end), then cancelled. */
  async function eventsFor(response: Response, ms: number): Promise<string> {
    const reader = response.body?.getReader()
    if (!reader) return ''
    const decoder = new TextDecoder()
    let text = ''
    const stop = new Promise<void>((resolve) => setTimeout(resolve, ms))
    for (;;) {
      const next = await Promise.race([reader.read(), stop.then(() => undefined)])
      if (!next || next.done) break
      text += decoder.decode(next.value, { stream: true })
    }
    await reader.cancel().catch(() => {})
    return text
  }

  /** The `data` of each complete event in an event stream's text (one `data:` line each, as the route door writes them). */
  function eventData(text: string): string[] {
    return text.split('\n\n').slice(0, -1).flatMap((event) => event.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)))
  }

  return { verdictOf, judge, checkResponse }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0
  return 1 + Math.max(0, ...Object.values(value).map(depthOf))
}

/** The form envelope of DESIGN.md ("Form envelope"): what a form Server Action returns, success or error. */
export const formStateSchema: Schema = {
  oneOf: [
    {
      type: 'object',
      required: ['status', 'data'],
      properties: { status: { const: 'success' }, message: { type: 'string' }, data: {} },
      additionalProperties: false,
    },
    {
      type: 'object',
      required: ['status', 'code', 'formError', 'values'],
      properties: {
        status: { const: 'error' },
        code: { type: 'string', minLength: 1 },
        formError: { type: 'string', minLength: 1 },
        fieldErrors: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' }, minItems: 1 } },
        values: { type: 'object', additionalProperties: { type: 'string' } },
      },
      additionalProperties: false,
    },
  ],
}
