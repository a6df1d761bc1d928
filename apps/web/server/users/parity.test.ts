import { expectParity, type ParityOptions } from 'actionroute/testing'
import type { Operation } from 'actionroute'
import fc from 'fast-check'
import { beforeAll, describe, it } from 'vitest'
import { setupTestDatabase } from '@/test/support/database'
import { fixtureUsers, restoreUsers } from '@/test/support/fixtures'
import { encodeCursor } from './cursor'
import { addUser, deleteUser, getUser, listUsers, updateUser } from './operations'

// Every users operation, fed generated input through the API route and the Server Action:
// the same data, or the same error code, status and field paths, on both doors.
const database = setupTestDatabase()
const RUNS = 1000

const fixtures = fixtureUsers.slice(0, 3)
const fixtureIds = fixtures.map((user) => user.id)
const restoreFixtures = () => restoreUsers(database(), fixtures)

beforeAll(restoreFixtures)

// Text a person could type, and the edge cases of the rules.
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 110 }),
  fc.constantFrom('', '   ', 'Alice', ' Ame\u0301lie ', 'a'.repeat(100), 'a'.repeat(101), 'x\ny', 'tab\there', '😀'.repeat(100), '<b>x</b>'),
)
const email = fc.oneof(fc.emailAddress(), fc.constantFrom('BOB@example.com', 'Alicia@Example.com', 'bad', 'a@b', ''))
const anyValue = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null))
const id = fc.oneof(fc.constantFrom(...fixtureIds), fc.uuid(), fc.string({ maxLength: 40 }))
const cursor = fc.oneof(
  fc.constantFrom(...fixtures.flatMap((user) => (['next', 'prev'] as const).map((direction) => encodeCursor({ direction, createdAt: user.createdAt.toISOString(), id: user.id })))),
  fc.string({ maxLength: 30 }),
)

/** Drops what differs by design between two runs or two doors: ids, timestamps, the door's name and `door`. */
function comparable(data: unknown): unknown {
  if (Array.isArray(data)) return data.map(comparable)
  if (typeof data !== 'object' || data === null) {
    return typeof data === 'string' ? data.replace(/via (API route|server action)$/, 'via <door>') : data
  }
  const generated = new Set(['id', 'createdAt', 'updatedAt', 'door'])
  return Object.fromEntries(Object.entries(data).filter(([key]) => !generated.has(key)).map(([key, value]) => [key, comparable(value)]))
}

const cases: { op: Operation; input: fc.Arbitrary<Record<string, unknown>>; options: ParityOptions }[] = [
  {
    op: addUser,
    input: fc.record({ name: fc.oneof(text, anyValue), email: fc.oneof(email, anyValue) }, { requiredKeys: [] }),
    options: { method: 'POST', reset: restoreFixtures, project: comparable },
  },
  {
    op: listUsers,
    input: fc.record(
      { q: text, limit: fc.oneof(fc.integer({ min: -5, max: 120 }), fc.constantFrom('10', 'ten', '2.5', '')), cursor },
      { requiredKeys: [] },
    ),
    options: { method: 'GET' },
  },
  { op: getUser, input: fc.record({ id }), options: { method: 'GET', params: ['id'] } },
  {
    op: updateUser,
    input: fc.record({ id, name: fc.oneof(text, anyValue), email: fc.oneof(email, anyValue) }, { requiredKeys: ['id'] }),
    options: { method: 'PATCH', params: ['id'], reset: restoreFixtures, project: comparable },
  },
  { op: deleteUser, input: fc.record({ id }), options: { method: 'DELETE', params: ['id'], reset: restoreFixtures } },
]

describe('the API route and the Server Action agree', () => {
  it.each(cases)('$op.name, over 1000 generated inputs', async ({ op, input, options }) => {
    await fc.assert(
      fc.asyncProperty(input, (generated) => expectParity(op, generated, options)),
      { numRuns: RUNS },
    )
  }, 120_000)
})
