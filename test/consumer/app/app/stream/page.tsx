import { countdownAction } from './actions'
import { Countdown } from './countdown'

export default function Stream() {
  return (
    <main>
      <h1>Stream</h1>
      <Countdown action={countdownAction} />
    </main>
  )
}
