import v8 from 'node:v8'
import vm from 'node:vm'
import { router, type HttpMethod } from 'actionroute'
import { createClient, type StreamResult } from 'actionroute/client'
import { afterEach, describe, expect, it } from 'vitest'
import { api } from '@/server/api'
import { userEvents } from '@/server/db/schema'
import { setupTestDatabase } from '@/test/support/database'
import { BACKLOG_LIMIT, closeFeed, feedFor, QUEUE_LIMIT, type DirectoryEvent } from './feed'
import * as queries from './queries'

// The live directory on this project's database (PGlite and PostgreSQL): every change to users reaches a
// subscriber, through the feed and through GET /api/users/events, and one that reconnects gets what it missed.
const database = setupTestDatabase()
const handlers = router(api)
const client = createClient<typeof api>({
  baseUrl: 'http://directory.test',
  fetch: (request) => handlers[request.method as HttpMethod](request, { params: Promise.resolve({}) }),
})

afterEach(() => closeFeed())

/** The next `count` events of `events`, or a failed test after `ms`. */
async function take<T>(events: AsyncIterator<T>, count: number, ms = 3000): Promise<T[]> {
  const taken: T[] = []
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${taken.length} of ${count} events within ${ms} ms`)), ms))
  while (taken.length < count) {
    const next = await Promise.race([events.next(), timeout])
    if (next.done) throw new Error(`the stream ended after ${taken.length} events`)
    taken.push(next.value)
  }
  return taken
}

const latest = async () => Number((await database().db.select().from(userEvents)).reduce((last, event) => Math.max(last, event.seq), 0))
const add = (name: string) => queries.insertUser({ name }, 'route')

describe('the directory feed', () => {
  it('hands every subscriber each change, whoever made it: added, renamed, deleted', async () => {
    const stop = new AbortController()
    const feed = feedFor(database())
    const [one, two] = [feed.subscribe(undefined, stop.signal), feed.subscribe(undefined, stop.signal)]
    // Subscribed once the first next() has run: start both, then change.
    const first = [one.next(), two.next()]
    await feed.start()
    await new Promise((resolve) => setTimeout(resolve, 50))
    const ada = await add('Ada')
    await queries.updateUser({ id: ada.id, name: 'Ada Lovelace' })
    await queries.deleteUser(ada.id)
    for (const [events, next] of [[one, first[0]], [two, first[1]]] as const) {
      const all = [(await next!).value as DirectoryEvent, ...(await take(events, 2))]
      expect(all.map(({ kind, id, name }) => ({ kind, id, name }))).toEqual([
        { kind: 'added', id: ada.id, name: 'Ada' },
        { kind: 'renamed', id: ada.id, name: 'Ada Lovelace' },
        { kind: 'deleted', id: ada.id, name: 'Ada Lovelace' },
      ])
      expect(all.map((event) => event.seq)).toEqual([...all.map((event) => event.seq)].sort((a, b) => a - b))
    }
    stop.abort()
    await one.return!()
    await two.return!()
    expect(feed.size).toBe(0)
  })

  it('holds for a subscriber what was committed after it subscribed, even before its stream is read', async () => {
    const stop = new AbortController()
    const feed = feedFor(database())
    await feed.start()
    const events = feed.subscribe(undefined, stop.signal)
    const early = await add('Before The First Read')
    await expect.poll(() => feed.size).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect((await take(events, 1)).map(({ kind, id }) => ({ kind, id }))).toEqual([{ kind: 'added', id: early.id }])
    // And return() lets go of it at once, read or not.
    await events.return!()
    expect(feed.size).toBe(0)
    stop.abort()
  })

  it('gives a subscriber that comes back after an event id what happened since, then what comes', async () => {
    const before = await latest()
    await add('Missed One')
    await add('Missed Two')
    const stop = new AbortController()
    const events = feedFor(database()).subscribe(before, stop.signal)
    const missed = await take(events, 2)
    expect(missed.map((event) => event.name)).toEqual(['Missed One', 'Missed Two'])
    const live = take(events, 1)
    await new Promise((resolve) => setTimeout(resolve, 50))
    await add('Live Three')
    expect((await live).map((event) => event.name)).toEqual(['Live Three'])
    stop.abort()
  })

  it(`resends at most the latest ${BACKLOG_LIMIT} to a subscriber further behind, so no hole is left before what comes live`, async () => {
    const before = await latest()
    await database().query(`insert into users (name, door) select 'behind ' || n, 'route' from generate_series(1, ${BACKLOG_LIMIT + 5}) n`, [])
    const last = await latest()
    const stop = new AbortController()
    const feed = feedFor(database())
    await feed.start()
    const events = feed.subscribe(before, stop.signal)
    const missed = await take(events, BACKLOG_LIMIT)
    expect(missed[0]!.seq).toBe(last - BACKLOG_LIMIT + 1)
    expect(missed.at(-1)!.seq).toBe(last)
    stop.abort()
  })

  it(`drops a subscriber that does not read once ${QUEUE_LIMIT} events wait for it, and keeps serving the others`, async () => {
    const stop = new AbortController()
    const feed = feedFor(database())
    const stalled = feed.subscribe(undefined, stop.signal)
    const firstStalled = stalled.next()
    // The other reads everything, as it comes.
    const read: DirectoryEvent[] = []
    const reading = (async () => {
      for await (const event of feed.subscribe(undefined, stop.signal)) read.push(event)
    })()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(feed.size).toBe(2)
    // One statement, QUEUE_LIMIT + 2 events: the stalled one, which takes only its first, overflows.
    await database().query(`insert into users (name, door) select 'bulk ' || n, 'route' from generate_series(1, ${QUEUE_LIMIT + 2}) n`, [])
    await firstStalled
    await expect.poll(() => feed.size, { timeout: 3000 }).toBe(1)
    expect(await stalled.next()).toEqual({ done: true, value: undefined })
    await expect.poll(() => read.length, { timeout: 3000 }).toBe(QUEUE_LIMIT + 2)
    stop.abort()
    await reading
  })

  it('leaves no subscriber and no abort listener behind after 2,000 subscribers came and went', async () => {
    const feed = feedFor(database())
    await feed.start()
    for (let round = 0; round < 2000; round++) {
      const stop = new AbortController()
      const events = feed.subscribe(undefined, stop.signal)
      const next = events.next()
      await new Promise((resolve) => setImmediate(resolve))
      stop.abort()
      expect(await next).toEqual({ done: true, value: undefined })
    }
    expect(feed.size).toBe(0)
  })
  it('keeps nothing of 5,000 subscribers that opened the stream and dropped it (heap after a GC, through the route)', async () => {
    // A garbage collection on demand, as --expose-gc gives one.
    v8.setFlagsFromString('--expose-gc')
    const gc = vm.runInNewContext('gc') as () => void
    const once = async () => {
      const controller = new AbortController()
      const response = await handlers.GET(new Request('http://directory.test/api/users/events', { signal: controller.signal }), { params: Promise.resolve({}) })
      const reader = response.body!.getReader()
      await reader.read() // the comment that opens the stream
      const subscribed = reader.read() // the subscription starts with this pull
      await new Promise((resolve) => setImmediate(resolve))
      controller.abort()
      await reader.cancel()
      await subscribed.catch(() => {})
    }
    for (let round = 0; round < 500; round++) await once()
    gc()
    const before = process.memoryUsage().heapUsed
    for (let round = 0; round < 5000; round++) await once()
    await new Promise((resolve) => setTimeout(resolve, 50))
    gc()
    const grown = process.memoryUsage().heapUsed - before
    expect(feedFor(database()).size).toBe(0)
    // Under 1 KB a subscriber: one kept (a listener, a queue, a generator) would be several.
    expect(grown).toBeLessThan(5 * 2 ** 20)
  })
})

describe('GET /api/users/events', () => {
  it('streams each change as a server-sent event, typed, its id the event’s seq', async () => {
    const opened: StreamResult<typeof api['/api/users/events']['GET']> = await client.stream('GET', '/api/users/events', { query: { after: await latest() } })
    if (!opened.ok) throw new Error(opened.error.detail)
    const items = opened.items[Symbol.asyncIterator]()
    const pending = take(items, 2)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const added = await client.POST('/api/addUser', { body: { name: 'Streamed Person' } })
    if (!added.ok) throw new Error(added.error.detail)
    await client.PATCH('/api/users/{id}', { params: { id: added.data.user.id }, body: { name: 'Streamed Again' } })
    expect((await pending).map(({ kind, name }) => ({ kind, name }))).toEqual([
      { kind: 'added', name: 'Streamed Person' },
      { kind: 'renamed', name: 'Streamed Again' },
    ])
    await items.return?.()
  })

  it('refuses an after that is not an event id, before streaming', async () => {
    expect(await client.stream('GET', '/api/users/events', { query: { after: -1 } })).toMatchObject({ ok: false, status: 422, error: { code: 'VALIDATION_FAILED' } })
  })
})
