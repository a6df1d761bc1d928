import { and, asc, gt, inArray, lte, max, or, sql } from 'drizzle-orm'
import { OperationError } from 'actionroute'
import type { Database } from '@/server/db/client'
import { userEvents, type UserEventKind } from '@/server/db/schema'

/** One change to the directory, as the live list receives it. */
export interface DirectoryEvent {
  /** Its place in the log (user_events.seq): the SSE event id, sent back as Last-Event-ID to resume after it. */
  seq: number
  kind: UserEventKind
  id: string
  name: string
  at: Date
}

/** The channel the users trigger NOTIFYs with each event's seq (drizzle/0005_user_events.sql). */
export const USER_EVENTS_CHANNEL = 'user_events'
/** Most events one subscriber may have waiting: past it, it is too slow for the feed and is dropped. */
export const QUEUE_LIMIT = 1_000
/** Most subscribers one instance serves at once; past it, a new one is answered 503 and retries (EventSource does). */
export const MAX_SUBSCRIBERS = 10_000
/** Most events a reconnecting subscriber is sent from the log (the latest); a longer absence should reload the page. */
export const BACKLOG_LIMIT = 1_000
/** How long a seq missing from the log is looked for again: a transaction that took it may not have committed yet. */
const GAP_WAIT_MS = 10_000
/** Events older than this are deleted from the log, at start and every 10 minutes. */
const RETENTION = '1 hour'

interface Subscriber {
  queue: DirectoryEvent[]
  /** Resolves the subscriber's wait, when it waits. */
  wake: (() => void) | undefined
  /** Dropped: its queue overflowed, or the feed closed. */
  ended: boolean
}

/**
 * The directory's changes for this instance's subscribers. The log (user_events) is read once per wake-up, whoever
 * made the change: this instance or another (PostgreSQL's NOTIFY), and handed to every subscriber's queue.
 * Sequence numbers are taken in insert order but committed in any order: a seq missing below the highest read is
 * looked for again for GAP_WAIT_MS, so an event that commits late is still delivered (after later ones).
 */
export class DirectoryFeed {
  #last = 0
  readonly #gaps = new Map<number, number>()
  readonly #subscribers = new Set<Subscriber>()
  #reading: Promise<void> | undefined
  #again = false
  #started: Promise<void> | undefined
  #stopListening: (() => Promise<void>) | undefined
  #prune: ReturnType<typeof setInterval> | undefined
  #closed = false

  constructor(private readonly database: Database) {}

  /** Subscribers now: for tests and the memory checks of the hostile suite. */
  get size(): number {
    return this.#subscribers.size
  }

  /** Throws the 503 a new subscriber gets when this instance already serves MAX_SUBSCRIBERS, or is stopping. */
  admit(): void {
    if (this.#closed || this.#subscribers.size >= MAX_SUBSCRIBERS) {
      throw new OperationError('SERVICE_UNAVAILABLE', 'Too many live subscribers on this server: try again in a moment.', { status: 503, headers: { 'retry-after': '5' } })
    }
  }

  start(): Promise<void> {
    return (this.#started ??= (async () => {
      const [row] = await this.database.db.select({ last: max(userEvents.seq) }).from(userEvents)
      this.#last = Number(row?.last ?? 0)
      // A NOTIFY means "read the log"; after the LISTEN connection comes back, read it too: what was sent meanwhile is lost.
      this.#stopListening = await this.database.listen(USER_EVENTS_CHANNEL, () => this.wake(), () => this.wake())
      await this.#pruneLog()
      this.#prune = setInterval(() => void this.#pruneLog(), 10 * 60_000)
      this.#prune.unref()
    })())
  }

  /** Reads the log for what is new; calls made while a read runs are folded into one more read after it. */
  wake(): void {
    if (this.#closed) return
    if (this.#reading) {
      this.#again = true
      return
    }
    this.#reading = (async () => {
      try {
        do {
          this.#again = false
          await this.#readLog()
        } while (this.#again && !this.#closed)
      } catch (error) {
        console.error('[feed] could not read the user events:', error)
      } finally {
        this.#reading = undefined
      }
    })()
  }

  async #readLog(): Promise<void> {
    const now = Date.now()
    for (const [seq, until] of this.#gaps) if (until < now) this.#gaps.delete(seq)
    const gaps = [...this.#gaps.keys()]
    const after = gt(userEvents.seq, this.#last)
    const rows = await this.database.db
      .select()
      .from(userEvents)
      .where(gaps.length > 0 ? or(after, inArray(userEvents.seq, gaps)) : after)
      .orderBy(asc(userEvents.seq))
      .limit(BACKLOG_LIMIT)
    if (rows.length === 0) return
    for (const row of rows) {
      this.#gaps.delete(row.seq)
      // At most a page of them: a jump of the sequence (setval, say) is no gap worth a Map of millions.
      for (let missing = Math.max(this.#last + 1, row.seq - BACKLOG_LIMIT); missing < row.seq; missing++) this.#gaps.set(missing, now + GAP_WAIT_MS)
      this.#last = Math.max(this.#last, row.seq)
    }
    // A full page: there may be more.
    if (rows.length === BACKLOG_LIMIT) this.#again = true
    const events = rows.map(eventOf)
    for (const subscriber of this.#subscribers) {
      if (subscriber.queue.length + events.length > QUEUE_LIMIT) {
        // It does not read: stop holding events for it. Its stream ends when it next asks for one.
        subscriber.ended = true
        subscriber.queue = []
        this.#subscribers.delete(subscriber)
      } else subscriber.queue.push(...events)
      subscriber.wake?.()
    }
  }

  /**
   * The changes from now on, or from after `after` (a Last-Event-ID): those in the log first, then as they come.
   * Registered at once, before the first item is asked for: a change committed after this call reaches it, even
   * one made before the stream is read. Ends when `signal` aborts (the reader went), when `return()` is called,
   * when the subscriber falls QUEUE_LIMIT events behind, or when the feed closes (shutdown: the browser reconnects,
   * to this instance once restarted or to another).
   */
  subscribe(after: number | undefined, signal: AbortSignal): AsyncIterableIterator<DirectoryEvent> {
    const me: Subscriber = { queue: [], wake: undefined, ended: this.#closed }
    if (!me.ended) this.#subscribers.add(me)
    const events = this.#events(me, after, signal)
    const leave = () => {
      this.#subscribers.delete(me)
      me.ended = true
      me.wake?.()
    }
    return {
      [Symbol.asyncIterator]() {
        return this
      },
      next: () => events.next(),
      // At once, also for a stream never read (its generator has not started, so its `finally` would not run).
      return: async () => {
        leave()
        return events.return(undefined)
      },
      throw: async () => {
        leave()
        return events.return(undefined)
      },
    }
  }

  async *#events(me: Subscriber, after: number | undefined, signal: AbortSignal): AsyncGenerator<DirectoryEvent> {
    try {
      await this.start()
      if (after !== undefined && after < this.#last) {
        const missed = await this.database.db
          .select()
          .from(userEvents)
          // The latest BACKLOG_LIMIT at most, so that what follows them live leaves no hole.
          .where(and(gt(userEvents.seq, Math.max(after, this.#last - BACKLOG_LIMIT)), lte(userEvents.seq, this.#last)))
          .orderBy(asc(userEvents.seq))
          .limit(BACKLOG_LIMIT)
        // What the feed read meanwhile is queued too: sent once, from the log.
        const sent = new Set(missed.map((row) => row.seq))
        me.queue = me.queue.filter((event) => !sent.has(event.seq))
        for (const row of missed) yield eventOf(row)
      }
      for (;;) {
        const next = me.queue.shift()
        if (next) {
          yield next
          continue
        }
        if (me.ended || signal.aborted) return
        await waitFor(me, signal)
      }
    } finally {
      this.#subscribers.delete(me)
    }
  }

  /** Ends every subscription and stops listening: at shutdown, before HTTP drains. */
  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#prune)
    for (const subscriber of this.#subscribers) {
      subscriber.ended = true
      subscriber.wake?.()
    }
    this.#subscribers.clear()
    await this.#stopListening?.()
  }

  async #pruneLog(): Promise<void> {
    await this.database.db
      .delete(userEvents)
      .where(sql`${userEvents.at} < now() - ${RETENTION}::interval`)
      .catch((error: unknown) => console.error('[feed] could not prune the user events:', error))
  }
}

function eventOf(row: typeof userEvents.$inferSelect): DirectoryEvent {
  return { seq: row.seq, kind: row.kind, id: row.userId, name: row.name, at: row.at }
}

/** Until the feed wakes the subscriber or `signal` aborts; leaves no listener behind either way. */
function waitFor(subscriber: Subscriber, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      subscriber.wake = undefined
      signal.removeEventListener('abort', done)
      resolve()
    }
    subscriber.wake = done
    signal.addEventListener('abort', done, { once: true })
  })
}

// One feed per process, beside the database it reads.
const FEED = Symbol.for('userdirectory.feed')
const holder = globalThis as { [FEED]?: { database: Database; feed: DirectoryFeed } }

/** The process's feed for `database` (a new one when the database changed: tests install their own). */
export function feedFor(database: Database): DirectoryFeed {
  const current = holder[FEED]
  if (current?.database === database) return current.feed
  const feed = new DirectoryFeed(database)
  holder[FEED] = { database, feed }
  return feed
}

/** Closes the process's feed, if one was started. */
export async function closeFeed(): Promise<void> {
  const current = holder[FEED]
  holder[FEED] = undefined
  await current?.feed.close()
}
