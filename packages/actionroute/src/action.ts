import type { StandardSchemaV1 } from '@standard-schema/spec'
import { actionContext } from './action-context'
import type { ActionError, FieldIssue } from './errors'
import { formInput } from './coerce'
import { echoValues } from './form-data'
import { unstable_rethrow } from 'next/navigation'
import { execute, unexpected, type Operation } from './operation'
import type { ActionErrorValue, FormState } from './form-state'

export type ActionResult<Data> = { ok: true; data: Data } | { ok: false; error: ActionErrorValue }

export interface FormActionOptions<Data> {
  /** The success message; by default `data.message` when the operation returns one. */
  message?: (data: Data) => string | undefined
  /** Fields never echoed back in `values`; by default names containing "password", "secret" or "token". */
  isSecret?: (name: string) => boolean
  /** Runs after success, inside the action: the place for `revalidatePath()` or `redirect()`. */
  onSuccess?: (data: Data) => void | Promise<void>
}

const SECRET_NAME = /password|secret|token/i

function defaultMessage(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || !('message' in data)) return undefined
  return typeof data.message === 'string' ? data.message : undefined
}

function fieldErrorsOf(issues: FieldIssue[]): Record<string, string[]> | undefined {
  const fieldIssues = issues.filter((issue) => issue.path !== '')
  if (fieldIssues.length === 0) return undefined
  const errors: Record<string, string[]> = {}
  for (const { path, message } of fieldIssues) (errors[path] ??= []).push(message)
  return errors
}

/**
 * Serves an operation as a form Server Action for `useActionState`:
 * `export const addUserAction = formAction(addUser)` in a `'use server'` module.
 */
export function formAction<Output>(
  op: Operation<StandardSchemaV1, Output>,
  options: FormActionOptions<Output> = {},
): (previous: FormState<Output>, formData: FormData) => Promise<FormState<Output>> {
  const isSecret = options.isSecret ?? ((name: string) => SECRET_NAME.test(name))
  return async function submit(_previous, formData) {
    const outcome = await execute(op, formInput(op.input, formData), await actionContext())
    if (outcome.ok) {
      try {
        await options.onSuccess?.(outcome.data)
      } catch (error) {
        // The operation did its work (answering an error would invite a duplicate retry): log the hook's failure, never throw it.
        unstable_rethrow(error)
        unexpected(error, { operation: `${op.name} onSuccess`, transport: 'action' })
      }
      const message = (options.message ?? defaultMessage)(outcome.data)
      return { status: 'success', data: outcome.data, ...(message === undefined ? {} : { message }) }
    }
    return errorState(outcome.error, formData, isSecret)
  }
}

function errorState<Output>(error: ActionError, formData: FormData, isSecret: (name: string) => boolean): FormState<Output> {
  const fieldErrors = fieldErrorsOf(error.issues)
  return {
    status: 'error',
    code: error.code,
    ...(fieldErrors ? { fieldErrors } : {}),
    formError: fieldErrors ? 'Please correct the fields marked below.' : error.message,
    values: echoValues(formData, isSecret),
  }
}

/** Serves an operation as a Server Action called with a typed input: `await renameUserAction({ id, name })`. */
export function action<Output, Schema extends StandardSchemaV1>(
  op: Operation<Schema, Output>,
): (input: StandardSchemaV1.InferInput<Schema>) => Promise<ActionResult<Output>> {
  return async function call(input) {
    const outcome = await execute(op, input, await actionContext())
    if (outcome.ok) return outcome
    const { code, status, message, issues, errorId } = outcome.error
    return { ok: false, error: { code, status, message, issues, ...(errorId ? { errorId } : {}) } }
  }
}
