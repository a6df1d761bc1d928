import http from 'node:http'
import pg from 'pg'
import { expect, it } from 'vitest'
import { freshPostgresDatabase, postgresRequired, testDatabaseUrl } from '../e2e/postgres'
import { actionIds, multipart } from '../e2e/raw-http'
import { makeDataDir, startServer, type Server } from '../e2e/server'

// The reliability suite's tools: real `npm start` servers on the e2e build (.next-e2e), on PGlite or on a
// fresh PostgreSQL database; many requests in flight over kept-alive connections, through both doors;
// and what the database holds afterwards.

export type Backend = 'PGlite' | 'PostgreSQL'

/** One `[reliability]` line: the figures the suite is run for. */
export const report = (line: string) => console.log(`[reliability] ${line}`)

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

// ---------------------------------------------------------------------------------------------------
// Servers and their database

export interface Store {
  backend: Backend
  /** Starts `npm start` on this store (same PGlite directory or PostgreSQL database each time). */
  start(env?: Record<string, string>): Promise<Server>
  /** Every user (id, name, door): from PostgreSQL directly, or through `server`'s GET /api/users for PGlite. */
  users(server?: Server): Promise<StoredUser[]>
}

export interface StoredUser {
  id: string
  name: string
  door: string
}

/** Starts `npm start` (in a process group of its own, so kill -9 takes npm and the server alike). */
async function start(started: Server[], env: Record<string, string>, dataDir?: string): Promise<Server> {
  const server = await startServer({ command: 'npm start', env, dataDir })
  started.push(server)
  return server
}

/**
 * What a server printed that looks like trouble: Next's ⨯ and ⚠ lines, errors, warnings, and request
 * log lines with a 5xx. Lines of the request log with an expected refusal (409, 422, 429) are not trouble.
 */
function trouble(server: Server): string[] {
  return server
    .output()
    .split('\n')
    .filter((line) => (line.startsWith('[request] ') ? /→ 5\d\d /.test(line) : /⨯|⚠|\b(error|exception|unhandled|warn(ing)?|fatal|panic)\b/i.test(line)))
}

/** No server of the test printed any trouble (checked once the test itself has passed). */
function expectQuietServers(started: Server[]): void {
  const lines = started.flatMap((server) => trouble(server).map((line) => `${server.url}: ${line}`))
  if (lines.length > 0) report(`server output: ${lines.length} lines of trouble, the first: ${lines.slice(0, 5).join(' | ')}`)
  expect(lines.slice(0, 20), `${lines.length} lines of trouble in the servers' output`).toEqual([])
}

/** Stops what a test left running (already stopped ones only report how they ended). */
async function stopAll(started: Server[]): Promise<void> {
  await Promise.allSettled(started.map((server) => server.stop('SIGTERM').catch(() => server.kill9())))
}

const skipPostgres = !testDatabaseUrl && !postgresRequired
if (!testDatabaseUrl) {
  console.warn(
    `SKIPPING the PostgreSQL reliability tests: TEST_DATABASE_URL is not set${postgresRequired ? ' (and REQUIRE_POSTGRES=1: they fail instead)' : ' (e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres)'}.`,
  )
}

/**
 * The test twice: on PGlite (a fresh data directory) and on PostgreSQL (a fresh database, dropped
 * afterwards). The PostgreSQL one is skipped without TEST_DATABASE_URL, and fails then with REQUIRE_POSTGRES=1.
 */
export function onBothBackends(title: string, timeoutMs: number, test: (store: Store) => Promise<void>): void {
  it(
    `PGlite: ${title}`,
    async () => {
      const started: Server[] = []
      try {
        await test(pgliteStore(started))
        expectQuietServers(started)
      } finally {
        await stopAll(started)
      }
    },
    timeoutMs,
  )
  onPostgres(title, timeoutMs, test)
}

/** The test on PostgreSQL only (several instances on one database). */
export function onPostgres(title: string, timeoutMs: number, test: (store: Store & { databaseUrl: string }) => Promise<void>): void {
  it.skipIf(skipPostgres)(
    `PostgreSQL: ${title}`,
    async () => {
      if (!testDatabaseUrl) throw new Error('REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set.')
      const database = await freshPostgresDatabase('reliability')
      const started: Server[] = []
      try {
        await test(postgresStore(started, database.url))
        expectQuietServers(started)
      } finally {
        await stopAll(started)
        await database.drop()
      }
    },
    timeoutMs,
  )
}

function pgliteStore(started: Server[]): Store {
  const dataDir = makeDataDir()
  return {
    backend: 'PGlite',
    start: (env = {}) => start(started, env, dataDir),
    users: async (server) => {
      if (!server) throw new Error('PGlite is read through a running server')
      return usersViaApi(server.url)
    },
  }
}

function postgresStore(started: Server[], databaseUrl: string): Store & { databaseUrl: string } {
  return {
    backend: 'PostgreSQL',
    databaseUrl,
    start: (env = {}) => start(started, { DATABASE_URL: databaseUrl, ...env }),
    users: async () => {
      const client = new pg.Client({ connectionString: databaseUrl })
      await client.connect()
      try {
        return (await client.query<StoredUser>('select id, name, door from users')).rows
      } finally {
        await client.end()
      }
    },
  }
}

/** Every user, through GET /api/users 100 at a time, following nextCursor. */
export async function usersViaApi(url: string): Promise<StoredUser[]> {
  const users: StoredUser[] = []
  for (let cursor: string | null = '', pages = 0; cursor !== null; pages++) {
    if (pages > 1_000) throw new Error('more than 1,000 pages of users')
    const response = await fetch(`${url}/api/users?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    if (response.status !== 200) throw new Error(`GET /api/users answered ${response.status}: ${await response.text()}`)
    const page = (await response.json()) as { users: StoredUser[]; nextCursor: string | null }
    users.push(...page.users.map(({ id, name, door }) => ({ id, name, door })))
    cursor = page.nextCursor
  }
  return users
}

// ---------------------------------------------------------------------------------------------------
// Requests

export type Answer = { status: number; headers: http.IncomingHttpHeaders; body: string } | { status: 0; error: string }

/** Kept-alive connections to one server, at most `sockets` at once (the rest queue in the agent). */
export function client(baseUrl: string, sockets = 50) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets })
  const { hostname, port } = new URL(baseUrl)

  function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
    return new Promise((resolve) => {
      const bytes = body === undefined ? undefined : Buffer.from(body)
      const request = http.request(
        { host: hostname, port, method, path, agent, headers: { ...headers, ...(bytes ? { 'content-length': String(bytes.length) } : {}) } },
        (response) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString() }))
          response.on('error', (error: NodeJS.ErrnoException) => resolve({ status: 0, error: error.code ?? error.message }))
        },
      )
      request.on('error', (error: NodeJS.ErrnoException) => resolve({ status: 0, error: error.code ?? error.message }))
      request.end(bytes)
    })
  }

  return {
    /** POST /api/addUser with a JSON body. */
    addViaApi: (input: { name: string; email?: string }, headers: Record<string, string> = {}) =>
      send('POST', '/api/addUser', { 'content-type': 'application/json', accept: 'application/json', ...headers }, JSON.stringify(input)),
    /**
     * addUserAction as React calls it from the page (Next-Action header, multipart body: the form's fields
     * under the `1_` prefix, then the arguments [previous state, the FormData]), same-origin.
     */
    addViaAction: (fields: Record<string, string>, headers: Record<string, string> = {}, actionId = addUserActionId()) => {
      const { body, contentType } = multipart([...Object.entries(fields).map(([name, value]): [string, string] => [`_1_${name}`, value]), ['0', '[{"status":"idle"},"$K1"]']])
      return send('POST', '/', { 'next-action': actionId, accept: 'text/x-component', 'content-type': contentType, origin: baseUrl, ...headers }, body)
    },
    get: (path: string) => send('GET', path, {}),
    close: () => agent.destroy(),
  }
}

export type Client = ReturnType<typeof client>

let addUserAction: string | undefined
/** addUserAction's id in the e2e build's server reference manifest. */
export function addUserActionId(): string {
  addUserAction ??= actionIds().addUserAction
  if (!addUserAction || !/^[0-9a-f]{42}$/.test(addUserAction)) throw new Error(`no addUserAction in the e2e build's manifest (${addUserAction})`)
  return addUserAction
}

/** The user a successful answer carries: the API's 201 JSON, or the Server Action's success envelope. */
export function addedUser(answer: Answer): { id: string; name: string } | null {
  if (answer.status === 201) return (JSON.parse(answer.body) as { user: { id: string; name: string } }).user
  if (answer.status === 200 && answer.headers['content-type']?.startsWith('text/x-component')) {
    const envelope = envelopeIn(answer.body)
    if (envelope?.status === 'success') return envelope.data.user
  }
  return null
}

interface Envelope {
  status: string
  code?: string
  data: { user: { id: string; name: string } }
}

/**
 * The form state in a Server Action's RSC answer: the JSON object holding `"status":"success"` (or
 * "error"), read from its opening brace to the matching closing one.
 */
function envelopeIn(body: string): Envelope | null {
  const at = body.search(/\{"status":"(?:success|error)"/)
  if (at < 0) return null
  let depth = 0
  let inString = false
  for (let i = at; i < body.length; i++) {
    const char = body[i]
    if (inString) {
      if (char === '\\') i++
      else if (char === '"') inString = false
    } else if (char === '"') inString = true
    else if (char === '{') depth++
    else if (char === '}' && --depth === 0) return JSON.parse(body.slice(at, i + 1)) as Envelope
  }
  return null
}

/** The error code in a Server Action's error envelope, if it is one. */
export function actionErrorCode(answer: Answer): string | null {
  const envelope = answer.status === 200 ? envelopeIn(answer.body) : null
  return envelope?.status === 'error' ? (envelope.code ?? null) : null
}

/** A short description of an answer that was not what a test expected. */
export function describeAnswer(answer: Answer): string {
  if ('error' in answer) return `no answer (${answer.error})`
  const envelope = /"status":"(?:success|error)".{0,300}/.exec(answer.body)?.[0]
  if (envelope) return `HTTP ${answer.status} ${answer.headers['content-type'] ?? ''}: …${envelope}`
  return `HTTP ${answer.status} ${answer.headers['content-type'] ?? ''}: ${answer.body.slice(0, 300)}`
}

/** Runs `task(0…count-1)` with at most `concurrency` at once; the results in index order. */
export async function pool<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count)
  let next = 0
  const worker = async () => {
    while (next < count) {
      const index = next++
      results[index] = await task(index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  return results
}

/** Counts of each value, for reporting (`{ "201": 20, "429": 80 }`). */
export function tally<T>(items: T[], keyOf: (item: T) => string | number): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const item of items) {
    const key = String(keyOf(item))
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

export const statusOf = (answer: Answer) => ('error' in answer ? answer.error : answer.status)
