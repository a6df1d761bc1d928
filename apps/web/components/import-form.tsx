'use client'

import { useRouter } from 'next/navigation'
import { useRef, useState, type FormEvent } from 'react'
import { createClient, type FormState } from 'actionroute/client'
import type { api } from '@/server/api'
import type { ImportEvent } from '@/server/users/import'
import { cancelImportAction, importUsersAction } from '@/app/actions'
import { Field } from './field'
import { useHydrated } from './use-hydrated'

type Summary = Extract<ImportEvent, { type: 'done' }>
type Progress = Extract<ImportEvent, { type: 'progress' }>

/** A file this small goes through the Server Action (its body limit is 256 KB, the form's fields included). */
const ACTION_FILE_LIMIT = 200 * 1024
/** Problems listed on the page; the summary keeps the first 100. */
const SHOWN_PROBLEMS = 20

/** Why an import could not start or broke off, as the page says it. */
class ImportFailed extends Error {}

/** The import's events through the Server Action: frames of items, a failure as the last frame. */
async function* throughAction(file: File): AsyncGenerator<ImportEvent> {
  const result = await importUsersAction({ file })
  if (!result.ok) throw new ImportFailed(Object.values(result.error.issues ?? []).map((issue) => issue.message)[0] ?? result.error.message)
  for await (const frame of result.data) {
    if ('error' in frame) throw new ImportFailed(frame.error.message)
    yield frame.item
  }
}

/** The import's events through the API route (server-sent events), for files larger than an action takes. */
async function* throughRoute(file: File, signal: AbortSignal): AsyncGenerator<ImportEvent> {
  const directory = createClient<typeof api>({ baseUrl: window.location.origin })
  const opened = await directory.stream('POST', '/api/users/import', { body: { file }, signal })
  if (!opened.ok) throw new ImportFailed(opened.error.issues?.[0]?.message ?? opened.error.detail)
  for await (const item of opened.items) yield item
}

/**
 * Imports users from a CSV file, showing its progress with a Cancel button. With JavaScript, small files stream
 * through the Server Action and larger ones through the API route; Cancel asks the import to stop (cancelImport),
 * and its last event says what it stored. Without JavaScript the form posts to the API route, which answers once
 * the import has ended with a redirect back here, the summary in `initialState`.
 */
export function ImportForm({ initialState }: { initialState: FormState }) {
  const router = useRouter()
  const hydrated = useHydrated()
  const [progress, setProgress] = useState<Progress | null>(null)
  const [summary, setSummary] = useState<Summary | null>(initialState.status === 'success' ? (initialState.data as Summary | undefined) ?? null : null)
  const [error, setError] = useState<string | null>(initialState.status === 'error' ? (Object.values(initialState.fieldErrors ?? {}).flat()[0] ?? initialState.formError) : null)
  const [cancelling, setCancelling] = useState(false)
  const running = useRef<{ id?: string; abort: AbortController } | null>(null)
  const noScriptMessage = initialState.status === 'success' && !summary ? initialState.message : undefined

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = event.currentTarget
    const chosen = new FormData(form).get('file')
    if (!(chosen instanceof File) || chosen.size === 0) return setError('Choose a CSV file')
    const call = { abort: new AbortController() } as { id?: string; abort: AbortController }
    running.current = call
    setProgress(null)
    setSummary(null)
    setError(null)
    setCancelling(false)
    try {
      const events = chosen.size <= ACTION_FILE_LIMIT ? throughAction(chosen) : throughRoute(chosen, call.abort.signal)
      for await (const item of events) {
        call.id = item.id
        if (item.type === 'progress') setProgress(item)
        else {
          setSummary(item)
          form.reset()
        }
      }
    } catch (failure) {
      if (call.abort.signal.aborted) setError('Cancelled while the file was sent: no user was added.')
      else setError(failure instanceof ImportFailed ? failure.message : `The import broke off: ${String(failure)}`)
    } finally {
      running.current = null
      setProgress(null)
      setCancelling(false)
      router.refresh()
    }
  }

  async function cancel() {
    const call = running.current
    if (!call) return
    setCancelling(true)
    // Not started yet (the file still uploading): the upload is dropped. Started: the import stops after its batch.
    if (!call.id) return call.abort.abort()
    const answer = await cancelImportAction({ id: call.id })
    if (!answer.ok) setError(answer.error.message)
  }

  const shown = summary?.problems.slice(0, SHOWN_PROBLEMS) ?? []
  return (
    <section className="panel import" aria-labelledby="import-title">
      <header>
        <h2 id="import-title">Import users from CSV</h2>
        <p>
          A name and an email (optional) per line, with or without a header <code>name,email</code>; up to 256 MB. Small files go through a Server
          Action, larger ones to <code>POST /api/users/import</code>; both stream their progress, and Cancel stops either.
        </p>
      </header>
      <form aria-label="Import users" action="/api/users/import" method="post" encType="multipart/form-data" onSubmit={onSubmit} noValidate>
        <Field name="file" label="CSV file" type="file" accept=".csv,text/csv,text/plain" />
        <div className="actions">
          <button type="submit" disabled={hydrated && progress !== null} aria-busy={progress !== null}>
            Import
          </button>
          {progress ? (
            <button type="button" className="secondary" onClick={cancel} disabled={cancelling}>
              {cancelling ? 'Cancelling…' : 'Cancel'}
            </button>
          ) : null}
        </div>
      </form>
      <div role="status" className="result" aria-label="Import">
        {progress ? (
          <>
            <progress value={progress.bytes} max={progress.size || 1} aria-label="Import progress" />
            <p className="meta" data-testid="import-progress">
              {progress.stored.toLocaleString('en')} added, {(progress.taken + progress.invalid).toLocaleString('en')} skipped
            </p>
          </>
        ) : null}
        {summary ? <p className={summary.status === 'done' ? 'success' : 'error'}>{summary.message}</p> : null}
        {noScriptMessage ? <p className="success">{noScriptMessage}</p> : null}
        {error ? <p className="error">{error}</p> : null}
        {shown.length > 0 ? (
          <details open>
            <summary>Rows not added{summary!.problems.length > shown.length ? ` (the first ${shown.length})` : ''}</summary>
            <ul className="problems">
              {shown.map((problem) => (
                <li key={problem.line}>
                  Line {problem.line}: {problem.reason}
                </li>
              ))}
            </ul>
          </details>
        ) : null}
      </div>
    </section>
  )
}
