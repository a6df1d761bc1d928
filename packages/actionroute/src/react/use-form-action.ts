import { unstable_isUnrecognizedActionError, useRouter } from 'next/navigation'
import { useActionState, useSyncExternalStore } from 'react'
import { errorState, IDEMPOTENCY_FIELD, isSecretName, type ErrorState, type FormState } from '../action/envelope'
import type { CallErrorCode } from './use-action'
import type { FieldIssue } from '../core/errors'
import { echoValues } from '../input/form-data'

type FormActionFn<State> = (previous: State, formData: FormData) => Promise<State>

export interface UseFormActionOptions {
  /**
   * The operation's route, for when the server no longer knows this action (a deploy since the page
   * loaded): the same form is posted there and its answer shown in the same envelope. `{id}` in the
   * path is filled from the form's field of that name. Without a route, the page reloads with the
   * user's input kept.
   */
  route?: string | { path: string; method?: 'POST' | 'PUT' | 'PATCH' | 'DELETE' }
  /**
   * Runs when the form is submitted with JavaScript on, inside the action's transition: call a
   * `useOptimistic` setter here. Its state holds until the action settles.
   */
  onSubmit?(formData: FormData): void
  /**
   * The largest body the action door takes (next.config's `serverActions.bodySizeLimit`, in bytes). With a
   * `route`, a form whose files add up to more is sent there instead, where they stream (the action would be
   * refused). Without JavaScript the browser sends the form as it is: see the README, "Accept files".
   */
  actionBodyLimit?: number
  /** Names this form among others on the page without a route, so kept input goes back to the right one. */
  name?: string
  /** Fields never echoed back in `values` (as `formAction`'s option): by default names containing "password", "secret" or "token". */
  isSecret?(name: string): boolean
}

const noSubscription = () => () => {}
const RESTORE_KEY = 'actionroute:restore'

interface ProblemBody {
  code?: unknown
  detail?: unknown
  issues?: unknown
}

type FallbackRoute = NonNullable<UseFormActionOptions['route']>

/**
 * The request that carries a form to the operation's route instead of its action: the same fields (from the
 * query string for DELETE, a form body otherwise), the form's idempotency key as the `Idempotency-Key` header
 * (as a field, the route would ignore it, and a retry after a deploy could run twice), and the page's
 * credentials (its cookies: `credentials: 'same-origin'`).
 */
export function fallbackRequest(route: FallbackRoute, form: FormData, base: string): { url: URL; init: RequestInit } {
  const { path, method = 'POST' } = typeof route === 'string' ? { path: route } : route
  const url = new URL(path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(String(form.get(name) ?? ''))), base)
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' }
  const key = form.get(IDEMPOTENCY_FIELD)
  if (typeof key === 'string' && key !== '') headers['idempotency-key'] = key
  const fields = [...form].filter(([name]) => !name.startsWith('$ACTION_') && name !== IDEMPOTENCY_FIELD)
  let body: FormData | undefined
  if (method === 'DELETE') {
    for (const [name, value] of fields) if (typeof value === 'string') url.searchParams.append(name, value)
  } else {
    body = new FormData()
    for (const [name, value] of fields) body.append(name, value)
  }
  return { url, init: { method, body, headers, credentials: 'same-origin' } }
}

/** Answers a form posted to the operation's route in the form envelope, as the action would have. */
async function postToRoute(route: FallbackRoute, form: FormData, isSecret: (name: string) => boolean): Promise<FormState> {
  const fail = (code: string, message: string, issues: FieldIssue[] = []) => errorState({ code, message, issues }, form, isSecret)
  const { url, init } = fallbackRequest(route, form, location.href)
  let response: Response
  try {
    response = await fetch(url, init)
  } catch {
    return fail('NETWORK_ERROR', 'The server could not be reached. Please try again.')
  }
  const parsed: unknown = await response.json().catch(() => undefined)
  if (response.ok) {
    const message = (parsed as { message?: unknown } | undefined)?.message
    return { status: 'success', data: parsed, ...(typeof message === 'string' ? { message } : {}) }
  }
  const problem = (parsed ?? {}) as ProblemBody
  if (typeof problem.code !== 'string') return fail('UNEXPECTED_RESPONSE', `The server answered ${response.status}.`)
  return fail(problem.code, typeof problem.detail === 'string' ? problem.detail : `The server answered ${response.status}.`, Array.isArray(problem.issues) ? (problem.issues as FieldIssue[]) : [])
}

/** No route to fall back to: keep what the user typed across a reload, which brings the new build's page. */
function reloadKeepingInput(form: FormData, isSecret: (name: string) => boolean, key: string): Promise<never> {
  sessionStorage.setItem(RESTORE_KEY, JSON.stringify({ key, values: echoValues(form, isSecret) }))
  location.reload()
  // The page goes away; the form stays pending until it does.
  return new Promise<never>(() => {})
}

// The input kept by the last reload, taken out of sessionStorage once per page load (so a later reload
// does not bring it back) and read through useSyncExternalStore (so hydration sees none, as the server did).
let kept: string | null | undefined
const keptListeners = new Set<() => void>()
function readKept(): string | null {
  if (kept === undefined) {
    kept = sessionStorage.getItem(RESTORE_KEY)
    sessionStorage.removeItem(RESTORE_KEY)
  }
  return kept
}
function subscribeKept(listener: () => void) {
  keptListeners.add(listener)
  return () => keptListeners.delete(listener)
}
function forgetKept() {
  kept = null
  for (const listener of keptListeners) listener()
}

/** The bytes of the files in a form. */
const filesSize = (form: FormData) => [...form.values()].reduce((total, value) => total + (typeof value === 'string' ? 0 : value.size), 0)

function keptState(saved: string | null, key: string): ErrorState<CallErrorCode> | undefined {
  if (!saved) return undefined
  try {
    const parsed = JSON.parse(saved) as { key?: unknown; values?: unknown }
    if (parsed.key !== key || typeof parsed.values !== 'object' || parsed.values === null) return undefined
    const form = new FormData()
    for (const [name, value] of Object.entries(parsed.values)) form.append(name, String(value))
    const message = 'This page was updated while it was open, so it was reloaded. Your input is kept: please send it again.'
    return errorState({ code: 'STALE_PAGE', message, issues: [] }, form) as ErrorState<CallErrorCode>
  } catch {
    return undefined
  }
}

/**
 * `useActionState` for a `formAction(op)`, that keeps working across a deploy: `const [state, submit,
 * pending] = useFormAction(addUserAction, idle, { route: '/api/addUser' })`. Before hydration (and with
 * JavaScript off) the form posts to the action itself, so it works without JavaScript exactly as
 * `useActionState` does. Once hydrated, a call the server no longer recognizes is sent to `route`
 * (or the page reloads with the input kept), and `onSubmit` can show an optimistic result.
 */
export function useFormAction<State extends FormState>(
  action: FormActionFn<State>,
  initialState: State,
  options: UseFormActionOptions = {},
): [state: State | ErrorState<CallErrorCode>, dispatch: (formData: FormData) => void, isPending: boolean] {
  const hydrated = useSyncExternalStore(noSubscription, () => true, () => false)
  const { route, onSubmit, isSecret = isSecretName, name = '', actionBodyLimit } = options
  const router = useRouter()
  /**
   * A form too large for the action, through the route: an action's answer carries the page's refreshed server
   * components (its `revalidate`), a route's does not, so the page is refreshed once the route has answered a
   * success. Not after a deploy: refreshing would load the new build's page, and the answer with it would be lost.
   */
  const viaRoute = async (formData: FormData) => {
    const state = await postToRoute(route!, formData, isSecret)
    if (state.status === 'success') router.refresh()
    return state
  }
  // Which form a kept input belongs to: the page, and the form's name among others there.
  const key = `${hydrated ? location.pathname : ''} ${name}`
  const restored = keptState(useSyncExternalStore(subscribeKept, readKept, () => null), key)

  async function enhanced(previous: State, formData: FormData): Promise<State> {
    if (restored) forgetKept()
    onSubmit?.(formData)
    if (route && actionBodyLimit !== undefined && filesSize(formData) > actionBodyLimit) return (await viaRoute(formData)) as State
    try {
      return await action(previous, formData)
    } catch (error) {
      if (!unstable_isUnrecognizedActionError(error)) throw error
      if (route) return (await postToRoute(route, formData, isSecret)) as State
      return reloadKeepingInput(formData, isSecret, key)
    }
  }
  const [state, dispatch, isPending] = useActionState<State, FormData>(hydrated ? enhanced : action, initialState as Awaited<State>)
  return [(restored && !isPending ? restored : state) as State | ErrorState<CallErrorCode>, dispatch, isPending]
}
