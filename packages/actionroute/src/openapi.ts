import type { StandardSchemaV1 } from '@standard-schema/spec'
import { errorStatus } from './errors'
import { toJsonSchema, type JsonSchema } from './json-schema'
import type { HttpMethod, Operation } from './operation'
import { PROBLEM_CONTENT_TYPE } from './problem'
import { readsQuery } from './route'

/** Paths to operations by method: the same table feeds `routes()` and the OpenAPI document. */
export type ApiPaths = Record<string, Partial<Record<HttpMethod, Operation>>>

export interface OpenApiOptions {
  info: { title: string; version: string; description?: string }
  servers?: { url: string; description?: string }[]
  paths: ApiPaths
}

type Document = Record<string, unknown>

const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data']

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
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: { path: { type: 'string', description: 'Dot-separated field path' }, message: { type: 'string' } },
      },
    },
    errorId: { type: 'string', description: 'Reference of an unexpected error in the server log' },
  },
}

/** JSON Schema → an OpenAPI 3.1 schema object: no `$schema`, local `$defs` moved to components. */
function embed(schema: JsonSchema | null, components: Record<string, JsonSchema>): JsonSchema {
  if (!schema) return {}
  const { $schema, $defs, ...rest } = schema
  for (const [name, def] of Object.entries($defs ?? {})) components[name] = embed(def, components)
  return JSON.parse(JSON.stringify(rest).replaceAll('"#/$defs/', '"#/components/schemas/')) as JsonSchema
}

function without(schema: JsonSchema, names: string[]): JsonSchema {
  if (names.length === 0 || !schema.properties) return schema
  const properties = Object.fromEntries(Object.entries(schema.properties).filter(([key]) => !names.includes(key)))
  const required = schema.required?.filter((key) => !names.includes(key))
  return { ...schema, properties, ...(required ? { required } : {}) }
}

const problemResponse = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
})

function errorResponses(op: Operation, method: HttpMethod): Record<string, unknown> {
  const byStatus = new Map<number, string[]>()
  const add = (status: number, line: string) => byStatus.set(status, [...(byStatus.get(status) ?? []), line])
  if (!readsQuery(method)) {
    add(errorStatus.BAD_REQUEST, '`BAD_REQUEST`: the body is not valid JSON or multipart')
    add(errorStatus.PAYLOAD_TOO_LARGE, '`PAYLOAD_TOO_LARGE`: the body is over the size limit')
    add(errorStatus.UNSUPPORTED_MEDIA_TYPE, '`UNSUPPORTED_MEDIA_TYPE`: send JSON, urlencoded or multipart')
  }
  add(errorStatus.VALIDATION_FAILED, '`VALIDATION_FAILED`: the input is not valid; `errors` lists each field')
  for (const declared of Object.values(op.errors ?? {})) add(declared.status, `\`${declared.code}\`: ${declared.message}`)
  add(errorStatus.INTERNAL, '`INTERNAL`: an unexpected error; quote `errorId` when reporting it')
  return Object.fromEntries(
    [...byStatus].sort(([a], [b]) => a - b).map(([status, lines]) => [String(status), problemResponse(lines.join('\n\n'))]),
  )
}

function describe(path: string, method: HttpMethod, op: Operation, operationId: string, components: Record<string, JsonSchema>) {
  const pathParams = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!)
  const input = embed(toJsonSchema(op.input as StandardSchemaV1, 'input'), components)
  const propertyOf = (name: string): JsonSchema => input.properties?.[name] ?? { type: 'string' }

  const parameters: Record<string, unknown>[] = pathParams.map((name) => ({ name, in: 'path', required: true, schema: propertyOf(name) }))
  let requestBody: unknown
  const rest = without(input, pathParams)
  if (readsQuery(method)) {
    for (const [name, schema] of Object.entries(rest.properties ?? {})) {
      const { description, ...schemaOnly } = schema
      const required = rest.required?.includes(name) ?? false
      parameters.push({ name, in: 'query', required, schema: schemaOnly, ...(description ? { description } : {}) })
    }
  } else if (Object.keys(rest.properties ?? {}).length > 0) {
    requestBody = {
      required: (rest.required?.length ?? 0) > 0,
      content: Object.fromEntries(['application/json', ...FORM_TYPES].map((type) => [type, { schema: rest }])),
    }
  }

  const status = op.http?.status ?? 200
  const output = op.output ? embed(toJsonSchema(op.output, 'output'), components) : {}
  const success = {
    description: status === 201 ? 'Created' : status === 204 ? 'No content' : 'OK',
    ...(op.http?.location ? { headers: { Location: { description: 'URL of the created resource', schema: { type: 'string' } } } } : {}),
    ...(status === 204 ? {} : { content: { 'application/json': { schema: output } } }),
  }

  return {
    operationId,
    ...(op.summary ? { summary: op.summary } : {}),
    ...(op.description ? { description: op.description } : {}),
    ...(op.tags?.length ? { tags: [...op.tags] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: { [String(status)]: success, ...errorResponses(op, method) },
  }
}

/**
 * An OpenAPI 3.1 document for the operations served at `paths`: parameters, request bodies and
 * responses from the operations' schemas (Standard JSON Schema), every error as problem+json.
 */
export function openapi({ info, servers, paths }: OpenApiOptions): Document {
  const components: Record<string, JsonSchema> = { Problem: problemSchema }
  const used = new Map<string, number>()
  const documentPaths: Record<string, Record<string, unknown>> = {}
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods) as [HttpMethod, Operation][]) {
      // The same operation may be served at several paths: its operationId stays unique.
      const seen = (used.get(op.name) ?? 0) + 1
      used.set(op.name, seen)
      const operationId = seen === 1 ? op.name : `${op.name}${seen}`
      ;(documentPaths[path] ??= {})[method.toLowerCase()] = describe(path, method, op, operationId, components)
    }
  }
  return {
    openapi: '3.1.0',
    info,
    ...(servers ? { servers } : {}),
    paths: documentPaths,
    components: { schemas: components },
  }
}
