'use client'

import { useRouter } from 'next/navigation'
import { useState, useSyncExternalStore, type FormEvent } from 'react'
import { Field } from './field'

interface ApiResult {
  status: number
  body: unknown
  ms: number
}

interface ProblemBody {
  detail?: string
  errors?: { path: string; message: string }[]
}

const subscribeNothing = () => () => {}

/** Adds a user by calling the API route with fetch, and shows exactly what came back. */
export function ApiPanel() {
  const router = useRouter()
  const hydrated = useSyncExternalStore(subscribeNothing, () => true, () => false)
  const [pending, setPending] = useState(false)
  const [result, setResult] = useState<ApiResult | null>(null)

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = event.currentTarget
    const fields = new FormData(form)
    const email = String(fields.get('email') ?? '')
    const payload = { name: String(fields.get('name') ?? ''), ...(email.trim() ? { email } : {}) }
    setPending(true)
    const startedAt = performance.now()
    try {
      const response = await fetch('/api/addUser', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(payload),
      })
      const body: unknown = await response.json().catch(() => null)
      setResult({ status: response.status, body, ms: Math.round(performance.now() - startedAt) })
      if (response.ok) {
        form.reset()
        router.refresh()
      }
    } catch (error) {
      setResult({ status: 0, body: { detail: `The request failed: ${String(error)}` }, ms: Math.round(performance.now() - startedAt) })
    } finally {
      setPending(false)
    }
  }

  const ok = result !== null && result.status >= 200 && result.status < 300
  const body = (result?.body ?? {}) as ProblemBody & { message?: string }
  const fieldErrors = (path: string) => (ok ? undefined : body.errors?.filter((e) => e.path === path).map((e) => e.message))

  return (
    <section className="panel" aria-labelledby="api-panel-title">
      <header>
        <h2 id="api-panel-title">API Route</h2>
        <p>
          <code>fetch(&apos;/api/addUser&apos;, {'{'} method: &apos;POST&apos; {'}'})</code> with a JSON body, from the browser.
        </p>
      </header>
      <noscript>
        <p className="error">This panel calls the API with fetch, so it needs JavaScript. The Server Action panel works without it.</p>
      </noscript>
      <form aria-label="API Route" onSubmit={onSubmit} noValidate>
        <Field name="name" label="Name" errors={fieldErrors('name')} />
        <Field name="email" label="Email" hint="optional" type="email" errors={fieldErrors('email')} />
        <button type="submit" disabled={!hydrated || pending} aria-busy={pending}>
          {pending ? 'Adding…' : 'Add User'}
        </button>
      </form>
      <div role="status" className="result">
        {result ? (
          <>
            <p className={ok ? 'success' : 'error'}>{ok ? body.message : body.detail}</p>
            <p className="meta">
              HTTP <span data-testid="api-status">{result.status}</span> · Round trip: {result.ms} ms
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
