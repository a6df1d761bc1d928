'use client'

import { idle, type FormActionOf } from 'actionroute/client'
import { useActionState } from 'react'
import type { uploadImage } from '../../lib/operations'

/** A file input sent through a Server Action (JavaScript on): what the handler read, or the field's error. */
export function UploadForm({ action }: { action: FormActionOf<typeof uploadImage> }) {
  const [state, submit, pending] = useActionState(action, idle)
  return (
    <form action={submit} aria-label="Upload">
      <label htmlFor="image">Image</label>
      <input id="image" name="image" type="file" aria-describedby="image-error" />
      {state.fieldErrors?.image && <p id="image-error">{state.fieldErrors.image.join(' ')}</p>}
      <button disabled={pending}>Upload</button>
      <p role="status">{state.status === 'success' ? `${state.data.size} ${state.data.sha256}` : state.status === 'error' ? `${state.code}: ${state.formError}` : ''}</p>
    </form>
  )
}
