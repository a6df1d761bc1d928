import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020'
import addFormats from 'ajv-formats'

// The parts of an OpenAPI 3.1 document the fuzz suite reads, and one validator for its schemas.

export interface Schema {
  type?: string | string[]
  properties?: Record<string, Schema>
  required?: string[]
  items?: Schema
  enum?: unknown[]
  const?: unknown
  anyOf?: Schema[]
  oneOf?: Schema[]
  allOf?: Schema[]
  $ref?: string
  minLength?: number
  maxLength?: number
  pattern?: string
  format?: string
  minimum?: number
  maximum?: number
  [keyword: string]: unknown
}

export interface Parameter {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required?: boolean
  schema: Schema
}

export interface Content {
  [mediaType: string]: { schema?: Schema; encoding?: Record<string, { contentType?: string }> }
}

export interface ResponseSpec {
  description: string
  headers?: Record<string, { required?: boolean; schema?: Schema }>
  content?: Content
}

export interface OperationSpec {
  operationId: string
  parameters?: Parameter[]
  requestBody?: { required?: boolean; content: Content }
  responses: Record<string, ResponseSpec>
}

/** The methods an OpenAPI 3.1 path item may describe as operations. */
export const DOCUMENTED_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE'] as const

export type PathItem = { description?: string } & { [method in Lowercase<(typeof DOCUMENTED_METHODS)[number]>]?: OperationSpec }

export interface Document {
  paths: Record<string, PathItem>
  components?: { schemas?: Record<string, Schema> }
}

/** Every operation in the document, as `{ path, method, operation }` with the method upper-cased. */
export function operationsOf(doc: Document) {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    DOCUMENTED_METHODS.flatMap((method) => {
      const operation = item[method.toLowerCase() as Lowercase<typeof method>]
      return operation ? [{ path, method, operation }] : []
    }),
  )
}

export function operationOf(doc: Document, path: string, method: string): OperationSpec | undefined {
  return (DOCUMENTED_METHODS as readonly string[]).includes(method)
    ? doc.paths[path]?.[method.toLowerCase() as Lowercase<(typeof DOCUMENTED_METHODS)[number]>]
    : undefined
}

/** Follows a local `$ref` (`#/components/schemas/User`). */
export function deref(doc: Document, schema: Schema): Schema {
  if (!schema.$ref) return schema
  const target = schema.$ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc)
  if (!target) throw new Error(`The document has no ${schema.$ref}`)
  return deref(doc, target as Schema)
}

/**
 * Compiles a schema of the document with Ajv (draft 2020-12, formats on; strict off, since OpenAPI
 * adds keywords such as `description` placements Ajv's strict mode refuses). `$ref`s to components
 * resolve against the document itself.
 */
export function validators(doc: Document): (schema: Schema) => ValidateFunction {
  const ajv = new Ajv2020({ strict: false, allErrors: true, unicodeRegExp: true })
  addFormats(ajv)
  ajv.addSchema({ $id: 'openapi:document', components: doc.components ?? {} })
  const compiled = new WeakMap<Schema, ValidateFunction>()
  const rebase = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rebase)
    if (typeof node !== 'object' || node === null) return node
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) =>
        key === '$ref' && typeof value === 'string' && value.startsWith('#/') ? [key, `openapi:document${value}`] : [key, rebase(value)],
      ),
    )
  }
  return (schema) => {
    let validate = compiled.get(schema)
    if (!validate) {
      validate = ajv.compile(rebase(schema) as object)
      compiled.set(schema, validate)
    }
    return validate
  }
}
