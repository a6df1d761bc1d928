'use client'

import { idle } from 'actionroute/client'
import { useFormAction } from 'actionroute/react'
import { useState } from 'react'
import { addUserAction } from '@/app/actions'
import { addUserPayload, postAddUser } from '../add-user-calls'
import { Field } from '../field'
import { useHydrated } from '../use-hydrated'

/**
 * The two doors as a page without JavaScript meets them: the action's form still posts (the browser does it,
 * and the page comes back with the answer); the route's button cannot do anything, because only a script
 * could send its fetch.
 */
export function NoJsLab() {
  const hydrated = useHydrated()
  const [state, submit, pending] = useFormAction(addUserAction, idle)
  const [routeAnswer, setRouteAnswer] = useState<string | null>(null)
  const values = state.status === 'error' ? state.values : undefined

  async function viaRoute(form: HTMLFormElement) {
    const name = String(new FormData(form).get('name') ?? '')
    const answer = await postAddUser(addUserPayload(name, ''))
    const body = answer.body as { message?: string; detail?: string } | null
    setRouteAnswer(body?.message ?? body?.detail ?? `HTTP ${answer.status}`)
  }

  return (
    <div className="doors">
      <section className="door" aria-label="Server Action without JavaScript">
        <h3>Server Action</h3>
        <form action={submit} aria-label="Add through the Server Action" noValidate>
          <Field name="name" label="Name" defaultValue={values?.name} errors={state.fieldErrors?.name} />
          <button type="submit" disabled={pending}>
            {pending ? 'Adding…' : 'Add through the action'}
          </button>
        </form>
        <div role="status" className="result">
          {state.status === 'success' ? <p className="success">{state.message}</p> : null}
          {state.status === 'error' ? <p className="error">{state.formError}</p> : null}
        </div>
      </section>
      <section className="door" aria-label="API Route without JavaScript">
        <h3>API Route</h3>
        <form
          aria-label="Add through the API route"
          noValidate
          onSubmit={(event) => {
            event.preventDefault()
            void viaRoute(event.currentTarget)
          }}
        >
          <Field name="name" label="Name" />
          <button type="submit" disabled={!hydrated}>
            Add with fetch
          </button>
        </form>
        <div role="status" className="result">
          {routeAnswer ? <p>{routeAnswer}</p> : null}
          <noscript>
            <p className="error">JavaScript is off: nothing can send this fetch, so the button does nothing.</p>
          </noscript>
        </div>
      </section>
    </div>
  )
}
