'use client'

import { useActionState, useState } from 'react'
import { idle } from 'actionroute/client'
import { addUserFormAction } from './form-action'
import { addUserPlainAction } from './plain-action'
import { addUserSafeAction } from './safe-action'

// How a browser calls each action variant; the benchmark sends the same requests: (c) and (d) with the form's
// FormData after the previous state, (f) with an object.
export function AddUserForms() {
  const [plain, plainAction] = useActionState(addUserPlainAction, { status: 'idle' })
  const [form, formAction] = useActionState(addUserFormAction, idle)
  const [safe, setSafe] = useState('')
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
      <form
        action={async (data) => {
          const result = await addUserSafeAction({ name: String(data.get('name')) })
          setSafe(result.data?.message ?? 'error')
        }}
      >
        <input name="name" aria-label="Name (next-safe-action)" />
        <button>Add (next-safe-action)</button>
        <output>{safe}</output>
      </form>
    </>
  )
}
