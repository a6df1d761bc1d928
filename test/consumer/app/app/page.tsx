import { SubscribeForm } from './subscribe-form'

export default function Page() {
  return (
    <main>
      <h1>Newsletter</h1>
      <SubscribeForm />
    </main>
  )
}
