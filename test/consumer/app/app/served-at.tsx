import { connection } from 'next/server'

/** Per request, so under cacheComponents it streams into the page's Suspense boundary after the static shell. */
export async function ServedAt() {
  await connection()
  return <p>Served at {new Date().toISOString()}</p>
}
