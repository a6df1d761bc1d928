'use client'

import { idle } from 'actionroute/client'
import { useActionState } from 'react'
import { renameUserAction } from '@/app/actions'
import { Field } from './field'

export function RenameForm({ id, name }: { id: string; name: string }) {
  const [state, submit, pending] = useActionState(renameUserAction, idle)
  return (
    <form action={submit} aria-label={`Rename ${name}`} noValidate>
      <input type="hidden" name="id" value={id} />
      <Field
        name="name"
        label={`New name for ${name}`}
        defaultValue={state.status === 'error' ? state.values?.name : name}
        errors={state.fieldErrors?.name}
      />
      <button type="submit" disabled={pending}>
        {pending ? 'Saving…' : 'Save'}
      </button>
      <div role="status">
        {state.status === 'success' ? <p className="success">{state.message}</p> : null}
        {state.status === 'error' && !state.fieldErrors ? <p className="field-error">{state.formError}</p> : null}
      </div>
    </form>
  )
}
