import type { FieldIssue } from '../core/errors'

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

/** An error as a plain, serializable value. */
export interface ActionErrorValue<Code extends string = string> {
  code: Code
  status: number
  message: string
  issues: FieldIssue[]
  errorId?: string
}
