import type { StandardSchemaV1 } from '@standard-schema/spec'
import { actionContext, actionHeaders } from './context'
import { OperationError } from '../core/errors'
import { formInput } from '../input/coerce'
import { checkFormFiles, checkInputFiles, fileRulesFor, holdsFiles } from '../input/files'
import type { FormLimits } from '../input/form-data'
import { forbidden, unauthorized, unstable_rethrow } from '#next/navigation'
import { DeferredInput, execute, type ErrorCodesOf, type FieldsOf, type InputOf, type Operation, type OutputOf } from '../core/operation'
import { unexpected } from '../core/report'
import { actionFrames, isAsyncIterable, type ItemOf, type StreamFrame } from '../core/stream'
import { parseIdempotencyKey } from '../core/idempotency-key'
import { defaultMessage, errorState, IDEMPOTENCY_FIELD, isSecretName, successState, type ActionErrorValue, type FormState } from './envelope'
import { readFormOutcome, redirectWithOutcome, sentWithoutJavaScript } from './no-script'

/** What a direct action answers: the data, or the error as a plain value with a typed `code`. */
export type ActionResult<Data, Code extends string = string> = { ok: true; data: Data } | { ok: false; error: ActionErrorValue<Code> }

/** The form state of an operation: its output, its error codes and its input's field paths. */
export type FormStateOf<Op> = FormState<OutputOf<Op>, ErrorCodesOf<Op>, FieldsOf<Op>>

/** The form action `formAction(op)` makes, for `useActionState(action, idle)`. */
export type FormActionOf<Op> = (previous: FormStateOf<Op>, formData: FormData) => Promise<FormStateOf<Op>>

/** What a direct action's success carries: the output, or for a streaming operation its items as frames. */
export type ActionDataOf<Op> = OutputOf<Op> extends AsyncIterable<unknown> ? AsyncIterable<StreamFrame<ItemOf<OutputOf<Op>>, ErrorCodesOf<Op>>> : OutputOf<Op>

/** The direct action `action(op)` makes. */
export type ActionOf<Op> = (input: InputOf<Op>) => Promise<ActionResult<ActionDataOf<Op>, ErrorCodesOf<Op>>>

type AnyOperation = Operation<StandardSchemaV1, unknown>

/** What a Server Action made by `formAction()` or `action()` serves, for `inventory()`: kept on the function itself. */
export const SERVES = Symbol.for('actionroute.serves')
export interface Serves {
  operation: AnyOperation
  kind: 'form' | 'direct'
}

function served<Fn extends object>(fn: Fn, operation: AnyOperation, kind: Serves['kind']): Fn {
  return Object.defineProperty(fn, SERVES, { value: { operation, kind } satisfies Serves })
}

export interface FormActionOptions<Data> {
  /** The success message; by default `data.message` when the operation returns one. */
  message?: (data: Data) => string | undefined
  /** Fields never echoed back in `values`; by default names containing "password", "secret" or "token". */
  isSecret?: (name: string) => boolean
  /** Runs after success, inside the action: the place for `revalidatePath()` or `redirect()`. */
  onSuccess?: (data: Data) => void | Promise<void>
  /** Bounds on the submitted fields (count, name length, depth, index); see `DEFAULT_FORM_LIMITS`. */
  formLimits?: Partial<FormLimits>
  /**
   * A 401 or 403 from the operation calls Next's `unauthorized()` / `forbidden()`, which render the
   * nearest `unauthorized.tsx` / `forbidden.tsx`, instead of answering the form's error state. Needs
   * `experimental.authInterrupts` in next.config; without it the error state is answered, with a warning.
   * The route door answers problem+json whatever this says.
   */
  authInterrupts?: boolean
  /**
   * What a form sent without JavaScript gets back. `'render'` (the default): Next renders the page with the
   * outcome, as `useActionState` does. `'redirect'`: a 303 back to the page (post/redirect/get), the outcome in
   * a 30-second cookie that `formOutcome(op)` reads. Use `'redirect'` with `cacheComponents` on Next up to
   * 16.4, which answers such a form with a blank page (16.5.0 fixed it). Calls from JavaScript are answered in
   * place either way.
   */
  withoutJavaScript?: 'render' | 'redirect'
}

/** A copy of `form` without the field `name`. */
function without(form: FormData, name: string): FormData {
  const copy = new FormData()
  for (const [field, value] of form) if (field !== name) copy.append(field, value)
  return copy
}

const notAForm = () =>
  new OperationError('BAD_REQUEST', 'This action takes a form submission (FormData); nothing else was sent to it.')

/**
 * Serves an operation as a form Server Action for `useActionState`:
 * `export const addUserAction = formAction(addUser)` in a `'use server'` module. Called with the
 * FormData alone (as a plain `<form action>` would) it works too, but its type is the two-argument
 * one `useActionState` needs.
 */
export function formAction<Op extends AnyOperation>(op: Op, options: FormActionOptions<OutputOf<Op>> = {}): FormActionOf<Op> {
  if (op.stream) throw new TypeError(`formAction(${op.name}): a streaming operation has no form state to answer; serve it with action() or route().`)
  const isSecret = options.isSecret ?? isSecretName
  const onSuccess = options.onSuccess as FormActionOptions<unknown>['onSuccess']
  const messageOf = (options.message ?? defaultMessage) as (data: unknown) => string | undefined
  // The state to answer; with 'redirect', a form sent without JavaScript is sent back to its page instead.
  const answer: (state: FormState) => FormState | Promise<FormState> =
    options.withoutJavaScript === 'redirect'
      ? async (state) => {
          const requestHeaders = await actionHeaders()
          if (sentWithoutJavaScript(requestHeaders)) await redirectWithOutcome(op.name, state, requestHeaders)
          return state
        }
      : (state) => state
  async function submit(previous: unknown, formData: unknown): Promise<FormState> {
    // Anyone can call an action with any arguments: only a FormData is a submission.
    const form = formData instanceof FormData ? formData : previous instanceof FormData && formData === undefined ? previous : null
    if (!form) return answer(errorState(notAForm(), null, isSecret))
    let input: Record<string, unknown>
    let idempotencyKey: string | undefined
    try {
      const key = form.get(IDEMPOTENCY_FIELD)
      idempotencyKey = typeof key === 'string' && key !== '' ? parseIdempotencyKey(key) : undefined
      const fields = idempotencyKey === undefined ? form : without(form, IDEMPOTENCY_FIELD)
      input = formInput(op.input, await checkFormFiles(fields, fileRulesFor(op.input)), options.formLimits)
    } catch (error) {
      if (error instanceof OperationError) return answer(errorState(error, form, isSecret))
      throw error
    }
    const outcome = await execute(op, input, await actionContext(idempotencyKey))
    if (outcome.ok) {
      try {
        await onSuccess?.(outcome.data)
      } catch (error) {
        // The operation did its work (answering an error would invite a duplicate retry): log the hook's failure, never throw it.
        unstable_rethrow(error)
        unexpected(error, { operation: `${op.name} onSuccess`, door: 'action' })
      }
      return answer(successState(outcome.data, messageOf(outcome.data)))
    }
    if (options.authInterrupts) interrupt(outcome.error.status)
    return answer(errorState(outcome.error, form, isSecret))
  }
  // The runtime shapes are the ones FormStateOf<Op> describes; the codes and field names come from `op`.
  return served(submit, op, 'form') as FormActionOf<Op>
}

/**
 * What `op`'s form answered when it was sent without JavaScript (`formAction(op, { withoutJavaScript:
 * 'redirect' })`), on the page the browser was sent back to; `idle` on any other visit. The form's first state:
 * `useFormAction(subscribeAction, await formOutcome(subscribe))`. It reads a cookie, so it renders per request.
 */
export function formOutcome<Op extends AnyOperation>(op: Op): Promise<FormStateOf<Op>> {
  return readFormOutcome(op.name) as Promise<FormStateOf<Op>>
}

let warnedAboutInterrupts = false

/**
 * Hands a 401 or 403 to Next's auth interrupts. Without `experimental.authInterrupts`, Next's `unauthorized()`
 * throws an ordinary Error instead of its interrupt (Next's own signal, which `unstable_rethrow` passes on):
 * then the error state is answered, with a warning once. No private Next setting is read.
 */
function interrupt(status: number): void {
  if (status !== 401 && status !== 403) return
  try {
    if (status === 401) unauthorized()
    forbidden()
  } catch (error) {
    unstable_rethrow(error)
    if (!warnedAboutInterrupts) console.warn('[actionroute] formAction({ authInterrupts: true }) needs experimental.authInterrupts in next.config; answering the error state instead.')
    warnedAboutInterrupts = true
  }
}

/** Serves an operation as a Server Action called with a typed input: `await renameUserAction({ id, name })`. */
export function action<Op extends AnyOperation>(op: Op): ActionOf<Op> {
  async function call(input: unknown): Promise<ActionResult<unknown>> {
    // Files in the arguments are checked as a form's are; a refusal is the call's answer, through its middleware.
    const raw = holdsFiles(input) ? new DeferredInput(() => checkInputFiles(input, fileRulesFor(op.input))) : input
    // A stream's handler sees ctx.signal abort when the reader stops (React, or the caller's for await).
    const streaming = op.stream ? new AbortController() : undefined
    const context = await actionContext()
    const outcome = await execute(op, raw, streaming ? { ...context, signal: streaming.signal } : context)
    if (outcome.ok && isAsyncIterable(outcome.data)) return { ok: true, data: actionFrames(outcome.data, op.name, () => streaming?.abort()) }
    streaming?.abort()
    return outcome.ok ? outcome : failed(outcome.error)
  }
  function failed(error: OperationError): ActionResult<never> {
    const { code, status, message, issues, errorId } = error
    return { ok: false, error: { code, status, message, issues, ...(errorId ? { errorId } : {}) } }
  }
  return served(call, op, 'direct') as ActionOf<Op>
}
