// The production server: Next's request handler (its programmatic API, the same router `next start`
// uses) inside an http.Server of our own, so that stopping is ours to do well. `next start` only calls
// server.close() on SIGTERM, which waits for every kept-alive socket: under sustained keep-alive load it
// never finishes, and the database was closed only after it.
//
// On SIGTERM or SIGINT (or when the process that started us dies without passing the signal on):
//   1. stop accepting connections;
//   2. run the drain hooks (lifecycle.ts ends the live streams there: their browsers reconnect elsewhere), let
//      the requests in flight finish, answering them with `Connection: close`, and close every
//      keep-alive socket as soon as it is idle (each socket serves at most the request it is busy with);
//   3. after DRAIN_TIMEOUT_MS, cut whatever connections are left (their requests were never answered);
//   4. close Next, then run the shutdown hooks (server/db/lifecycle.ts closes the database there, which
//      releases the PGlite lock), and exit with 128 + the signal number;
//   5. if any of that hangs, exit(1) at SHUTDOWN_TIMEOUT_MS regardless, inside `docker stop`'s 10 s.
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import { createRequire } from 'node:module'
import next from 'next'

export const SHUTDOWN_TIMEOUT_MS = 8_000
export const DRAIN_TIMEOUT_MS = 5_000
const NEXT_CLOSE_TIMEOUT_MS = 1_000
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 }

/** Hooks run once HTTP is drained (lifecycle.ts adds closing the database); read by the app through globalThis. */
const SHUTDOWN_HOOKS = Symbol.for('userdirectory.shutdownHooks')
/** Hooks run as stopping starts, before HTTP drains (lifecycle.ts ends the live streams, which would never end). */
const DRAIN_HOOKS = Symbol.for('userdirectory.drainHooks')

const log = (message) => console.log(`[server] ${message}`)

/**
 * Starts Next's production server for the app in `dir` on `port` (all interfaces unless `hostname`),
 * and stops it gracefully on SIGTERM/SIGINT. Resolves once it is listening.
 */
/**
 * X-Forwarded-For with the connection's address appended, as a proxy appends it. A socket that has no address
 * (it closed before the request was read) appends "unknown", which is no address: the client's own entries are
 * never read in its place, and the call is counted with the other unknown clients.
 */
export function appendPeer(forwarded, peer) {
  const entry = peer || 'unknown'
  return forwarded ? `${forwarded}, ${entry}` : entry
}

/** The header that marks a request Next forwards to itself as already counted: its value is this process's secret. */
export const HOP_HEADER = 'x-userdirectory-hop'

/**
 * Appends the connection's address to X-Forwarded-For, except on a request Next forwards to itself: a Server
 * Action posted to a page that does not hold it is sent again, over loopback, with the original headers.
 * Appending 127.0.0.1 to that copy would count every such call as one client. The copy is told apart by
 * `hopToken`, a secret this process puts on every request it passes to Next (Next copies it onto the forward),
 * and which no client can know: a client's own HOP_HEADER is dropped first.
 */
export function forwardedFor(req, hopToken) {
  const internal = req.headers[HOP_HEADER] === hopToken && isLoopback(req.socket.remoteAddress)
  if (!internal) req.headers['x-forwarded-for'] = appendPeer(req.headers['x-forwarded-for'], req.socket.remoteAddress)
  req.headers[HOP_HEADER] = hopToken
}

const isLoopback = (address) => address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1'

export async function serve({ dir, port, hostname }) {
  process.env.NODE_ENV ||= 'production'
  const version = createRequire(import.meta.url)('next/package.json').version
  process.title = `next-server (v${version})`
  const hooks = (globalThis[SHUTDOWN_HOOKS] ??= [])
  const drainHooks = (globalThis[DRAIN_HOOKS] ??= [])

  let stopping = null
  const stop = (reason, code) => (stopping ??= shutdown(reason, code))
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => stop(signal, SIGNAL_EXIT_CODES[signal]))
  // `npm start` under a shell that does not pass signals on (e.g. without `exec`): the shell dies,
  // we are re-parented, and nobody will ever signal us. Treat that as SIGTERM.
  const parent = process.ppid
  setInterval(() => process.ppid !== parent && stop(`the parent process (${parent}) exited`, 143), 500).unref()

  const app = next({ dev: false, dir, port, hostname: hostname ?? 'localhost' })
  const notImplemented = (req, res) => {
    const detail = `${req.method} is not supported by this server.`
    const api = (req.url ?? '').startsWith('/api/')
    res.writeHead(501, { 'content-type': api ? 'application/problem+json' : 'text/plain; charset=utf-8' })
    res.end(api ? JSON.stringify({ type: 'urn:actionroute:problem:not-implemented', title: 'Not Implemented', status: 501, detail, code: 'NOT_IMPLEMENTED' }) : `${detail}\n`)
  }
  const handle = app.getRequestHandler()
  const hopToken = randomBytes(18).toString('base64url')
  let draining = false
  let answeredWhileDraining = 0
  const inFlight = new Set()
  const server = http.createServer((req, res) => {
    // As a proxy would: the address this connection came from goes last in X-Forwarded-For, so the app
    // can tell it from whatever the client wrote there (server/proxies.ts, trustProxy in instrumentation.ts).
    forwardedFor(req, hopToken)
    // Next cannot build a Request for TRACE (a forbidden method in the Fetch standard) and answers 500;
    // this server does not do TRACE at all: 501, as RFC 9110 puts it, problem+json under /api.
    if (req.method === 'TRACE') return notImplemented(req, res)
    inFlight.add(res)
    res.once('close', () => inFlight.delete(res))
    if (draining) {
      res.setHeader('Connection', 'close')
      res.once('finish', () => answeredWhileDraining++)
    }
    handle(req, res).catch((error) => {
      console.error(`[server] failed to handle ${req.method} ${req.url}:`, error)
      if (!res.headersSent) {
        res.statusCode = 500
        res.end('Internal Server Error')
      } else res.destroy()
    })
  })

  async function shutdown(reason, code) {
    const startedAt = Date.now()
    const elapsed = () => `${Date.now() - startedAt} ms`
    setTimeout(() => {
      console.error(`[server] still not stopped ${SHUTDOWN_TIMEOUT_MS} ms after ${reason}: exiting anyway.`)
      process.exit(1)
    }, SHUTDOWN_TIMEOUT_MS).unref()
    log(`${reason}: stopping (${inFlight.size} requests in flight)`)

    draining = true
    for (const hook of drainHooks.splice(0)) Promise.resolve().then(hook).catch((error) => console.error('[server] drain hook failed:', error))
    for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close')
    const closed = new Promise((resolve) => server.close(resolve))
    server.closeIdleConnections()
    const idle = setInterval(() => server.closeIdleConnections(), 25)
    let cut = false
    const drainLimit = setTimeout(() => {
      cut = true
      server.closeAllConnections()
    }, DRAIN_TIMEOUT_MS)
    await closed
    clearInterval(idle)
    clearTimeout(drainLimit)
    log(`HTTP stopped after ${elapsed()}${cut ? `: cut the connections still open after ${DRAIN_TIMEOUT_MS} ms` : ', every request answered'} (${answeredWhileDraining} answered while stopping)`)

    // Next's close waits for its background work (after() callbacks, cache writes) to settle, and under load it at
    // times never did: the database must still be closed inside the bound, so Next gets NEXT_CLOSE_TIMEOUT_MS.
    const nextClosed = await Promise.race([
      app.close().then(
        () => true,
        (error) => (console.error('[server] closing Next failed:', error), true),
      ),
      new Promise((resolve) => setTimeout(() => resolve(false), NEXT_CLOSE_TIMEOUT_MS).unref()),
    ])
    if (!nextClosed) log(`Next had not closed ${NEXT_CLOSE_TIMEOUT_MS} ms after HTTP stopped: closing the database anyway`)
    for (const hook of hooks.splice(0)) {
      await Promise.resolve()
        .then(hook)
        .catch((error) => console.error('[server] shutdown hook failed:', error))
    }
    log(`stopped after ${elapsed()}`)
    process.exit(code)
  }

  // Runs instrumentation.ts: opens the database and applies migrations (or exits if the directory is locked).
  await app.prepare()
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, hostname, () => {
      server.off('error', reject)
      resolve()
    })
  })
  server.on('error', (error) => console.error('[server]', error))
  const address = server.address()
  const actualPort = typeof address === 'object' && address ? address.port : port
  const url = `http://${hostname && hostname !== '0.0.0.0' && hostname !== '::' ? (hostname.includes(':') ? `[${hostname}]` : hostname) : 'localhost'}:${actualPort}`
  // What `next start` sets: Server Actions forwarded between workers use this origin.
  process.env.PORT = String(actualPort)
  process.env.__NEXT_PRIVATE_ORIGIN = url
  log(`ready on ${url} (Next.js ${version}, pid ${process.pid})`)
  return { server, url }
}
