import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  openapi,
  formAction,
  idempotency,
  IDEMPOTENCY_FIELD,
  IDEMPOTENCY_TABLE_SQL,
  idle,
  memoryIdempotencyStore,
  operation,
  postgresIdempotencyStore,
  route,
  type IdempotencyStore,
} from '../index'
import { withActionContext } from '../testing'
import { testDatabases } from './databases.fixture'

/** An operation that counts its runs and takes a while, so concurrent calls overlap. */
function counted(store: IdempotencyStore, delayMs = 20) {
  const runs: string[] = []
  const op = operation({
    name: 'addItem',
    input: z.object({ name: z.string().min(1) }),
    use: [idempotency({ store, formWait: 2_000 })],
    handler: async ({ name }) => {
      runs.push(name)
      await new Promise((resolve) => setTimeout(resolve, delayMs))
      return { message: `Added ${name}`, at: new Date(0) }
    },
    http: { status: 201 },
  })
  return { op, runs }
}
const post = (op: ReturnType<typeof counted>['op'], body: unknown, key?: string) =>
  route(op)(
    new Request('http://api.test/items', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
      body: JSON.stringify(body),
    }),
    { params: Promise.resolve({}) },
  )
const read = async (response: Response) => ({ status: response.status, replayed: response.headers.get('idempotency-replayed'), body: await response.json() })

describe('idempotency() on the route door', () => {
  it('runs the first call with a key, and replays its answer to the same key and input', async () => {
    const { op, runs } = counted(memoryIdempotencyStore())
    const first = await read(await post(op, { name: 'a' }, '"k-1"'))
    const again = await read(await post(op, { name: 'a' }, 'k-1'))
    expect(first).toEqual({ status: 201, replayed: null, body: { message: 'Added a', at: '1970-01-01T00:00:00.000Z' } })
    expect(again).toEqual({ ...first, replayed: 'true' })
    expect(runs).toEqual(['a'])
  })

  it('answers 422 to the same key with another input, 409 while the first still runs, and runs calls without a key as usual', async () => {
    const { op, runs } = counted(memoryIdempotencyStore(), 100)
    const [first, concurrent] = await Promise.all([post(op, { name: 'a' }, 'k-2'), new Promise((r) => setTimeout(r, 20)).then(() => post(op, { name: 'a' }, 'k-2'))])
    expect([first.status, (await read(concurrent)).body.code]).toEqual([201, 'IDEMPOTENCY_KEY_IN_USE'])
    expect(concurrent.status).toBe(409)
    const other = await post(op, { name: 'b' }, 'k-2')
    expect([other.status, (await other.json()).code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED'])
    await post(op, { name: 'c' })
    await post(op, { name: 'c' })
    expect(runs).toEqual(['a', 'c', 'c'])
  })

  it('keeps no refusal, so the same key carries the corrected input; refuses a malformed key with 400', async () => {
    const { op, runs } = counted(memoryIdempotencyStore())
    const invalid = await read(await post(op, { name: '' }, 'k-3'))
    const corrected = await read(await post(op, { name: 'a' }, 'k-3'))
    expect([invalid.status, invalid.body.code, corrected.status, corrected.replayed]).toEqual([422, 'VALIDATION_FAILED', 201, null])
    const malformed = await post(op, { name: 'a' }, 'has spaces in it')
    expect([malformed.status, (await malformed.json()).code]).toEqual([400, 'BAD_REQUEST'])
    expect(runs).toEqual(['a'])
  })
})

describe('idempotency() in OpenAPI', () => {
  it('documents the Idempotency-Key header and the 409 and 422 it can answer', () => {
    const { op } = counted(memoryIdempotencyStore())
    const post = openapi({ info: { title: 't', version: '1' }, paths: { '/items': { POST: op } } }).paths?.['/items']?.post
    expect(post?.parameters).toEqual([expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false })])
    expect(Object.keys(post?.responses ?? {})).toEqual(expect.arrayContaining(['409', '422']))
  })
})

describe('idempotency() on the form door', () => {
  it('answers a double submit once: the second waits for the first and gets the same state', async () => {
    const { op, runs } = counted(memoryIdempotencyStore(), 100)
    const form = new FormData()
    form.set('name', 'a')
    form.set(IDEMPOTENCY_FIELD, 'render-1')
    const submit = () => withActionContext({}, () => formAction(op)(idle, form))
    const [first, second] = await Promise.all([submit(), submit()])
    expect(runs).toEqual(['a'])
    expect([first.status, first.message, second.status, second.message]).toEqual(['success', 'Added a', 'success', 'Added a'])
  })
})

const databases = testDatabases('postgresIdempotencyStore()', 'actionroute_idempotency', IDEMPOTENCY_TABLE_SQL)

describe.each(databases)('postgresIdempotencyStore() on $name', ({ skip, open }) => {
  it.skipIf(skip)('lets one of many concurrent calls with a key run, and replays its answer to the rest', async () => {
    const db = await open()
    const { op, runs } = counted(postgresIdempotencyStore(db), 50)
    for (let key = 0; key < 20; key++) {
      const answers = await Promise.all(Array.from({ length: 5 }, () => post(op, { name: `n${key}` }, `key-${key}`)))
      // One ran; each of the others found it running (409) or finished (its answer replayed), depending on timing.
      const ran = answers.filter((answer) => answer.status === 201 && answer.headers.get('idempotency-replayed') === null)
      expect(ran).toHaveLength(1)
      expect(answers.every((answer) => answer.status === 201 || answer.status === 409)).toBe(true)
      expect((await read(await post(op, { name: `n${key}` }, `key-${key}`))).replayed).toBe('true')
    }
    expect(runs).toHaveLength(20)
    // An expired answer frees its key.
    await db.query(`update actionroute_idempotency set expires_at = now() - interval '1 second' where key = 'addItem:key-0'`, [])
    expect((await read(await post(op, { name: 'other' }, 'key-0'))).status).toBe(201)
  }, 60_000)
})
