'use client'

import type { FormStateOf } from 'actionroute'
import { useFormAction } from 'actionroute/react'
import type { subscribe } from '../lib/operations'

type SubscribeState = FormStateOf<typeof subscribe>

/**
 * A Server Action form: works before (or without) JavaScript, and keeps what was typed after an error.
 * Deliberately no `route`: when a deploy has made the action unknown to the server, this form shows
 * useFormAction's other way out (reload into the new build, with the input kept), which the consumer
 * test proves from the packed package.
 */
export function SubscribeForm({ action, initial }: { action: (state: SubscribeState, form: FormData) => Promise<SubscribeState>; initial: SubscribeState }) {
  const [state, submit, pending] = useFormAction(action, initial, { name: 'subscribe' })
  return (
    <form action={submit} aria-label="Subscribe" noValidate>
      <label htmlFor="name">Name</label>
      <input id="name" name="name" defaultValue={state.values?.name} aria-describedby="name-error" />
      {state.fieldErrors?.name && <p id="name-error">{state.fieldErrors.name.join(' ')}</p>}
      <label htmlFor="email">Email</label>
      <input id="email" name="email" type="email" defaultValue={state.values?.email} aria-describedby="email-error" />
      {state.fieldErrors?.email && <p id="email-error">{state.fieldErrors.email.join(' ')}</p>}
      <button disabled={pending}>Subscribe</button>
      <p role="status">{state.status === 'success' ? state.message : state.formError}</p>
    </form>
  )
}
