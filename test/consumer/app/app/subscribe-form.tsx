'use client'

import { idle } from 'actionroute/client'
import { useActionState } from 'react'
import { subscribeAction } from './actions'

/** A Server Action form: works before (or without) JavaScript, and keeps what was typed after an error. */
export function SubscribeForm() {
  const [state, submit, pending] = useActionState(subscribeAction, idle)
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
