import { unstable_isUnrecognizedActionError } from 'next/navigation'
import { useOptimistic, useState, useTransition } from 'react'
import type { ActionResult } from '../action/action'
import type { ActionErrorValue } from '../action/envelope'

export type ActionStatus = 'idle' | 'pending' | 'success' | 'error'

export interface UseActionOptions<Input, Data, Code extends string> {
  /**
   * Runs first, inside the call's transition: the place for a `useOptimistic` setter, whose state
   * holds until the call settles and rolls back unless the server's answer replaces it.
   */
  onExecute?(input: Input): void
  onSuccess?(data: Data, input: Input): void
  onError?(error: ActionErrorValue<Code | CallErrorCode>, input: Input): void
}

/** Failures the call itself met, before the operation could answer. */
export type CallErrorCode = 'NETWORK_ERROR' | 'STALE_PAGE' | 'UNEXPECTED_RESPONSE'

export interface UseAction<Input, Data, Code extends string> {
  /** Starts a call in a transition; the state below follows it. */
  execute(input: Input): void
  /** Like `execute`, and resolves with the result (never rejects). */
  executeAsync(input: Input): Promise<ActionResult<Data, Code | CallErrorCode>>
  status: ActionStatus
  isPending: boolean
  /** The last settled call's result, kept while a new one runs. */
  result: ActionResult<Data, Code | CallErrorCode> | undefined
  data: Data | undefined
  error: ActionErrorValue<Code | CallErrorCode> | undefined
  /** The input of the last call started. */
  input: Input | undefined
  reset(): void
}

const callError = (code: CallErrorCode, message: string): ActionErrorValue<CallErrorCode> => ({ code, status: 0, message, issues: [] })

/** Turns what an action call threw (the server is gone, or no longer knows the action) into a result. */
export async function settle<Input, Data, Code extends string>(
  action: (input: Input) => Promise<ActionResult<Data, Code>>,
  input: Input,
): Promise<ActionResult<Data, Code | CallErrorCode>> {
  try {
    return await action(input)
  } catch (error) {
    if (!unstable_isUnrecognizedActionError(error)) {
      // fetch rejects with a TypeError when no answer came; anything else is an answer we could not use.
      const [code, message] = error instanceof TypeError ? (['NETWORK_ERROR', 'The server could not be reached.'] as const) : (['UNEXPECTED_RESPONSE', 'The server answered with an error.'] as const)
      return { ok: false, error: callError(code, message) }
    }
    // A deploy since the page loaded: the typed input may not survive a trip through JSON to the route
    // (Dates, Maps), so nothing is guessed. Forms can fall back: see useFormAction.
    return { ok: false, error: callError('STALE_PAGE', 'This page is out of date: reload it and try again.') }
  }
}

/**
 * Calls a direct action (`action(op)`) from a client component: `const { execute, status, data, error } =
 * useAction(renameUserAction, { onSuccess })`. Errors come back as values with the operation's typed codes.
 */
export function useAction<Input, Data, Code extends string>(
  action: (input: Input) => Promise<ActionResult<Data, Code>>,
  options: UseActionOptions<Input, Data, Code> = {},
): UseAction<Input, Data, Code> {
  const [isPending, startTransition] = useTransition()
  const [settled, setSettled] = useState<{ input: Input; result: ActionResult<Data, Code | CallErrorCode> }>()
  const [input, setInput] = useState<Input>()
  const { onExecute, onSuccess, onError } = options

  const executeAsync = (next: Input) =>
    new Promise<ActionResult<Data, Code | CallErrorCode>>((resolve) => {
      startTransition(async () => {
        setInput(next)
        onExecute?.(next)
        const result = await settle(action, next)
        startTransition(() => setSettled({ input: next, result }))
        if (result.ok) onSuccess?.(result.data, next)
        else onError?.(result.error, next)
        resolve(result)
      })
    })
  const execute = (next: Input) => void executeAsync(next)
  const reset = () => {
    setSettled(undefined)
    setInput(undefined)
  }

  const result = settled?.result
  const status: ActionStatus = isPending ? 'pending' : !result ? 'idle' : result.ok ? 'success' : 'error'
  return {
    execute,
    executeAsync,
    status,
    isPending,
    result,
    data: result?.ok ? result.data : undefined,
    error: result && !result.ok ? result.error : undefined,
    input,
    reset,
  }
}

export interface UseOptimisticActionOptions<Input, Data, Code extends string, State> extends UseActionOptions<Input, Data, Code> {
  /** The server's state (a prop from a server component): what the optimistic state falls back to. */
  state: State
  /** The state as it will be once the call succeeds. */
  update(state: State, input: Input): State
}

/**
 * `useAction` with React's `useOptimistic`: `optimistic` shows `update(state, input)` while the call
 * runs, then the server's `state` again: the new one on success (when the action revalidated the
 * page), the old one on error, so a refused change rolls back by itself.
 */
export function useOptimisticAction<Input, Data, Code extends string, State>(
  action: (input: Input) => Promise<ActionResult<Data, Code>>,
  { state, update, ...options }: UseOptimisticActionOptions<Input, Data, Code, State>,
): UseAction<Input, Data, Code> & { optimistic: State } {
  const [optimistic, apply] = useOptimistic(state, update)
  const call = useAction(action, {
    ...options,
    onExecute(input) {
      apply(input)
      options.onExecute?.(input)
    },
  })
  return { ...call, optimistic }
}

/** What `useAction(action)` returns for a given direct action: `UseActionFor<typeof renameUserDirect>`. */
export type UseActionFor<Action> = Action extends (input: infer Input) => Promise<ActionResult<infer Data, infer Code>> ? UseAction<Input, Data, Code> : never
