import { randomUUID } from 'node:crypto'
import { cookies } from 'next/headers'
import Link from 'next/link'
import { ActionPanel } from '@/components/action-panel'
import { ApiPanel } from '@/components/api-panel'
import { Directory } from '@/components/directory'
import { SessionBar } from '@/components/session-bar'
import { UserList } from '@/components/user-list'
import { LiveUpdates } from '@/components/live-updates'
import { formOutcome, isOperationError } from 'actionroute'
import { sessionUser } from '@/server/auth/session'
import { env } from '@/server/env'
import { latestEventSeq, listUsers, type UserPage } from '@/server/users/queries'
import { listUsersInput } from '@/server/users/schema'
import { addUser, importUsers, setAvatar } from '@/server/users/operations'
import { ImportForm } from '@/components/import-form'

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value)

async function pageOf(q: string | undefined, cursor: string | undefined): Promise<{ page: UserPage; notice?: string }> {
  const input = listUsersInput.safeParse({ q, cursor })
  if (!input.success) return { page: await listUsers(listUsersInput.parse({})), notice: 'That search is not valid; showing everyone.' }
  try {
    return { page: await listUsers(input.data) }
  } catch (error) {
    if (!isOperationError(error)) throw error
    return { page: await listUsers({ ...input.data, cursor: undefined }), notice: 'That page link has expired; showing the first page.' }
  }
}

function pageHref(q: string | undefined, cursor: string) {
  return `/?${new URLSearchParams({ ...(q ? { q } : {}), cursor })}`
}

/** Who is signed in, when writes need a principal (API_KEYS set); null when they do not. */
async function signedIn(): Promise<{ user: string | undefined } | null> {
  if (env().apiKeys.length === 0) return null
  const jar = await cookies()
  const user = await sessionUser({ get: (name) => jar.get(name)?.value })
  return { user: user || undefined }
}

export default async function Home({ searchParams }: PageProps<'/'>) {
  const params = await searchParams
  const q = first(params.q)?.trim() || undefined
  const cursor = first(params.cursor)
  // Read before the list: a change after it reaches the page through the live updates, none falls between.
  const after = await latestEventSeq()
  const [{ page, notice }, session, avatarOutcome, addOutcome, importOutcome] = await Promise.all([
    pageOf(q, cursor),
    signedIn(),
    formOutcome(setAvatar),
    formOutcome(addUser),
    formOutcome(importUsers),
  ])

  return (
    <main>
      <h1>User Directory</h1>
      <p className="lead">
        One <code>addUser</code> operation, two doors: a Server Action and an API route. Both save to the same database;
        the list shows which door each user came through. <Link href="/compare">API Route or Server Action? Compare them live</Link>, or see the{' '}
        {/* eslint-disable-next-line @next/next/no-html-link-for-pages -- /api/docs is a route handler, not a page */}
        <a href="/api/docs">API reference</a> (OpenAPI at <a href="/api/openapi.json"><code>/api/openapi.json</code></a>).
      </p>

      {session ? <SessionBar user={session.user} /> : null}

      {/* A user added through either panel shows at once on the first, unfiltered page. */}
      <Directory users={page.users} acceptsNew={!q && !cursor}>
        <div className="panels">
          {/* A fresh key per render: submitting this form twice (a double click, a retry) adds one user. */}
          <ActionPanel idempotencyKey={randomUUID()} initialState={addOutcome} />
          <ApiPanel />
        </div>

        <ImportForm initialState={importOutcome} />

        <section className="users" aria-labelledby="users-title">
          <h2 id="users-title">Users</h2>
          <LiveUpdates after={after} />
          {/* An avatar form posts to the API route, which sends the browser back here with its outcome. */}
          <div role="status" className="result" aria-label="Avatar upload">
            {avatarOutcome.status === 'success' ? <p className="success">{avatarOutcome.message}</p> : null}
            {avatarOutcome.status === 'error' ? <p className="error">{Object.values(avatarOutcome.fieldErrors ?? {}).flat()[0] ?? avatarOutcome.formError}</p> : null}
          </div>
          <form role="search" action="/" className="toolbar">
            <div className="field">
              <label htmlFor="search">Search by name</label>
              <input id="search" name="q" type="search" defaultValue={q} />
            </div>
            <button type="submit" className="secondary">
              Search
            </button>
            {q ? (
              <Link className="button secondary" href="/">
                Clear
              </Link>
            ) : null}
          </form>
          {notice ? <p role="alert">{notice}</p> : null}
          <UserList query={q} />
          <nav className="pager" aria-label="Pages">
            {page.prevCursor ? <Link href={pageHref(q, page.prevCursor)}>← Newer</Link> : <span />}
            {page.nextCursor ? <Link href={pageHref(q, page.nextCursor)}>Older →</Link> : <span />}
          </nav>
        </section>
      </Directory>
    </main>
  )
}
