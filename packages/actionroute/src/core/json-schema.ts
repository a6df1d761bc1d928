import type { StandardJSONSchemaV1, StandardSchemaV1 } from '@standard-schema/spec'

/** The parts of a JSON Schema (draft 2020-12) that coercion and OpenAPI read. */
export interface JsonSchema {
  type?: string | string[]
  format?: string
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  allOf?: JsonSchema[]
  $ref?: string
  $defs?: Record<string, JsonSchema>
  description?: string
  default?: unknown
  [NATIVE_DATE]?: true
  [key: string]: unknown
}

/** Marks a schema whose value is a JavaScript Date (zod's `z.date()`), sent over the wire as a date-time string. */
export const NATIVE_DATE = 'x-native-date'

function hasJsonSchema(schema: StandardSchemaV1): schema is StandardSchemaV1 & StandardJSONSchemaV1 {
  return typeof (schema['~standard'] as Partial<StandardJSONSchemaV1.Props>).jsonSchema?.input === 'function'
}

// zod-only hints, passed through Standard JSON Schema's libraryOptions: represent z.date() as a
// date-time string instead of failing, and anything else unrepresentable (transforms) as "any".
interface ZodOverrideContext {
  zodSchema: { _zod?: { def?: { type?: string } } }
  jsonSchema: JsonSchema
}
const zodOptions = (markDates: boolean) => ({
  unrepresentable: 'any',
  override: ({ zodSchema, jsonSchema }: ZodOverrideContext) => {
    if (zodSchema._zod?.def?.type !== 'date') return
    jsonSchema.type = 'string'
    jsonSchema.format = 'date-time'
    if (markDates) jsonSchema[NATIVE_DATE] = true
  },
})

const cache = new Map<string, WeakMap<StandardSchemaV1, JsonSchema | null>>()

/**
 * The JSON Schema of a Standard Schema's input or output, through Standard JSON Schema (zod 4,
 * arktype, valibot with its adapter). Null when the library cannot describe it. Cached per schema.
 */
export function toJsonSchema(
  schema: StandardSchemaV1,
  io: 'input' | 'output',
  { markDates = false }: { markDates?: boolean } = {},
): JsonSchema | null {
  const key = `${io}:${markDates}`
  const perSchema = cache.get(key) ?? cache.set(key, new WeakMap()).get(key)!
  if (perSchema.has(schema)) return perSchema.get(schema)!
  let result: JsonSchema | null = null
  if (hasJsonSchema(schema)) {
    const libraryOptions = schema['~standard'].vendor === 'zod' ? zodOptions(markDates) : undefined
    try {
      result = schema['~standard'].jsonSchema[io]({ target: 'draft-2020-12', libraryOptions }) as JsonSchema
    } catch {
      result = null
    }
  }
  perSchema.set(schema, result)
  return result
}

/** Follows a local `$ref` (`#/$defs/Name`) against the root schema. */
export function resolveRef(schema: JsonSchema, root: JsonSchema): JsonSchema {
  if (!schema.$ref?.startsWith('#/')) return schema
  let node: unknown = root
  for (const part of schema.$ref.slice(2).split('/')) node = (node as Record<string, unknown> | undefined)?.[part]
  return (node as JsonSchema | undefined) ?? schema
}
