import { AddUserForms } from './add-user-forms'

// The page the action variants belong to: the benchmark posts them to /actions with their Next-Action id.
export default function ActionsPage() {
  return (
    <main>
      <h1>Add a user, five ways</h1>
      <AddUserForms />
    </main>
  )
}
