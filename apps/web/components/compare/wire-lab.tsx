'use client'

import type { FormState } from 'actionroute/client'
import { useId, useState, type FormEvent } from 'react'
import { addUserPayload, postAddUser, postAddUserAction, type RouteAnswer } from '../add-user-calls'
import { useHydrated } from '../use-hydrated'
import { captureWire, DOOR_TITLE, type Door, type Exchange } from './wire'

interface Capture {
  action: { state: FormState; exchange: Exchange | undefined }
  route: { answer: RouteAnswer; exchange: Exchange | undefined }
}

/**
 * Sends the same input through both doors, one after the other — the Server Action as a form calls it
 * (`addUserAction(previousState, formData)`), the API route with `fetch` — and shows what crossed the wire.
 */
export function WireLab({ label, name, email, send }: { label: string; name: string; email: string; send: string }) {
  const hydrated = useHydrated()
  const [running, setRunning] = useState(false)
  const [capture, setCapture] = useState<Capture | null>(null)
  const [failure, setFailure] = useState<string | null>(null)
  const ids = useId()

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const fields = new FormData(event.currentTarget)
    const [nameValue, emailValue] = [String(fields.get('name') ?? ''), String(fields.get('email') ?? '')]
    setRunning(true)
    setFailure(null)
    try {
      const { value, exchanges } = await captureWire(async () => {
        const state = await postAddUserAction({ name: nameValue, email: emailValue })
        const answer = await postAddUser(addUserPayload(nameValue, emailValue))
        return { state, answer }
      })
      const of = (door: Door) => exchanges.find((exchange) => exchange.door === door)
      setCapture({ action: { state: value.state, exchange: of('action') }, route: { answer: value.answer, exchange: of('route') } })
    } catch (error) {
      setFailure(`The capture failed: ${String(error)}`)
    } finally {
      setRunning(false)
    }
  }

  return (
    <div className="lab">
      <form aria-label={label} onSubmit={onSubmit} noValidate className="toolbar">
        <div className="field">
          <label htmlFor={`${ids}-name`}>Name</label>
          <input id={`${ids}-name`} name="name" type="text" defaultValue={name} autoComplete="off" />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-email`}>
            Email <span className="hint">(optional)</span>
          </label>
          <input id={`${ids}-email`} name="email" type="email" defaultValue={email} autoComplete="off" />
        </div>
        <button type="submit" disabled={!hydrated || running} aria-busy={running}>
          {running ? 'Sending…' : send}
        </button>
      </form>
      <noscript>
        <p className="error">Capturing the wire needs JavaScript: the page wraps its own fetch to see what is sent.</p>
      </noscript>
      <div role="status">{failure ? <p className="error">{failure}</p> : null}</div>
      {capture ? (
        <div className="doors" data-testid="wire-capture">
          <ExchangeView door="action" lab={label} exchange={capture.action.exchange} received={capture.action.state} />
          <ExchangeView door="route" lab={label} exchange={capture.route.exchange} received={capture.route.answer.body} />
        </div>
      ) : null}
    </div>
  )
}

function ExchangeView({ door, lab, exchange, received }: { door: Door; lab: string; exchange: Exchange | undefined; received: unknown }) {
  const title = DOOR_TITLE[door]
  const region = `${title}: the wire (${lab.toLowerCase()})`
  if (!exchange) {
    return (
      <section aria-label={region} className="door">
        <h3>{title}</h3>
        <p className="error">No request was seen for this door.</p>
      </section>
    )
  }
  return (
    <section aria-label={region} className="door" data-door={door}>
      <h3>{title}</h3>
      <dl className="wire-facts">
        <dt>Request</dt>
        <dd data-testid="request-line">
          <code>
            {exchange.method} {exchange.url}
          </code>
        </dd>
        <dt>Status</dt>
        <dd data-testid="status">{exchange.status}</dd>
        <dt>Bytes sent</dt>
        <dd data-testid="request-bytes">{exchange.requestBytes}</dd>
        <dt>Bytes received</dt>
        <dd data-testid="response-bytes">{exchange.responseBytes}</dd>
        <dt>Time</dt>
        <dd>{Math.round(exchange.answeredAt - exchange.sentAt)} ms</dd>
      </dl>
      <details>
        <summary>Request headers ({exchange.requestHeaders.length})</summary>
        <Headers list={exchange.requestHeaders} label={`${title} request headers`} />
        <p className="meta">The browser adds Origin, Cookie, User-Agent and Content-Length on the way out.</p>
      </details>
      <h4>Request body</h4>
      <pre className="response wire" data-testid="request-body" tabIndex={0} aria-label={`${title} request body`}>
        {exchange.requestBody}
      </pre>
      <details>
        <summary>Response headers ({exchange.responseHeaders.length})</summary>
        <Headers list={exchange.responseHeaders} label={`${title} response headers`} />
      </details>
      <h4>Response body{door === 'action' ? ' (React Server Components payload)' : ''}</h4>
      <pre className="response wire" data-testid="response-body" tabIndex={0} aria-label={`${title} response body`}>
        {exchange.responseBody}
      </pre>
      <h4>What the calling code gets</h4>
      <pre className="response" data-testid="received" tabIndex={0} aria-label={`${title}: what the calling code gets`}>
        {JSON.stringify(received, null, 2)}
      </pre>
    </section>
  )
}

function Headers({ list, label }: { list: [string, string][]; label: string }) {
  return (
    <table className="headers" aria-label={label}>
      <tbody>
        {list.map(([name, value], index) => (
          <tr key={index}>
            <th scope="row">{name}</th>
            <td>
              <code>{value}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
