import type { FieldIssue } from '../core/errors'

/** The state a form action returns to `useActionState`; it survives a round trip without JavaScript. */
export interface FormState<Data = unknown> {
  status: 'idle' | 'success' | 'error'
  message?: string
  data?: Data
  /** A stable error code when `status` is "error". */
  code?: string
  fieldErrors?: Record<string, string[]>
  formError?: string
  /** What was submitted (minus secrets and files), so a re-rendered form keeps the user's input. */
  values?: Record<string, string>
}

export const idle: FormState<never> = { status: 'idle' }

/** An error as a plain, serializable value. */
export interface ActionErrorValue {
  code: string
  status: number
  message: string
  issues: FieldIssue[]
  errorId?: string
}
