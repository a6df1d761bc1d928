import { describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import {
  base,
  openapi,
  formAction,
  idempotency,
  IDEMPOTENCY_FIELD,
  IDEMPOTENCY_TABLE_SQL,
  idle,
  memoryIdempotencyStore,
  postgresIdempotencyStore,
  route,
  type IdempotencyStore,
  type Operation,
} from '../index'
import { withActionContext } from '../testing'
import { apiKeys, authenticate } from './authenticate'
import { trustProxy } from '../core/client-address'
import { testDatabases } from './databases.fixture'

/** An operation that counts its runs and takes a while, so concurrent calls overlap. */
function counted(store: IdempotencyStore, delayMs = 20) {
  const runs: string[] = []
  const op = base.use(idempotency({ store, formWait: 2_000 })).operation({
    name: 'addItem',
    input: z.object({ name: z.string().min(1), picture: z.file().optional() }),
    handler: async ({ name }) => {
      runs.push(name)
      await new Promise((resolve) => setTimeout(resolve, delayMs))
      return { message: `Added ${name}`, at: new Date(0) }
    },
    http: { status: 201 },
  })
  return { op, runs }
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any operation with a JSON input
const post = (op: Operation<any, unknown>, body: unknown, key?: string, headers: Record<string, string> = {}) =>
  route(op)(
    new Request('http://api.test/items', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }), ...headers },
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

describe('idempotency() and a stream', () => {
  it('does not keep a stream to replay (it would replay `{}`): the key is freed, and a retry streams again', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    let runs = 0
    const op = base.use(idempotency({ store: memoryIdempotencyStore() })).operation({
      name: 'countUp',
      input: z.object({ to: z.number().int() }),
      async *handler({ to }) {
        runs++
        for (let n = 1; n <= to; n++) yield n
      },
      stream: {},
    })
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await post(op, { to: 2 }, 'same-key')
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
      expect(await response.text()).toContain('data: 2')
    }
    expect(runs).toBe(2)
    expect(warn).toHaveBeenCalledTimes(1)
    warn.mockRestore()
  })
})

describe('idempotency() keys belong to their caller', () => {
  const KEY_A = 'a-key-for-partner-a-0001'
  const KEY_B = 'a-key-for-partner-b-0002'

  it('never replays one API key holder\'s answer to another who sends the same key and input', async () => {
    const store = memoryIdempotencyStore()
    const runs: string[] = []
    const op = base.use(authenticate(apiKeys({ keys: [KEY_A, KEY_B] }))).use(idempotency({ store })).operation({
      name: 'addItem',
      input: z.object({ name: z.string() }),
      handler: ({ name }, ctx) => (runs.push(ctx.locals.principal.id), { name, secret: `for ${ctx.locals.principal.id}` }),
    })
    const a = await read(await post(op, { name: 'x' }, 'shared', { 'x-api-key': KEY_A }))
    const b = await read(await post(op, { name: 'x' }, 'shared', { 'x-api-key': KEY_B }))
    expect(b.replayed).toBeNull()
    expect(b.body.secret).not.toBe(a.body.secret)
    expect(runs).toHaveLength(2)
    expect((await read(await post(op, { name: 'x' }, 'shared', { 'x-api-key': KEY_A }))).replayed).toBe('true')
  })

  it('scopes anonymous keys by client address, an IPv6 one by its /64', async () => {
    trustProxy({ hops: 1 })
    try {
      const { op, runs } = counted(memoryIdempotencyStore(), 0)
      const from = (ip: string) => post(op, { name: 'x' }, 'k', { 'x-forwarded-for': ip })
      expect((await read(await from('203.0.113.1'))).replayed).toBeNull()
      expect((await read(await from('203.0.113.2'))).replayed).toBeNull()
      expect((await read(await from('2001:db8:1:2::1'))).replayed).toBeNull()
      // The same subscriber on another of its addresses (privacy extensions change them): the same client.
      expect((await read(await from('2001:db8:1:2:aaaa::9'))).replayed).toBe('true')
      expect(runs).toHaveLength(3)
    } finally {
      trustProxy(undefined)
    }
  })

  it('fingerprints a file by its bytes: another file under the same key and name is 422, not the first answer', async () => {
    const { op, runs } = counted(memoryIdempotencyStore(), 0)
    const upload = (bytes: string) => {
      const form = new FormData()
      form.set('name', 'avatar')
      form.set('picture', new File([bytes], 'me.png', { type: 'image/png' }))
      return route(op)(new Request('http://api.test/items', { method: 'POST', body: form, headers: { 'idempotency-key': 'upload-1' } }), { params: Promise.resolve({}) })
    }
    expect((await upload('first picture')).status).toBe(201)
    expect((await read(await upload('first picture'))).replayed).toBe('true')
    const other = await upload('other picture')
    expect([other.status, (await other.json()).code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED'])
    expect(runs).toEqual(['avatar'])
  })
})

describe('memoryIdempotencyStore()', () => {
  it('keeps at most maxKeys live keys: a new key past them is 503, and no kept answer is forgotten', async () => {
    const { op, runs } = counted(memoryIdempotencyStore({ maxKeys: 2 }), 0)
    expect((await post(op, { name: 'a' }, 'k1')).status).toBe(201)
    expect((await post(op, { name: 'b' }, 'k2')).status).toBe(201)
    const third = await post(op, { name: 'c' }, 'k3')
    expect([third.status, third.headers.get('retry-after'), (await third.json()).code]).toEqual([503, '60', 'IDEMPOTENCY_STORE_FULL'])
    expect((await read(await post(op, { name: 'a' }, 'k1'))).replayed).toBe('true')
    expect((await post(op, { name: 'd' })).status).toBe(201) // no key: runs as usual
    expect(runs).toEqual(['a', 'b', 'd'])
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
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const answer = (data: unknown) => ({ ok: true as const, data })

/** What every store must do with a call that outlived its lease. */
async function outlivedLease(store: IdempotencyStore) {
  expect(await store.claim('k', 'fp', 1, 'late')).toEqual({ state: 'claimed' })
  await sleep(20)
  // The lease passed: the next caller takes the key and is still running when the late call ends.
  expect(await store.claim('k', 'fp', 60_000, 'next')).toEqual({ state: 'claimed' })
  await store.finish('k', 'late', answer('the late call'), 60_000)
  expect(await store.claim('k', 'fp', 60_000, 'third')).toEqual({ state: 'running', fingerprint: 'fp' })
  await store.release('k', 'late')
  expect(await store.claim('k', 'fp', 60_000, 'third')).toEqual({ state: 'running', fingerprint: 'fp' })
  await store.finish('k', 'next', answer('the next call'), 60_000)
  expect(await store.claim('k', 'fp', 60_000, 'third')).toEqual({ state: 'done', fingerprint: 'fp', outcome: answer('the next call') })
  // Nor can a release undo an answer kept.
  await store.release('k', 'next')
  expect((await store.claim('k', 'fp', 60_000, 'third')).state).toBe('done')
}

describe('memoryIdempotencyStore() and leases', () => {
  it('lets a call finish or release only the claim it holds', () => outlivedLease(memoryIdempotencyStore()))
})

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
    await db.query(`update actionroute_idempotency set expires_at = now() - interval '1 second' where key = 'addItem:anonymous:key-0'`, [])
    expect((await read(await post(op, { name: 'other' }, 'key-0'))).status).toBe(201)
  }, 60_000)

  it.skipIf(skip)('lets a call finish or release only the claim it holds', async () => outlivedLease(postgresIdempotencyStore(await open())), 30_000)

  it.skipIf(skip)('replays the first answer byte for byte (a jsonb object would re-order its keys)', async () => {
    const store = postgresIdempotencyStore(await open())
    const op = base.use(idempotency({ store })).operation({
      name: 'ordered',
      input: z.object({}),
      handler: () => ({ zeta: 1, a: 'é', longest_key_of_all: { y: [1, 2.5e-7], x: null }, bb: true }),
    })
    const send = () => route(op)(new Request('http://api.test/x', { method: 'POST', headers: { 'idempotency-key': 'bytes' } }), { params: Promise.resolve({}) })
    const first = await send()
    const again = await send()
    expect(again.headers.get('idempotency-replayed')).toBe('true')
    expect(await again.text()).toBe(await first.text())
  }, 30_000)

  it.skipIf(skip)('reads an answer kept by 0.2 (a jsonb object) after the upgrade', async () => {
    const db = await open()
    await db.query(`insert into actionroute_idempotency (key, fingerprint, outcome, expires_at) values ('k', 'fp', '{"ok":true,"data":{"b":1,"a":2}}', now() + interval '1 hour')`, [])
    expect(await postgresIdempotencyStore(db).claim('k', 'fp', 1000, 'me')).toEqual({ state: 'done', fingerprint: 'fp', outcome: answer({ a: 2, b: 1 }) })
  }, 30_000)
})
