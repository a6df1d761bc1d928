import { parse, protocol, type PGlite, type QueryOptions, type Results } from '@electric-sql/pglite'

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

  const send = async (parts: Uint8Array[]) => (await client.execProtocol(concat(parts), { throwOnError: true })).messages
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
    const rest = [protocol.serialize.bind({ statement: name, values }), protocol.serialize.describe({ type: 'P' }), protocol.serialize.execute({}), protocol.serialize.sync()]
    try {
      const messages = await send([...before, ...rest])
      prepared.set(text, name!)
      return parse.parseResults(messages, client.parsers, options)[0] as Results<Row>
    } catch (error) {
      // Whether or not its Parse went through, the name is released: closing a statement that does not exist is no error.
      await send([close(name!), protocol.serialize.sync()]).catch(() => {})
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
