'use client'

import { IDEMPOTENCY_FIELD } from 'actionroute/client'
import { useFormAction } from 'actionroute/react'
import { addUserAction } from '@/app/actions'
import { ACTION_BODY_LIMIT } from '@/server/limits'
import { AVATAR_ACCEPT } from './avatar'
import { useDirectory } from './directory'
import { Field } from './field'
import { useRoundTrip } from './use-round-trip'

/**
 * Adds a user through the Server Action; works without JavaScript too. With JavaScript, the user shows
 * in the list at once, and a page left open across a deploy sends the form to the API route instead, as does a
 * form whose avatar is larger than a Server Action takes here (256 KB): the route streams it. Without JavaScript,
 * a second button posts the same form to the route, which sends the browser back here with the outcome
 * (`initialState`, from `formOutcome(addUser)`).
 */
export function ActionPanel({ idempotencyKey, initialState }: { idempotencyKey: string; initialState: Parameters<typeof addUserAction>[0] }) {
  const { showAdding } = useDirectory()
  const [state, submit, pending] = useFormAction(addUserAction, initialState, {
    route: '/api/addUser',
    actionBodyLimit: ACTION_BODY_LIMIT,
    onSubmit: (form) => showAdding({ name: String(form.get('name') ?? ''), email: String(form.get('email') ?? ''), door: 'action' }),
  })
  const [ms, start] = useRoundTrip(state)
  const values = state.status === 'error' ? state.values : undefined
  return (
    <section className="panel" aria-labelledby="action-panel-title">
      <header>
        <h2 id="action-panel-title">Server Action</h2>
        <p>
          A <code>&apos;use server&apos;</code> function posted by a React form. Works with JavaScript off.
        </p>
      </header>
      <form aria-label="Server Action" action={submit} onSubmit={start} noValidate>
        <input type="hidden" name={IDEMPOTENCY_FIELD} value={idempotencyKey} />
        <Field name="name" label="Name" defaultValue={values?.name} errors={state.fieldErrors?.name} />
        <Field name="email" label="Email" hint="optional" type="email" defaultValue={values?.email} errors={state.fieldErrors?.email} />
        <Field name="avatar" label="Avatar" hint="optional, PNG, JPEG or WebP up to 5 MB" type="file" accept={AVATAR_ACCEPT} errors={state.fieldErrors?.avatar} />
        <button type="submit" disabled={pending} aria-busy={pending}>
          {pending ? 'Adding…' : 'Add User'}
        </button>
        <noscript>
          <p className="hint">Without JavaScript, an avatar over 256 KB goes through the API route:</p>
          <button type="submit" className="secondary" formAction="/api/addUser" formMethod="post" formEncType="multipart/form-data">
            Send with a large avatar (API route)
          </button>
        </noscript>
      </form>
      <div role="status" className="result">
        {state.status === 'success' ? <p className="success">{state.message}</p> : null}
        {state.status === 'error' ? <p className="error">{state.formError}</p> : null}
        {ms !== null ? <p className="meta">Round trip: {ms} ms</p> : null}
      </div>
    </section>
  )
}
