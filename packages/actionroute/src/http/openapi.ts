import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { OpenAPIV3_1 } from 'openapi-types'
import { BODY_MEDIA_TYPES } from './body'
import { builtInCodes, type BuiltInErrorCode } from '../core/errors'
import { toJsonSchema, type JsonSchema } from '../core/json-schema'
import type { HttpMethod, Operation } from '../core/operation'
import { isFileSchema, mediaTypesOf } from '../input/files'
import { PROBLEM_CONTENT_TYPE } from './problem'
import { allowedMethods, readsQuery } from './route'
import type { ApiPaths } from './router'


export interface OpenApiOptions {
  info: {
    title: string
    version: string
    description?: string
    license?: { name: string; identifier?: string; url?: string }
    contact?: { name?: string; url?: string; email?: string }
  }
  servers?: { url: string; description?: string }[]
  /** Root-level security requirements; `[]` says, explicitly, that no authentication is needed. */
  security?: Record<string, string[]>[]
  paths: ApiPaths
}

/** The document `openapi()` returns: OpenAPI 3.1, typed by `openapi-types`. */
export type OpenApiDocument = OpenAPIV3_1.Document

const problemSchema: JsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details, with a stable `code` and, for invalid input, one entry per field.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', format: 'uri-reference' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
    issues: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: {
          path: { type: 'string', description: 'Dot-separated field path; empty for the input as a whole' },
          message: { type: 'string' },
        },
      },
    },
    errorId: { type: 'string', description: 'Reference of an unexpected error in the server log' },
  },
}

const ANONYMOUS = /^__schema\d+$/

/**
 * The document's `components.schemas`. A schema named by its library (zod's `.meta({ id })`) is
 * shared by every operation that uses it, and two different schemas under one name are an error;
 * an anonymous one (zod's `__schema0` for a recursive type) is namespaced by the operation, so two
 * operations' recursive types never overwrite each other.
 */
class Components {
  readonly schemas: Record<string, JsonSchema> = { Problem: problemSchema }
  private readonly texts = new Map<string, string>([['Problem', JSON.stringify(problemSchema)]])

  /** JSON Schema → an OpenAPI 3.1 schema object: no `$schema`, local `$defs` (and a root `#` self-reference) moved to components. */
  embed(schema: JsonSchema | null, scope: string): JsonSchema {
    if (!schema) return {}
    const { $schema: _dialect, $defs = {}, ...root } = schema
    const names = new Map(Object.keys($defs).map((name) => [name, ANONYMOUS.test(name) ? `${scope}_${name.replace(/^_+/, '')}` : name]))
    let selfReferenced = false
    const rewrite = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(rewrite)
      if (typeof node !== 'object' || node === null) return node
      return Object.fromEntries(
        Object.entries(node).map(([key, value]) => {
          if (key !== '$ref' || typeof value !== 'string') return [key, rewrite(value)]
          if (value === '#') {
            selfReferenced = true
            return [key, `#/components/schemas/${scope}`]
          }
          const name = value.startsWith('#/$defs/') ? names.get(value.slice('#/$defs/'.length)) : undefined
          return [key, name ? `#/components/schemas/${name}` : value]
        }),
      )
    }
    for (const [name, def] of Object.entries($defs)) this.add(names.get(name)!, rewrite(def) as JsonSchema)
    const embedded = rewrite(root) as JsonSchema
    if (selfReferenced) this.add(scope, embedded)
    return embedded
  }

  private add(name: string, schema: JsonSchema): void {
    const text = JSON.stringify(schema)
    const existing = this.texts.get(name)
    if (existing === undefined) {
      this.texts.set(name, text)
      this.schemas[name] = schema
    } else if (existing !== text) {
      throw new Error(`Two different schemas are both named "${name}" in the OpenAPI document; give one of them another id.`)
    }
  }
}

function without(schema: JsonSchema, names: string[]): JsonSchema {
  if (names.length === 0 || !schema.properties) return schema
  const properties = Object.fromEntries(Object.entries(schema.properties).filter(([key]) => !names.includes(key)))
  const required = schema.required?.filter((key) => !names.includes(key))
  return { ...schema, properties, ...(required ? { required } : {}) }
}

/**
 * When the body holds files: the multipart `encoding` of each file field that names its accepted media types
 * (`{ avatar: { contentType: 'image/png, image/jpeg' } }`), possibly empty; undefined when it holds none.
 */
function fileEncodings(schema: JsonSchema): Record<string, { contentType: string }> | undefined {
  const fields = Object.entries(schema.properties ?? {}).filter(([, property]) => isFileSchema(property))
  if (fields.length === 0) return undefined
  const encodings: Record<string, { contentType: string }> = {}
  for (const [name, property] of fields) {
    const types = mediaTypesOf(property)
    if (types.length > 0) encodings[name] = { contentType: types.join(', ') }
  }
  return encodings
}

/** The bodies of an input with file fields: multipart, and JSON and urlencoded without the files if none is required. */
function fileBodies(schema: JsonSchema, encodings: Record<string, { contentType: string }>) {
  const fileFields = Object.entries(schema.properties ?? {}).filter(([, property]) => isFileSchema(property)).map(([name]) => name)
  const multipart = { 'multipart/form-data': { schema, ...(Object.keys(encodings).length ? { encoding: encodings } : {}) } }
  if (fileFields.some((name) => schema.required?.includes(name))) return multipart
  const withoutFiles = without(schema, fileFields)
  return { ...Object.fromEntries(BODY_MEDIA_TYPES.filter((type) => type !== 'multipart/form-data').map((type) => [type, { schema: withoutFiles }])), ...multipart }
}

/** A response that is a file of one of `types`: its bytes, each media type with the schema 3.1 gives raw content. */
/**
 * A stream's answers: SSE, each event's `data` one item as JSON (described as the event it is, the item's schema
 * as its `data`), and NDJSON, one item per line (`x-itemSchema`; OpenAPI 3.2's `itemSchema` says it natively).
 */
function streamContent(op: Operation, item: JsonSchema) {
  const event = {
    type: 'object',
    description: 'One server-sent event. A failure ends the stream with `event: error` and an RFC 9457 problem as its data.',
    properties: {
      ...(op.stream?.id ? { id: { type: 'string', description: 'Send it back as `Last-Event-ID` to resume after it.' } } : {}),
      event: { type: 'string' },
      data: item,
    },
    required: ['data'],
  }
  return {
    'text/event-stream': { schema: event },
    'application/x-ndjson': { schema: { type: 'string', description: 'One item per line, as JSON; a failure ends it with a line `{"error": problem}`.' }, 'x-itemSchema': item },
  }
}

const fileContent = (types: readonly string[]) => Object.fromEntries(types.map((type) => [type, { schema: { type: 'string', contentMediaType: type } }]))

/** The media types a file body may have: its field's, or any. */
function fileBodyTypes(schema: JsonSchema, field: string): string[] {
  const property = schema.properties?.[field]
  const types = property ? mediaTypesOf(property) : []
  return types.length > 0 ? types : ['application/octet-stream']
}

/** True when `{}` cannot be valid: a required property, or alternatives (anyOf/oneOf) that each require one. */
function needsBody(schema: JsonSchema): boolean {
  const requires = (variant: JsonSchema) => (variant.required?.length ?? 0) > 0
  return requires(schema) || [schema.anyOf, schema.oneOf].some((variants) => variants?.length && variants.every(requires))
}

/** True when no query string and no path value can fail validation: then 422 cannot happen. */
function acceptsAnyQuery(rest: JsonSchema, pathParams: JsonSchema[]): boolean {
  const { type, properties = {}, required = [], description: _description, ...constraints } = rest
  const anyString = (schema: JsonSchema) => schema.type === 'string' && Object.keys(schema).every((key) => key === 'type' || key === 'description')
  return (
    type === 'object' &&
    Object.keys(properties).length === 0 &&
    required.length === 0 &&
    Object.keys(constraints).length === 0 &&
    pathParams.every(anyString)
  )
}

interface ErrorLine {
  code: string
  status: number
  text: string
}

const builtIn = (code: BuiltInErrorCode, text: string): ErrorLine => ({ code, status: builtInCodes[code].status, text })

/** Every error the route door can answer for this operation, by status, each as problem+json with its codes. */
function errorResponses(op: Operation, method: HttpMethod, mayBeInvalid: boolean): Record<string, unknown> {
  const lines: ErrorLine[] = []
  if (readsQuery(method)) {
    lines.push(builtIn('BAD_REQUEST', 'the query string holds a malformed or non-UTF-8 escape, breaks the form limits (field count, name length, depth, index), or uses one name as a value and as a group'))
  } else {
    lines.push(builtIn('BAD_REQUEST', 'the body is not valid JSON, UTF-8 or multipart; JSON nests deeper than the depth limit; or its form fields break the form limits'))
    lines.push(builtIn('PAYLOAD_TOO_LARGE', 'the body is over the size limit'))
    lines.push(builtIn('UNSUPPORTED_MEDIA_TYPE', `the body is not ${BODY_MEDIA_TYPES.join(', ')} (UTF-8)`))
  }
  if (method !== 'GET') lines.push(builtIn('CROSS_SITE_REQUEST', 'a form-type request sent by a browser from another origin'))
  if (mayBeInvalid) lines.push(builtIn('VALIDATION_FAILED', 'the input is not valid; `issues` lists each field'))
  for (const declared of Object.values(op.errors ?? {})) lines.push({ code: declared.code, status: declared.status, text: declared.message })
  lines.push(builtIn('INTERNAL', 'an unexpected error; quote `errorId` when reporting it'))
  lines.push(builtIn('SERVICE_UNAVAILABLE', 'the server cannot take the call now (it is shutting down, say); `Retry-After` says when to try again'))

  const byStatus = new Map<number, ErrorLine[]>()
  for (const line of lines) byStatus.set(line.status, [...(byStatus.get(line.status) ?? []), line])
  return Object.fromEntries(
    [...byStatus].sort(([a], [b]) => a - b).map(([status, group]) => {
      const codes = [...new Set(group.map((line) => line.code))]
      const schema = { allOf: [{ $ref: '#/components/schemas/Problem' }, { properties: { status: { const: status }, code: { enum: codes } } }] }
      return [
        String(status),
        {
          description: group.map((line) => `\`${line.code}\`: ${line.text}`).join('\n\n'),
          content: { [PROBLEM_CONTENT_TYPE]: { schema } },
        },
      ]
    }),
  )
}

function describe(path: string, method: HttpMethod, op: Operation, operationId: string, components: Components, schemes: Record<string, unknown>) {
  const pathParams = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!)
  const input = components.embed(documented(op, 'input', op.input), `${op.name}Input`)
  const propertyOf = (name: string): JsonSchema => input.properties?.[name] ?? { type: 'string' }

  const parameters: Record<string, unknown>[] = pathParams.map((name) => ({ name, in: 'path', required: true, schema: propertyOf(name) }))
  for (const layer of op.use) parameters.push(...layer.parameters)
  let requestBody: unknown
  const rest = without(input, pathParams)
  if (readsQuery(method)) {
    for (const [name, schema] of Object.entries(rest.properties ?? {})) {
      const { description, ...schemaOnly } = schema
      const required = rest.required?.includes(name) ?? false
      parameters.push({ name, in: 'query', required, schema: schemaOnly, ...(description ? { description } : {}) })
    }
  } else if (Object.keys(rest.properties ?? {}).length > 0) {
    const files = fileEncodings(rest)
    requestBody = {
      required: needsBody(rest),
      // A file travels in a multipart body only: JSON and urlencoded bodies cannot carry one. When every file
      // field is optional, they still carry the rest (the add-user JSON of the README, without an avatar).
      content: {
        ...(files ? fileBodies(rest, files) : Object.fromEntries(BODY_MEDIA_TYPES.map((type) => [type, { schema: rest }]))),
        // The file itself as the body, of each type its field takes.
        ...(op.http?.fileBody ? fileContent(fileBodyTypes(rest, op.http.fileBody)) : {}),
      },
    }
  }
  const mayBeInvalid = !readsQuery(method) || !acceptsAnyQuery(rest, pathParams.map(propertyOf))

  const status = op.http?.status ?? 200
  const output = op.output ? components.embed(documented(op, 'output', op.output), `${op.name}Output`) : {}
  const item = op.stream?.item ? components.embed(documented(op, 'output', op.stream.item), `${op.name}Item`) : {}
  const location = { Location: { description: 'URL of the created resource', required: true, schema: { type: 'string' } } }
  const success = {
    description: status === 201 ? 'Created' : status === 204 ? 'No content' : 'OK',
    ...(op.http?.location ? { headers: location } : {}),
    ...(status === 204 ? {} : { content: op.stream ? streamContent(op, item) : op.http?.produces ? fileContent(op.http.produces) : { 'application/json': { schema: output } } }),
  }

  // Each authenticate() middleware asks for any one of its schemes (OpenAPI: a list of alternatives); two of
  // them ask for one of each (every combination). A public operation says so: `[]` overrides a root-level security.
  let security: Record<string, string[]>[] | undefined = op.access === 'public' ? [] : undefined
  for (const layer of op.use) {
    if (!layer.authenticates) continue
    for (const { name, scheme } of layer.authenticates) schemes[name] = scheme
    const ways = layer.authenticates.map(({ name }) => ({ [name]: [] as string[] }))
    security = security?.length ? security.flatMap((asked) => ways.map((way) => ({ ...asked, ...way }))) : ways
  }

  return {
    operationId,
    ...(security ? { security } : {}),
    ...(op.summary ? { summary: op.summary } : {}),
    ...(op.description ? { description: op.description } : {}),
    ...(op.tags?.length ? { tags: [...op.tags] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: { [String(status)]: success, ...errorResponses(op, method, mayBeInvalid) },
  }
}

/**
 * The JSON Schema of an operation's input or output, or a clear error: a document that silently
 * says "anything" where the server checks something would mislead every client generated from it.
 */
function documented(op: Operation, io: 'input' | 'output', schema: StandardSchemaV1): JsonSchema {
  const jsonSchema = toJsonSchema(schema, io)
  if (jsonSchema) return jsonSchema
  const vendor = schema['~standard'].vendor
  throw new Error(
    `openapi(): the ${io} schema of operation "${op.name}" (${vendor}) cannot describe itself as JSON Schema. ` +
      'Use a library that implements Standard JSON Schema (zod 4, arktype 2, valibot through toStandardJsonSchema() from ' +
      '@valibot/to-json-schema), or leave this operation out of the document.',
  )
}

/** `post` + `/api/users/{id}` → `postApiUsersId`: the operationId of an operation's second and later paths. */
function pathOperationId(method: HttpMethod, path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean)
  return method.toLowerCase() + words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('')
}

/**
 * An OpenAPI 3.1 document for the operations served at `paths`: parameters, request bodies and
 * responses from the operations' schemas (Standard JSON Schema), every error as problem+json with
 * the codes it can carry. The path item says what HEAD, OPTIONS and other methods answer.
 */
export function openapi({ info, servers, security, paths }: OpenApiOptions): OpenApiDocument {
  const components = new Components()
  const schemes: Record<string, unknown> = {}
  const operationIds = new Set<string>()
  const documentPaths: Record<string, Record<string, unknown>> = {}
  for (const [path, methods] of Object.entries(paths)) {
    const allow = allowedMethods(methods).join(', ')
    const item: Record<string, unknown> = {
      description: `${methods.GET ? 'HEAD answers as GET without a body. ' : ''}OPTIONS answers 204 with \`Allow: ${allow}\`; any other method answers 405 problem+json with the same \`Allow\`.`,
    }
    for (const [method, op] of Object.entries(methods) as [HttpMethod, Operation][]) {
      // The same operation may be served at several paths: the first keeps its name, the others are named by path.
      const operationId = operationIds.has(op.name) ? pathOperationId(method, path) : op.name
      if (operationIds.has(operationId)) throw new Error(`Two operations in the OpenAPI document share the operationId "${operationId}".`)
      operationIds.add(operationId)
      item[method.toLowerCase()] = describe(path, method, op, operationId, components, schemes)
    }
    documentPaths[path] = item
  }
  // Built from JSON Schema objects, which openapi-types' SchemaObject models more narrowly than 3.1 allows.
  return {
    openapi: '3.1.0',
    info,
    ...(servers ? { servers } : {}),
    ...(security ? { security } : {}),
    paths: documentPaths,
    components: { schemas: components.schemas, ...(Object.keys(schemes).length ? { securitySchemes: schemes } : {}) },
  } as OpenApiDocument
}
