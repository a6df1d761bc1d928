import { createClient, idle, type FormState, type UploadProgress } from 'actionroute/client'
import type { api } from '@/server/api'
import { addUserAction } from '@/app/actions'

// How the browser calls each door of addUser, outside the home page's forms (the /compare page, the API panel).

/**
 * How a form calls the Server Action's door, outside a <form>: `addUserAction(previousState, formData)`, with the
 * fields a form would send. Resolves with the form state the action answers.
 */
export function postAddUserAction(fields: { name: string; email?: string }): Promise<FormState> {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) form.set(name, value)
  return addUserAction(idle, form)
}

/** What the API route answered, as the panels show it: status, parsed body, and the round trip in ms. */
export interface RouteAnswer {
  status: number
  body: unknown
  ms: number
}

/**
 * How the browser calls the API route's door: `fetch` with a JSON body. Never throws: a network failure is
 * status 0 with its message as the `detail`, like a problem's.
 */
export async function postAddUser(payload: { name: string; email?: string }): Promise<RouteAnswer> {
  const startedAt = performance.now()
  const elapsed = () => Math.round(performance.now() - startedAt)
  try {
    const response = await fetch('/api/addUser', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(payload),
    })
    const body: unknown = await response.json().catch(() => null)
    return { status: response.status, body, ms: elapsed() }
  } catch (error) {
    return { status: 0, body: { detail: `The request failed: ${String(error)}` }, ms: elapsed() }
  }
}

/**
 * With an avatar, the same call through the typed client (`createClient`), which sends a body holding a file as
 * multipart and reports the upload's progress as it goes out. Never throws either.
 */
export async function postAddUserWithAvatar(payload: { name: string; email?: string }, avatar: File, onUploadProgress: (progress: UploadProgress) => void): Promise<RouteAnswer> {
  const startedAt = performance.now()
  const directory = createClient<typeof api>({ baseUrl: window.location.origin })
  const result = await directory.POST('/api/addUser', { body: { ...payload, avatar }, onUploadProgress })
  return { status: result.status, body: result.ok ? result.data : result.error, ms: Math.round(performance.now() - startedAt) }
}

/** The JSON payload for a name and an optional email, as both the home page and /compare send it. */
export const addUserPayload = (name: string, email: string) => ({ name, ...(email.trim() ? { email } : {}) })
