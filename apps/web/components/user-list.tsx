import type { User } from '@/server/db/schema'
import { DeleteForm } from './delete-form'
import { RenameForm } from './rename-form'

const DOOR_LABEL = { action: 'server action', route: 'API route' } as const
const when = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' })

export function UserList({ users }: { users: User[] }) {
  if (users.length === 0) return <p className="empty">No users yet. Add one with either panel above.</p>
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
        {users.map((user) => (
          <tr key={user.id} data-user-id={user.id}>
            <td className="name">{user.name}</td>
            <td>{user.email ?? '—'}</td>
            <td>
              <span className="badge">{DOOR_LABEL[user.door]}</span>
            </td>
            <td>
              <time dateTime={user.createdAt.toISOString()}>{when.format(user.createdAt)} UTC</time>
            </td>
            <td>
              <div className="row-actions">
                <details>
                  <summary>Rename</summary>
                  <RenameForm id={user.id} name={user.name} />
                </details>
                <details>
                  <summary>Delete</summary>
                  <DeleteForm id={user.id} name={user.name} />
                </details>
              </div>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
