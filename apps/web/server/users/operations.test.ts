import { formAction, idle, type FormState, type IdleState } from 'actionroute'
import { withActionContext } from 'actionroute/testing'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { idempotencyKeys, users } from '@/server/db/schema'
import { setupTestDatabase } from '@/test/support/database'
import { addUser, deleteUser, renameUser } from './operations'

// The Server Action door, driven in-process: same operations as the API routes, FormData in, envelope out.
const database = setupTestDatabase()
const rows = () => database().db.select().from(users)

const form = (fields: Record<string, string>) => {
  const data = new FormData()
  for (const [name, value] of Object.entries(fields)) data.append(name, value)
  return data
}
const submit = <State,>(action: (state: IdleState, data: FormData) => Promise<State>, fields: Record<string, string>) =>
  withActionContext({ headers: { 'x-forwarded-for': '203.0.113.7' } }, () => action(idle, form(fields)))

const addUserAction = formAction(addUser)
const renameUserAction = formAction(renameUser)
const deleteUserAction = formAction(deleteUser)

interface Case {
  name: string
  fields: Record<string, string>
  expected: Partial<FormState> & { status: FormState['status'] }
  stored: object[]
}

describe('addUser as a form action', () => {
  it.each<Case>([
    {
      name: 'the canonical example',
      fields: { name: 'Alice' },
      expected: { status: 'success', message: 'User Alice added via server action' },
      stored: [{ name: 'Alice', email: null, door: 'action' }],
    },
    {
      name: 'an empty optional email counts as absent',
      fields: { name: 'Bob', email: '' },
      expected: { status: 'success', message: 'User Bob added via server action' },
      stored: [{ name: 'Bob', email: null }],
    },
    {
      name: "Next's $ACTION_ fields are ignored",
      fields: { $ACTION_REF_1: '', '$ACTION_1:0': '{}', name: 'Carol' },
      expected: { status: 'success' },
      stored: [{ name: 'Carol' }],
    },
    {
      name: 'a blank name is a field error and the input comes back',
      fields: { name: '  ', email: 'x@example.com' },
      expected: {
        status: 'error',
        code: 'VALIDATION_FAILED',
        fieldErrors: { name: ['Name is required'] },
        values: { name: '  ', email: 'x@example.com' },
      },
      stored: [],
    },
    {
      name: 'an invalid email is a field error',
      fields: { name: 'Dan', email: 'dan.example.com' },
      expected: { status: 'error', fieldErrors: { email: ['Enter a valid email address, like ada@example.com'] } },
      stored: [],
    },
    {
      name: 'secrets are never echoed back',
      fields: { name: '', password: 'hunter2' },
      expected: { status: 'error', values: { name: '' } },
      stored: [],
    },
  ])('$name', async ({ fields, expected, stored }) => {
    const state = await submit(addUserAction, fields)
    expect(state).toMatchObject(expected)
    if (expected.values) expect(state.values).toEqual(expected.values)
    expect(await rows()).toMatchObject(stored)
    expect(await rows()).toHaveLength(stored.length)
  })

  it('reports a taken email next to the email field and keeps what was typed', async () => {
    await submit(addUserAction, { name: 'Ada', email: 'ada@example.com' })
    const state = await submit(addUserAction, { name: 'Ada Again', email: 'ADA@example.com' })
    expect(state).toMatchObject({
      status: 'error',
      code: 'EMAIL_TAKEN',
      fieldErrors: { email: ['This email is already used by another user'] },
      values: { name: 'Ada Again', email: 'ADA@example.com' },
    })
    expect(await rows()).toHaveLength(1)
  })
})

describe('rename and delete as form actions', () => {
  it('renames, refuses a blank name, and reports an unknown user', async () => {
    await submit(addUserAction, { name: 'Alice' })
    const [alice] = await rows()
    expect(await submit(renameUserAction, { id: alice!.id, name: 'Alicia' })).toMatchObject({
      status: 'success',
      message: 'User Alicia updated',
    })
    expect(await submit(renameUserAction, { id: alice!.id, name: '' })).toMatchObject({
      status: 'error',
      fieldErrors: { name: ['Name is required'] },
    })
    expect(await submit(renameUserAction, { id: crypto.randomUUID(), name: 'Ghost' })).toMatchObject({
      status: 'error',
      code: 'NOT_FOUND',
      formError: expect.stringContaining('No user with id'),
    })
    expect((await database().db.select().from(users).where(eq(users.id, alice!.id)))[0]?.name).toBe('Alicia')
  })

  it('deletes once', async () => {
    await submit(addUserAction, { name: 'Alice' })
    const [alice] = await rows()
    expect(await submit(deleteUserAction, { id: alice!.id })).toMatchObject({ status: 'success', message: 'User Alice deleted' })
    expect(await rows()).toHaveLength(0)
    expect(await submit(deleteUserAction, { id: alice!.id })).toMatchObject({ status: 'error', code: 'NOT_FOUND' })
  })
})

describe('deleteUser and the answers kept for idempotency keys', () => {
  it('forgets every kept answer that describes the deleted user (their name and email outlived them by 24 h)', async () => {
    const added = await submit(addUserAction, { name: 'Kept Answer', email: 'kept@example.com', 'idempotency-key': 'add-kept' })
    const other = await submit(addUserAction, { name: 'Other', 'idempotency-key': 'add-other' })
    expect([added.status, other.status]).toEqual(['success', 'success'])
    const kept = async () => (await database().db.select().from(idempotencyKeys)).map((row) => JSON.stringify(row.outcome))
    expect((await kept()).some((outcome) => outcome.includes('kept@example.com'))).toBe(true)
    const [user] = await database().db.select().from(users).where(eq(users.name, 'Kept Answer'))
    expect(await submit(deleteUserAction, { id: user!.id, 'idempotency-key': 'delete-kept' })).toMatchObject({ status: 'success' })
    const left = await kept()
    // The other user's answer stays; of the deleted user's, only the delete's own (a retry of it replays it).
    expect(left.filter((outcome) => outcome.includes('Other'))).toHaveLength(1)
    expect(left.filter((outcome) => outcome.includes('added via'))).toHaveLength(1)
  })
})
