import type { FieldIssue } from '../core/errors'
import { echoValues } from '../input/form-data'

// Each state names every field, `undefined` where it does not apply, so `state.values?.name` reads
// the same on any state while `status` still narrows to the exact shape.
interface Absent {
  message?: undefined
  data?: undefined
  code?: undefined
  fieldErrors?: undefined
  formError?: undefined
  values?: undefined
}

/** Before the first submission. */
export interface IdleState extends Absent {
  status: 'idle'
}

export interface SuccessState<Data> extends Omit<Absent, 'message' | 'data'> {
  status: 'success'
  /** `data.message` when the operation returns one, or what `options.message(data)` says. */
  message?: string
  data: Data
}

export interface ErrorState<Code extends string = string, Field extends string = string>
  extends Omit<Absent, 'code' | 'fieldErrors' | 'formError' | 'values'> {
  status: 'error'
  /** A stable error code: a built-in one or one the operation declares. */
  code: Code
  /** Messages by field path, for the fields that were wrong. */
  fieldErrors?: Partial<Record<Field, string[]>>
  /** One sentence for the form as a whole. */
  formError: string
  /**
   * What was submitted (minus secrets and files), so a re-rendered form keeps the user's input. Keyed by
   * the submitted names: the input's field paths for a plain form, any name for others (`tags[0]`).
   */
  values: Partial<Record<Field | (string & {}), string>>
}

/**
 * The state a form action returns to `useActionState`; it survives a round trip without JavaScript.
 * `Code` is the union of error codes the operation can answer; `Field` its input's field paths.
 */
export type FormState<Data = unknown, Code extends string = string, Field extends string = string> =
  | IdleState
  | SuccessState<Data>
  | ErrorState<Code, Field>

export const idle: IdleState = { status: 'idle' }

/** The form field `formAction` reads an idempotency key from: `<input type="hidden" name="idempotency-key" value={key} />`. */
export const IDEMPOTENCY_FIELD = 'idempotency-key'

/** An error as a plain, serializable value. */
export interface ActionErrorValue<Code extends string = string> {
  code: Code
  status: number
  message: string
  issues: FieldIssue[]
  errorId?: string
}

/** The default for `isSecret`: names containing "password", "secret" or "token" are never echoed back. */
export const isSecretName = (name: string): boolean => /password|secret|token/i.test(name)

function fieldErrorsOf(issues: FieldIssue[]): Record<string, string[]> | undefined {
  const fieldIssues = issues.filter((issue) => issue.path !== '')
  if (fieldIssues.length === 0) return undefined
  // A Map, then own properties: a field named "constructor" or "__proto__" is a field like any other here.
  const errors = new Map<string, string[]>()
  for (const { path, message } of fieldIssues) {
    const messages = errors.get(path)
    if (messages) messages.push(message)
    else errors.set(path, [message])
  }
  return Object.fromEntries(errors)
}

/** The form envelope of an error, from either door's answer: field issues by field, the rest as the form's error. */
export function errorState(
  error: Pick<ActionErrorValue, 'code' | 'message' | 'issues'>,
  form: FormData | null,
  isSecret: (name: string) => boolean = isSecretName,
): ErrorState {
  const fieldErrors = fieldErrorsOf(error.issues)
  const whole = error.issues.filter((issue) => issue.path === '').map((issue) => issue.message)
  return {
    status: 'error',
    code: error.code,
    ...(fieldErrors ? { fieldErrors } : {}),
    // An issue about the whole input reads best as the form's error; field issues sit by their fields. A failed
    // validation has no message of its own beyond them; any other error (a declared one: "That email is taken.")
    // says something its field issue may not, so its message is the form's error.
    formError: whole.length > 0 ? whole.join(' ') : fieldErrors && error.code === 'VALIDATION_FAILED' ? 'Please correct the fields marked below.' : error.message,
    values: form ? echoValues(form, isSecret) : {},
  }
}

/** `data.message` when the operation's result has one: the default success message. */
export function defaultMessage(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || !('message' in data)) return undefined
  return typeof data.message === 'string' ? data.message : undefined
}

/**
 * A direct action's result in the form envelope, so one component can show either door's answer:
 * `resultState(await renameUserDirect(input))`.
 */
export function resultState<Data, Code extends string>(
  result: { ok: true; data: Data } | { ok: false; error: ActionErrorValue<Code> },
): SuccessState<Data> | ErrorState<Code> {
  if (!result.ok) return errorState(result.error, null) as ErrorState<Code>
  return successState(result.data, defaultMessage(result.data))
}

/** The success state, with `message` only when there is one (two literals: a conditional spread costs more on every call). */
export function successState<Data>(data: Data, message: string | undefined): SuccessState<Data> {
  return message === undefined ? { status: 'success', data } : { status: 'success', data, message }
}
