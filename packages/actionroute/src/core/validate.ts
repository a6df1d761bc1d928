import type { StandardSchemaV1 } from '@standard-schema/spec'
import { ActionError, type FieldIssue } from './errors'

function pathOf(issue: StandardSchemaV1.Issue): string {
  return (issue.path ?? [])
    .map((segment) => String(typeof segment === 'object' ? segment.key : segment))
    .join('.')
}

/** Validates `value` with any Standard Schema (zod 4, valibot, arktype); throws a 422 ActionError on failure. */
export async function validate<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
): Promise<StandardSchemaV1.InferOutput<S>> {
  const result = await schema['~standard'].validate(value)
  if (!result.issues) return result.value
  const issues: FieldIssue[] = result.issues.map((issue) => ({ path: pathOf(issue), message: issue.message }))
  // An issue about the input as a whole ("Passwords do not match") is the message itself.
  const whole = issues.filter((issue) => issue.path === '').map((issue) => issue.message)
  const message = whole.length > 0 ? whole.join(' ') : 'The input is not valid: see `errors` for each field.'
  throw new ActionError('VALIDATION_FAILED', message, { issues })
}

/** Dot paths into an input type, as validation reports them: `name`, `address.city`, `tags.0`. Four levels deep at most. */
export type FieldPath<T, Depth extends unknown[] = []> = Depth['length'] extends 4
  ? never
  : T extends readonly (infer Item)[]
    ? `${number}` | `${number}.${FieldPath<Item, [...Depth, unknown]>}`
    : T extends Date | File | Blob
      ? never
      : T extends object
        ? { [K in keyof T & string]-?: K | `${K}.${FieldPath<NonNullable<T[K]>, [...Depth, unknown]>}` }[keyof T & string]
        : never
