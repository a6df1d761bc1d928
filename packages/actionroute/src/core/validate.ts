import type { StandardSchemaV1 } from '@standard-schema/spec'
import { OperationError, type FieldIssue } from './errors'

function pathOf(issue: StandardSchemaV1.Issue): string {
  return (issue.path ?? [])
    .map((segment) => String(typeof segment === 'object' ? segment.key : segment))
    .join('.')
}

/**
 * The fields with issues, by path, for a message every door can use: a route's problem lists them in `errors`,
 * a direct action in `issues`, a form state in `fieldErrors`, so the message names no such field itself.
 */
function fieldList(issues: FieldIssue[]): string {
  const paths = [...new Set(issues.map((issue) => (issue.path.length > 40 ? `${issue.path.slice(0, 40)}…` : issue.path)))]
  const shown = paths.slice(0, 5).join(', ')
  return paths.length > 5 ? `${shown} and ${paths.length - 5} more` : shown
}

/** Validates `value` with any Standard Schema (zod 4, valibot, arktype); throws a 422 OperationError on failure. */
export async function validate<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
): Promise<StandardSchemaV1.InferOutput<S>> {
  const result = await schema['~standard'].validate(value)
  if (!result.issues) return result.value
  const issues: FieldIssue[] = result.issues.map((issue) => ({ path: pathOf(issue), message: issue.message }))
  // An issue about the input as a whole ("Passwords do not match") is the message itself.
  const whole = issues.filter((issue) => issue.path === '').map((issue) => issue.message)
  const message = whole.length > 0 ? whole.join(' ') : `The input is not valid: ${fieldList(issues)}.`
  throw new OperationError('VALIDATION_FAILED', message, { issues })
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
