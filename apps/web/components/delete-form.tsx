'use client'

import { idle } from 'actionroute/client'
import { useFormAction } from 'actionroute/react'
import { deleteUserAction } from '@/app/actions'

/** The confirmation step of deleting a user: shown when the row's "Delete" is opened. */
export function DeleteForm({ id, name }: { id: string; name: string }) {
  const [state, submit, pending] = useFormAction(deleteUserAction, idle, { route: { path: '/api/users/{id}', method: 'DELETE' } })
  return (
    <form action={submit} aria-label={`Delete ${name}`}>
      <input type="hidden" name="id" value={id} />
      <p>
        Delete <strong>{name}</strong>? This cannot be undone.
      </p>
      <button type="submit" className="danger" disabled={pending}>
        {pending ? 'Deleting…' : 'Confirm delete'}
      </button>
      <div role="status">{state.status === 'error' ? <p className="field-error">{state.formError}</p> : null}</div>
    </form>
  )
}
