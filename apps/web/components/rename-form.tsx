'use client'

import { idle, resultState } from 'actionroute/client'
import type { UseActionFor } from 'actionroute/react'
import { useActionState } from 'react'
import { renameUserAction, type renameUserDirect } from '@/app/actions'
import { Field } from './field'
import { useHydrated } from './use-hydrated'

/**
 * Renames a user. Without JavaScript the form posts to the form action; with it, `rename` (the row's
 * optimistic direct action) runs, so the row shows the new name at once and takes it back if refused.
 */
export function RenameForm({ id, name, rename }: { id: string; name: string; rename: UseActionFor<typeof renameUserDirect> }) {
  const [posted, submit, posting] = useActionState(renameUserAction, idle)
  const hydrated = useHydrated()
  const state = hydrated && rename.result ? resultState(rename.result) : posted
  const pending = posting || rename.isPending
  const send = (form: FormData) => rename.execute({ id, name: String(form.get('name') ?? '') })
  return (
    <form action={hydrated ? send : submit} aria-label={`Rename ${name}`} noValidate>
      <input type="hidden" name="id" value={id} />
      <Field
        name="name"
        label={`New name for ${name}`}
        defaultValue={state.status === 'error' ? (state.values?.name ?? rename.input?.name) : name}
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
