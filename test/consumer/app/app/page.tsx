import { formOutcome } from 'actionroute'
import { Suspense } from 'react'
import { subscribe } from '../lib/operations'
import { subscribeAction } from './actions'
import { ServedAt } from './served-at'
import { SubscribeForm } from './subscribe-form'

// What the form shows after a submission without JavaScript is read per request (a cookie): this page renders per
// request, and its form outside any Suspense boundary, which without JavaScript would stay hidden.
export const instant = false

export default async function Page() {
  return (
    <main>
      <h1>Newsletter</h1>
      <SubscribeForm action={subscribeAction} initial={await formOutcome(subscribe)} />
      <Suspense fallback={<p>Loading…</p>}>
        <ServedAt />
      </Suspense>
    </main>
  )
}
