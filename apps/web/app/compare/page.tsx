import type { Metadata } from 'next'
import Link from 'next/link'
import { connection } from 'next/server'
import type { ReactNode } from 'react'
import { NoJsLab } from '@/components/compare/no-js-lab'
import { SpeedLab } from '@/components/compare/speed-lab'
import { WireLab } from '@/components/compare/wire-lab'
import type { Excerpt } from './excerpt'
import { sources } from './sources'

export const metadata: Metadata = {
  title: 'API Route or Server Action? · User Directory',
  description: 'The same addUser operation through both doors of Next.js, compared live: code, wire, errors, speed, and without JavaScript.',
}

const lineCount = (excerpts: Excerpt[]) => excerpts.reduce((sum, { lines }) => sum + lines, 0)

function Code({ excerpt }: { excerpt: Excerpt }) {
  return (
    <figure className="code">
      <figcaption>
        <code>{excerpt.file}</code> · {excerpt.lines} {excerpt.lines === 1 ? 'line' : 'lines'}
      </figcaption>
      <pre tabIndex={0} aria-label={`Source: ${excerpt.file}`}>
        <code>{excerpt.code}</code>
      </pre>
    </figure>
  )
}

function Row({ id, title, children, verdict }: { id: string; title: string; children: ReactNode; verdict: ReactNode }) {
  return (
    <section id={id} className="row" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
      <p className="verdict">
        <strong>Verdict.</strong> {verdict}
      </p>
    </section>
  )
}

const GLANCE: [string, string, ReactNode, ReactNode, ReactNode][] = [
  ['definition', 'Definition', 'An HTTP endpoint: a function per method in route.ts.', "A function in a 'use server' file, called by React.", 'One operation: schema, handler, errors, middleware.'],
  ['definition', 'Set-up', 'Parse the body, validate, map errors to statuses yourself.', 'Read a FormData, validate, shape the form state yourself.', 'One line per door, the rest from the operation.'],
  ['integration', 'Integration', 'Any client: fetch, curl, a mobile app, a partner.', 'Your own React pages, through Next’s router.', 'Both, from the same definition, with OpenAPI.'],
  ['errors', 'Response handling', 'Status codes and a body you design.', 'Whatever the function returns, over the RSC protocol.', 'RFC 9457 problem+json, or the form envelope.'],
  ['speed', 'Concurrency', 'Parallel: every fetch goes out at once.', 'Queued: one action after another per page.', 'Read through the route when it must be parallel.'],
  ['no-js', 'Without JavaScript', 'Unusable from a page: the fetch needs a script.', 'Still works: the form posts, the page comes back.', 'Forms keep working; a stale page falls back to the route.'],
]

export default async function Compare() {
  await connection() // rendered per request: the Content-Security-Policy nonce is per request
  const { operation, actionDoor, routeDoor, actionCall, routeCall } = sources
  return (
    <main className="compare">
      <p>
        <Link href="/">← User Directory</Link>
      </p>
      <h1>API Route or Server Action?</h1>
      <p className="lead">
        The question Next.js developers ask, answered by this running app instead of a table of claims. One <code>addUser</code> operation
        serves both doors here, on the same database; every row below shows the real code or sends a real request.
      </p>

      <section aria-labelledby="glance-title" className="row">
        <h2 id="glance-title">At a glance</h2>
        <div className="table-scroll" tabIndex={0} role="region" aria-label="At a glance, scrollable">
          <table className="glance">
            <thead>
              <tr>
                <th scope="col">Row</th>
                <th scope="col">API Route</th>
                <th scope="col">Server Action</th>
                <th scope="col">With actionroute</th>
              </tr>
            </thead>
            <tbody>
              {GLANCE.map(([anchor, row, route, action, ours]) => (
                <tr key={row}>
                  <th scope="row">
                    <a href={`#${anchor}`}>{row}</a>
                  </th>
                  <td>{route}</td>
                  <td>{action}</td>
                  <td>{ours}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <Row
        id="definition"
        title="Definition and set-up"
        verdict={
          <>
            By hand, each door repeats the parsing, validation and error mapping. Here the operation holds them once ({lineCount(operation)} lines),
            the action door is {actionDoor.lines} {actionDoor.lines === 1 ? 'line' : 'lines'} and the route door {lineCount(routeDoor)}: adding
            the second door costs nothing, so there is no choice to regret.
          </>
        }
      >
        <p>The operation both doors serve, then each door. This is the source this build was compiled from, read when the app was built.</p>
        {operation.map((excerpt, index) => (
          <Code key={index} excerpt={excerpt} />
        ))}
        <div className="doors">
          <section className="door" aria-label="Server Action: the door">
            <h3>Server Action · {actionDoor.lines} {actionDoor.lines === 1 ? 'line' : 'lines'}</h3>
            <p className="meta">
              In <code>app/actions.ts</code>, a file that starts with <code>&apos;use server&apos;</code>.
            </p>
            <Code excerpt={actionDoor} />
          </section>
          <section className="door" aria-label="API Route: the door">
            <h3>API Route · {lineCount(routeDoor)} lines</h3>
            <p className="meta">The route file, and its line in the table of paths that also feeds the OpenAPI document.</p>
            {routeDoor.map((excerpt, index) => (
              <Code key={index} excerpt={excerpt} />
            ))}
          </section>
        </div>
      </Row>

      <Row
        id="integration"
        title="Integration: what crosses the wire"
        verdict={
          <>
            The route speaks plain HTTP and JSON that any client can send and read. The action speaks Next’s own protocol: a POST to the page with a{' '}
            <code>Next-Action</code> id that changes with every build, a multipart body React encodes, and an RSC payload that carries the page’s new
            render along with the result. Use the action from your own pages; give everyone else the route.
          </>
        }
      >
        <p>How the browser calls each door, then both called with the same input, captured by this page as they were sent and received.</p>
        <div className="doors">
          <section className="door" aria-label="Server Action: the call">
            <h3>Server Action: a form</h3>
            <Code excerpt={actionCall} />
          </section>
          <section className="door" aria-label="API Route: the call">
            <h3>API Route: a fetch</h3>
            <Code excerpt={routeCall} />
          </section>
        </div>
        <h3>Send one</h3>
        <WireLab label="Send valid input through both doors" name="Alice" email="" send="Send through both doors" />
      </Row>

      <Row
        id="errors"
        title="Response and error handling"
        verdict={
          <>
            The route answers a refusal with its status (422) and an RFC 9457 problem a client can branch on by <code>code</code>; the action
            answers 200 whatever happened, with the form state (field errors and the values to keep) inside its payload. Both come from the same
            schema, so they never disagree on what is valid.
          </>
        }
      >
        <p>The same invalid input through both doors: an empty name and an email that is not one.</p>
        <WireLab label="Send invalid input through both doors" name="" email="not-an-email" send="Send invalid input" />
      </Row>

      <Row
        id="speed"
        title="Speed: one at a time, and all at once"
        verdict={
          <>
            One at a time, both doors run the same handler and the same insert, but the action’s answer also carries the page’s new render
            (its revalidation), so it is larger and usually slower — in exchange the page is up to date without a second request. All at once,
            the action calls wait in line — Next sends a page’s Server Actions one after another — while the route calls go out together. For
            mutations a person makes, the queue is a feature (no racing writes); for many reads or bulk work, call the route.
          </>
        }
      >
        <SpeedLab />
      </Row>

      <Row
        id="no-js"
        title="Without JavaScript"
        verdict={
          <>
            Only the action’s form survives a page without JavaScript (blocked, not loaded yet, or failed): it is a plain HTML form that posts to
            the server. A route needs a script to call it. actionroute keeps the form working and, when a page outlives a deploy, sends it to the
            route instead.
          </>
        }
      >
        <p>Turn JavaScript off in the browser and reload: the action’s form still adds a user, the route’s button cannot.</p>
        <NoJsLab />
      </Row>

      <section aria-labelledby="choose-title" className="row">
        <h2 id="choose-title">So which one?</h2>
        <ul>
          <li>
            <strong>API Route</strong> when someone other than your pages calls it: a mobile app, a partner, a script, a webhook; when calls
            must run in parallel; when you need HTTP’s semantics (status codes, caching, idempotency keys) and an OpenAPI document.
          </li>
          <li>
            <strong>Server Action</strong> for your own forms and buttons: no endpoint to design, forms that work before JavaScript loads, and the
            page re-rendered in the same round trip.
          </li>
          <li>
            <strong>actionroute</strong> removes the choice: define the operation once and serve both. The{' '}
            {/* eslint-disable-next-line @next/next/no-html-link-for-pages -- /api/docs is a route handler, not a page */}
            <a href="/api/docs">API reference</a> lists what the routes offer.
          </li>
        </ul>
      </section>
    </main>
  )
}
