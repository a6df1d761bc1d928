import type { StandardSchemaV1 } from '@standard-schema/spec'
import { parseFormData, type FormLimits } from './form-data'
import { NATIVE_DATE, resolveRef, toJsonSchema, type JsonSchema } from '../core/json-schema'

const TRUE = new Set(['true', 'on', '1', 'yes'])
const FALSE = new Set(['false', 'off', '0', 'no'])

/** The alternatives a schema allows, with `$ref`s followed. */
function variantsOf(schema: JsonSchema, root: JsonSchema): JsonSchema[] {
  const resolved = resolveRef(schema, root)
  const alternatives = resolved.anyOf ?? resolved.oneOf
  return alternatives ? alternatives.flatMap((variant) => variantsOf(variant, root)) : [resolved]
}

const typesOf = (variants: JsonSchema[]) =>
  new Set(variants.flatMap((variant) => (Array.isArray(variant.type) ? variant.type : variant.type ? [variant.type] : [])))

/** What coercion reads of one schema node. */
interface Shape {
  types: Set<string>
  isDate: boolean
  arraySchema: JsonSchema | undefined
  objectSchema: JsonSchema | undefined
  /** The object variant's properties, as entries. */
  properties: [string, JsonSchema][]
  /** An unchecked checkbox sends nothing: an absent boolean-only field without a default means false. */
  isCheckbox: boolean
}

// toJsonSchema caches each schema's JSON Schema, so its nodes are the same objects on every request: worked
// out once per node, not once per field of every form (a node belongs to one root, which its $refs follow).
const shapes = new WeakMap<JsonSchema, Shape>()
const ANY: JsonSchema = {}

function shapeOf(schema: JsonSchema, root: JsonSchema): Shape {
  let shape = shapes.get(schema)
  if (!shape) {
    const variants = variantsOf(schema, root)
    const types = typesOf(variants)
    const objectSchema = variants.find((variant) => variant.type === 'object' || variant.properties)
    shape = {
      types,
      isDate: variants.some((variant) => variant[NATIVE_DATE]),
      arraySchema: variants.find((variant) => variant.type === 'array'),
      objectSchema,
      properties: Object.entries(objectSchema?.properties ?? {}),
      isCheckbox: types.size === 1 && types.has('boolean') && !variants.some((variant) => 'default' in variant),
    }
    shapes.set(schema, shape)
  }
  return shape
}

const isIndexKey = (key: string) => /^(0|[1-9]\d*)$/.test(key)

/** Plain decimal notation only: `0x10`, `1e3`, ` 5 ` and `Infinity` stay strings and fail validation. */
const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/

/**
 * Turns the strings a form sends into what the schema expects: numbers, booleans, Dates, arrays
 * (one value or `tags[0]`-style keys). A string that does not fit is left alone for validation to report.
 */
function coerce(value: unknown, schema: JsonSchema, root: JsonSchema, checkboxes: boolean): unknown {
  const { types, isDate, arraySchema, objectSchema, properties } = shapeOf(schema, root)

  if (typeof value === 'string') {
    if (types.has('string') && !isDate) return value
    const trimmed = value.trim()
    if ((types.has('number') || types.has('integer')) && DECIMAL.test(value)) return Number(value)
    if (types.has('boolean') && TRUE.has(trimmed.toLowerCase())) return true
    if (types.has('boolean') && FALSE.has(trimmed.toLowerCase())) return false
    if (isDate && !Number.isNaN(Date.parse(trimmed))) return new Date(trimmed)
    if (arraySchema) return [coerce(value, arraySchema.items ?? ANY, root, checkboxes)]
    return value
  }
  if (Array.isArray(value)) {
    return arraySchema ? value.map((item) => coerce(item, arraySchema.items ?? ANY, root, checkboxes)) : value
  }
  if (typeof value === 'object' && value !== null && !(value instanceof File)) {
    const entries = arraySchema ? Object.entries(value) : []
    if (arraySchema && entries.every(([key]) => isIndexKey(key))) {
      return entries
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([, item]) => coerce(item, arraySchema.items ?? ANY, root, checkboxes))
    }
    if (objectSchema) return coerceObject(value as Record<string, unknown>, properties, root, checkboxes)
  }
  return value
}

function coerceObject(
  value: Record<string, unknown>,
  properties: [string, JsonSchema][],
  root: JsonSchema,
  checkboxes: boolean,
): Record<string, unknown> {
  const result: Record<string, unknown> = { ...value }
  for (const [key, property] of properties) {
    if (Object.hasOwn(value, key)) result[key] = coerce(value[key], property, root, checkboxes)
    else if (checkboxes && shapeOf(property, root).isCheckbox) result[key] = false
  }
  return result
}

/**
 * FormData or a query string → the input for `schema`: parsed with `parseFormData`, then coerced
 * by the schema's JSON Schema when its library provides one (Standard JSON Schema). In a form, an
 * absent boolean is an unchecked checkbox (`false`); in a query string (`{ query: true }`) it is
 * simply absent, so an optional filter stays unset.
 */
export function formInput(
  schema: StandardSchemaV1,
  form: FormData | URLSearchParams,
  limits?: Partial<FormLimits>,
  { query = false }: { query?: boolean } = {},
): Record<string, unknown> {
  const parsed = parseFormData(form, limits)
  const jsonSchema = toJsonSchema(schema, 'input', { markDates: true })
  return jsonSchema ? (coerce(parsed, jsonSchema, jsonSchema, !query) as Record<string, unknown>) : parsed
}
