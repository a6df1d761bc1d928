import { parse, protocol, type PGlite, type QueryOptions, type Results } from '@electric-sql/pglite'

type BackendMessage = Parameters<Parameters<InstanceType<typeof protocol.Parser>['parse']>[1]>[0]

/** Prepared statements kept per database, the least recently used closed beyond it. */
export const PREPARED_STATEMENTS = 200

/**
 * One trip into PGlite's backend per query with parameters, and each distinct statement parsed and planned once.
 * `PGlite.query` takes six trips (Parse, Describe of the statement to learn its parameters' types, Bind, Describe
 * of the portal, Execute, Sync), each through its JavaScript-to-WebAssembly protocol layer, and parses every
 * statement anew. Measured on PGlite alone, an insert with `returning *`: 350-380 µs of CPU through `query`, about
 * 230 µs with the messages in one trip, about 150 µs with the statement prepared as well.
 *
 * The messages are the ones node-postgres sends for a named statement (Parse the first time, then Bind, Describe,
 * Execute, Sync), parameters as text with their types left to the server to infer, as `PGlite.query` does too (it
 * learns the inferred types only to pick a serializer). So only parameters whose text form needs no serializer take
 * this way: strings, numbers, booleans, bigints and nulls, which is what drizzle hands the driver once its columns
 * have mapped the values; anything else (a Date, an object, bytes), and a query with a blob or declared parameter
 * types, goes through `PGlite.query` as before. Queries inside `transaction()` do not pass here (PGlite runs them).
 *
 * The answer is read from the backend's raw output by `readMessages`, not by PGlite's protocol parser, whose
 * message classes cost about 30 µs of an insert's 130 (copies of every field, private fields compiled to WeakMaps):
 * with the statement prepared, an insert with `returning *` takes about 85 µs of CPU.
 *
 * A prepared statement that fails is closed, so the next call parses it again; one that failed because the schema
 * under it changed (PostgreSQL's "cached plan must not change result type") or was deallocated is tried again
 * at once, parsed anew.
 */
export function pipelineQueries<T extends PGlite>(client: T, capacity = PREPARED_STATEMENTS): T {
  const viaQuery = client.query.bind(client)
  // PGlite's own exclusivity: a query waits for a transaction in progress, then for the query before it.
  const internals = client as unknown as {
    _checkReady(): Promise<void>
    _runExclusiveTransaction<R>(fn: () => Promise<R>): Promise<R>
    _runExclusiveQuery<R>(fn: () => Promise<R>): Promise<R>
  }
  /** Statement text → its name in the backend, in order of last use (a Map iterates in insertion order). */
  const prepared = new Map<string, string>()
  let counter = 0

  // `listen(channel, fn)` keeps its listeners where only PGlite's own parser reaches them: once anyone calls it,
  // answers go through that parser again (`execProtocol`), at its cost. `onNotification(fn)` listeners are kept
  // here too, and this file's reader hands them what it reads (PGlite's own paths, such as its transactions, hand
  // them the rest): a LISTEN issued as a query, with onNotification, costs nothing more.
  let listening = false
  const original = { listen: client.listen.bind(client), onNotification: client.onNotification.bind(client), offNotification: client.offNotification.bind(client) }
  client.listen = (...args: Parameters<PGlite['listen']>) => {
    listening = true
    return original.listen(...args)
  }
  const notified = new Set<(channel: string, payload: string) => void>()
  client.onNotification = (listener) => {
    notified.add(listener)
    const unsubscribe = original.onNotification(listener)
    return () => {
      notified.delete(listener)
      unsubscribe()
    }
  }
  client.offNotification = (listener) => {
    notified.delete(listener)
    original.offNotification(listener)
  }
  const tell = (notifications: Notification[]) => {
    // As PGlite does: each listener in a microtask of its own, so one that throws stops no other.
    for (const { channel, payload } of notifications) for (const listener of notified) queueMicrotask(() => listener(channel, payload))
  }

  const send = async (message: Uint8Array) => {
    if (listening) return (await client.execProtocol(message, { throwOnError: true })).messages
    const chunks: Uint8Array[] = []
    // The chunks are views of the WebAssembly memory, reused by the next call: copied.
    await client.execProtocolRawStream(message, { onRawData: (chunk) => void chunks.push(chunk.slice()) })
    return readMessages(chunks.length === 1 ? chunks[0]! : concat(chunks), tell)
  }
  const close = (name: string) => protocol.serialize.close({ type: 'S', name })

  async function run<Row>(text: string, values: (string | null)[], options: QueryOptions | undefined, retried = false): Promise<Results<Row>> {
    const before: Uint8Array[] = []
    let name = prepared.get(text)
    const known = name !== undefined
    if (known) {
      prepared.delete(text)
    } else {
      name = `userdirectory_${++counter}`
      for (const [oldest, oldestName] of prepared) {
        if (prepared.size < capacity) break
        prepared.delete(oldest)
        before.push(close(oldestName))
      }
      before.push(protocol.serialize.parse({ text, name }))
    }
    try {
      const messages = await send(concat([...before, bind(name!, values), DESCRIBE_EXECUTE_SYNC]))
      prepared.set(text, name!)
      return parse.parseResults(messages, client.parsers, options)[0] as Results<Row>
    } catch (error) {
      // Whether or not its Parse went through, the name is released: closing a statement that does not exist is no error.
      await send(concat([close(name!), protocol.serialize.sync()])).catch(() => {})
      const code = (error as { code?: string }).code
      if (known && !retried && (code === '0A000' || code === '26000')) return run<Row>(text, values, options, true)
      throw error
    }
  }

  const query = async <Row>(text: string, params: unknown[] = [], options?: QueryOptions): Promise<Results<Row>> => {
    if (options?.blob || options?.paramTypes || !params.every(isTextual)) return viaQuery<Row>(text, params, options)
    const values = params.map((value) => (value == null ? null : String(value)))
    await internals._checkReady()
    return internals._runExclusiveTransaction(() => internals._runExclusiveQuery(() => run<Row>(text, values, options)))
  }
  client.query = query as T['query']
  return client
}

const isTextual = (value: unknown) =>
  value == null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint'

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((length, part) => length + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

const DESCRIBE_EXECUTE_SYNC = concat([protocol.serialize.describe({ type: 'P' }), protocol.serialize.execute({}), protocol.serialize.sync()])

/** A Bind of the unnamed portal to statement `name`, every parameter and result column as text. */
function bind(name: string, values: (string | null)[]): Uint8Array {
  let length = 4 + Buffer.byteLength(name) + 1 + 1 + 2 + 2 + 2
  for (const value of values) length += 4 + (value === null ? 0 : Buffer.byteLength(value))
  const out = Buffer.allocUnsafe(1 + length)
  out[0] = 0x42 // 'B'
  out.writeInt32BE(length, 1)
  let at = 5
  out[at++] = 0 // the unnamed portal
  at += out.write(name, at)
  out[at++] = 0
  at = out.writeInt16BE(0, at) // no parameter format codes: all text
  at = out.writeInt16BE(values.length, at)
  for (const value of values) {
    if (value === null) {
      at = out.writeInt32BE(-1, at)
    } else {
      const size = out.write(value, at + 4)
      out.writeInt32BE(size, at)
      at += 4 + size
    }
  }
  out.writeInt16BE(0, at) // no result format codes: all text
  return out
}

/** A NotificationResponse: what a NOTIFY on a channel this session LISTENs to sends, at its transaction's commit. */
interface Notification {
  channel: string
  payload: string
}

type Message =
  | { name: 'rowDescription'; fields: { name: string; dataTypeID: number }[] }
  | { name: 'dataRow'; fields: (string | null)[] }
  | { name: 'commandComplete'; text: string }

/**
 * The backend's answer as the messages `parse.parseResults` reads: row descriptions, data rows and command tags;
 * the others of an extended-query exchange (ParseComplete, BindComplete, NoData, ReadyForQuery...) carry nothing it
 * needs. An answer with an error, a notice or a notification goes to PGlite's own parser, so that its error is the
 * DatabaseError `PGlite.query` throws, with every field.
 */
function readMessages(data: Uint8Array, tell: (notifications: Notification[]) => void): BackendMessage[] {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  const messages: Message[] = []
  const notifications: Notification[] = []
  const cstring = (at: number) => {
    const end = bytes.indexOf(0, at)
    return { text: bytes.toString('utf8', at, end), next: end + 1 }
  }
  for (let at = 0; at < bytes.length; ) {
    const type = bytes[at]!
    const end = at + 1 + bytes.readInt32BE(at + 1)
    let cursor = at + 5
    if (type === 0x54 /* T: RowDescription */) {
      const fields = new Array<{ name: string; dataTypeID: number }>(bytes.readInt16BE(cursor))
      cursor += 2
      for (let i = 0; i < fields.length; i++) {
        const { text, next } = cstring(cursor)
        // Table OID (4), column number (2), then the type's OID; size, modifier and format follow (8).
        fields[i] = { name: text, dataTypeID: bytes.readInt32BE(next + 6) }
        cursor = next + 18
      }
      messages.push({ name: 'rowDescription', fields })
    } else if (type === 0x44 /* D: DataRow */) {
      const fields = new Array<string | null>(bytes.readInt16BE(cursor))
      cursor += 2
      for (let i = 0; i < fields.length; i++) {
        const size = bytes.readInt32BE(cursor)
        cursor += 4
        fields[i] = size < 0 ? null : bytes.toString('utf8', cursor, (cursor += size))
      }
      messages.push({ name: 'dataRow', fields })
    } else if (type === 0x43 /* C: CommandComplete */) {
      messages.push({ name: 'commandComplete', text: cstring(cursor).text })
    } else if (type === 0x41 /* A: NotificationResponse */) {
      // The sender's process id (4), then the channel and the payload.
      const channel = cstring(cursor + 4)
      notifications.push({ channel: channel.text, payload: cstring(channel.next).text })
    } else if (type === 0x45 /* E */ || type === 0x4e /* N */) {
      return viaParser(data, tell)
    }
    at = end
  }
  if (notifications.length > 0) tell(notifications)
  // What parseResults reads of each, without the rest of pg-protocol's message classes.
  return messages as unknown as BackendMessage[]
}

/** The answer through PGlite's protocol parser, its notifications told; its error, if it holds one, thrown. */
function viaParser(data: Uint8Array, tell: (notifications: Notification[]) => void): BackendMessage[] {
  const messages: BackendMessage[] = []
  new protocol.Parser().parse(data, (message) => void messages.push(message))
  tell(messages.flatMap((message) => (message instanceof protocol.messages.NotificationResponseMessage ? [message] : [])))
  const error = messages.find((message) => message instanceof protocol.messages.DatabaseError)
  if (error) throw error
  return messages
}
