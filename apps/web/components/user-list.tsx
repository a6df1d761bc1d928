'use client'

import { useOptimisticAction } from 'actionroute/react'
import { renameUserDirect } from '@/app/actions'
import type { User } from '@/server/db/schema'
import { Avatar, AvatarForm } from './avatar'
import { DeleteForm } from './delete-form'
import { useDirectory, type ListedUser } from './directory'
import { RenameForm } from './rename-form'

const DOOR_LABEL = { action: 'server action', route: 'API route' } as const
const when = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' })

export function UserList({ query }: { query: string | undefined }) {
  const { users } = useDirectory()
  if (users.length === 0) {
    return <p className="empty">{query ? `No users match “${query}”.` : 'No users yet. Add one with either panel above.'}</p>
  }
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Email</th>
          <th scope="col">Added via</th>
          <th scope="col">Added</th>
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {users.map((user) => (user.pending ? <AddingRow key={user.id} user={user} /> : <UserRow key={user.id} user={user} />))}
      </tbody>
    </table>
  )
}

function Cells({ user, name }: { user: ListedUser; name: string }) {
  return (
    <>
      <td className="name">
        <span className="name-with-avatar">
          <Avatar user={user} />
          {name}
        </span>
      </td>
      <td>{user.email ?? '—'}</td>
      <td>
        <span className="badge">{DOOR_LABEL[user.door]}</span>
      </td>
    </>
  )
}

/** A user the server has not confirmed yet. */
function AddingRow({ user }: { user: ListedUser }) {
  return (
    <tr className="pending" aria-busy="true">
      <Cells user={user} name={user.name} />
      <td>Adding…</td>
      <td />
    </tr>
  )
}

/** A saved user, whose new name shows as soon as it is sent and goes back if the server refuses it. */
function UserRow({ user }: { user: User }) {
  const rename = useOptimisticAction(renameUserDirect, {
    state: user.name,
    update: (current, input) => (input.name.trim() === '' ? current : input.name),
  })
  return (
    <tr data-user-id={user.id}>
      <Cells user={user} name={rename.optimistic} />
      <td>
        <time dateTime={user.createdAt.toISOString()}>{when.format(user.createdAt)} UTC</time>
      </td>
      <td>
        <div className="row-actions">
          <details>
            <summary>Rename</summary>
            <RenameForm id={user.id} name={rename.optimistic} rename={rename} />
          </details>
          <AvatarForm id={user.id} name={user.name} />
          <details>
            <summary>Delete</summary>
            <DeleteForm id={user.id} name={user.name} />
          </details>
        </div>
      </td>
    </tr>
  )
}
