'use client'

import { useRouter } from 'next/navigation'
import { useState, useTransition, type FormEvent } from 'react'
import { useDirectory } from './directory'
import { AVATAR_ACCEPT } from './avatar'
import { Field } from './field'
import { useHydrated } from './use-hydrated'
import type { UploadProgress } from 'actionroute/client'
import { addUserPayload, postAddUser, postAddUserWithAvatar, type RouteAnswer } from './add-user-calls'

interface ProblemBody {
  detail?: string
  issues?: { path: string; message: string }[]
}

/** Adds a user by calling the API route with fetch, and shows exactly what came back. */
export function ApiPanel() {
  const router = useRouter()
  const { showAdding } = useDirectory()
  const hydrated = useHydrated()
  const [pending, startTransition] = useTransition()
  const [result, setResult] = useState<RouteAnswer | null>(null)
  const [upload, setUpload] = useState<UploadProgress | null>(null)

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = event.currentTarget
    const fields = new FormData(form)
    const name = String(fields.get('name') ?? '')
    const email = String(fields.get('email') ?? '')
    const chosen = fields.get('avatar')
    const avatar = chosen instanceof File && chosen.size > 0 ? chosen : undefined
    // One transition from submit to the refreshed list: the new user shows at once and gives way to the saved row.
    startTransition(async () => {
      showAdding({ name, email, door: 'route' })
      setUpload(null)
      const payload = addUserPayload(name, email)
      const answer = avatar ? await postAddUserWithAvatar(payload, avatar, setUpload) : await postAddUser(payload)
      startTransition(() => {
        setResult(answer)
        if (answer.status >= 200 && answer.status < 300) {
          form.reset()
          router.refresh()
        }
      })
    })
  }

  const ok = result !== null && result.status >= 200 && result.status < 300
  const body = (result?.body ?? {}) as ProblemBody & { message?: string }
  const fieldErrors = (path: string) => (ok ? undefined : body.issues?.filter((e) => e.path === path).map((e) => e.message))

  return (
    <section className="panel" aria-labelledby="api-panel-title">
      <header>
        <h2 id="api-panel-title">API Route</h2>
        <p>
          <code>fetch(&apos;/api/addUser&apos;, {'{'} method: &apos;POST&apos; {'}'})</code> with a JSON body, from the browser; with an avatar, the
          typed client sends multipart and shows the upload&apos;s progress.
        </p>
      </header>
      <noscript>
        <p className="error">This panel calls the API with fetch, so it needs JavaScript. The Server Action panel works without it.</p>
      </noscript>
      <form aria-label="API Route" onSubmit={onSubmit} noValidate>
        <Field name="name" label="Name" errors={fieldErrors('name')} />
        <Field name="email" label="Email" hint="optional" type="email" errors={fieldErrors('email')} />
        <Field name="avatar" label="Avatar" hint="optional, PNG, JPEG or WebP up to 5 MB" type="file" accept={AVATAR_ACCEPT} errors={fieldErrors('avatar')} />
        <button type="submit" disabled={!hydrated || pending} aria-busy={pending}>
          {pending ? 'Adding…' : 'Add User'}
        </button>
        {pending && upload ? <progress value={upload.loaded} max={upload.total} aria-label="Avatar upload progress" /> : null}
      </form>
      <div role="status" className="result">
        {result ? (
          <>
            <p className={ok ? 'success' : 'error'}>{ok ? body.message : body.detail}</p>
            <p className="meta">
              HTTP <span data-testid="api-status">{result.status}</span> · Round trip: {result.ms} ms
              {upload ? <> · Sent <span data-testid="api-uploaded">{upload.loaded}</span> of {upload.total} bytes</> : null}
            </p>
            <pre className="response" aria-label="Response body">
              {JSON.stringify(result.body, null, 2)}
            </pre>
          </>
        ) : null}
      </div>
    </section>
  )
}
