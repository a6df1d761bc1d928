import Link from 'next/link'
import { connection } from 'next/server'

/**
 * The 404 page, rendered per request: a prerendered page carries no nonce, so under proxy.ts's
 * Content-Security-Policy the browser would refuse its scripts. Rendered now, Next puts this request's nonce on them.
 */
export default async function NotFound() {
  await connection()
  return (
    <main>
      <h1>Nothing here</h1>
      <p>
        No page at this address. <Link href="/">Back to the User Directory</Link>
      </p>
    </main>
  )
}
