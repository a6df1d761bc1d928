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
  throw new ActionError('VALIDATION_FAILED', 'The input is not valid: see `errors` for each field.', { issues })
}
