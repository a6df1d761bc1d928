import { idle } from 'actionroute/client'
import { Suspense } from 'react'
import { subscribeRenderedAction } from '../actions'
import { ServedAt } from '../served-at'
import { SubscribeForm } from '../subscribe-form'

// The template's way, with no workaround: a static shell, a Suspense boundary, a form whose action Next renders.
export default function Plain() {
  return (
    <main>
      <h1>Newsletter, rendered by Next</h1>
      <SubscribeForm action={subscribeRenderedAction} initial={idle} />
      <Suspense fallback={<p>Loading…</p>}>
        <ServedAt />
      </Suspense>
    </main>
  )
}
