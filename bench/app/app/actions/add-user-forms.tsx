'use client'

import { useActionState, useState } from 'react'
import { idle } from 'actionroute/client'
import { addUserAction } from './action'
import { addUserFormAction } from './form-action'
import { addUserPlainAction } from './plain-action'
import { addUserSafeAction } from './safe-action'
import { addUserSafeFormAction } from './safe-form-action'

// How a browser calls each action variant; the benchmark sends the same requests: the three form actions with
// the previous state and the form's FormData, the other two with an object.
export function AddUserForms() {
  const [plain, plainAction] = useActionState(addUserPlainAction, { status: 'idle' })
  const [form, formAction] = useActionState(addUserFormAction, idle)
  const [safe, safeFormAction] = useActionState(addUserSafeFormAction, {})
  const [called, setCalled] = useState('')
  const name = (data: FormData) => String(data.get('name'))
  return (
    <>
      <form action={plainAction}>
        <input name="name" aria-label="Name (plain Server Action)" />
        <button>Add (plain)</button>
        <output>{plain.status}</output>
      </form>
      <form action={formAction}>
        <input name="name" aria-label="Name (formAction)" />
        <button>Add (formAction)</button>
        <output>{form.status === 'success' ? form.message : form.status}</output>
      </form>
      <form action={safeFormAction}>
        <input name="name" aria-label="Name (next-safe-action stateAction)" />
        <button>Add (next-safe-action stateAction)</button>
        <output>{safe.data?.message ?? (safe.validationErrors ? 'error' : 'idle')}</output>
      </form>
      <form action={async (data) => setCalled((await addUserAction({ name: name(data) })).ok ? 'added' : 'error')}>
        <input name="name" aria-label="Name (action)" />
        <button>Add (action)</button>
      </form>
      <form action={async (data) => setCalled((await addUserSafeAction({ name: name(data) })).data?.message ?? 'error')}>
        <input name="name" aria-label="Name (next-safe-action)" />
        <button>Add (next-safe-action)</button>
      </form>
      <output>{called}</output>
    </>
  )
}
