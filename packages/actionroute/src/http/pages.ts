import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import { OperationError } from '../core/errors'
import { problemResponse } from './problem'
import type { RouteHandler, Routes } from './route'

/** A Pages Router API route's default export (`NextApiHandler`, whose request and response extend these). */
export type PagesApiHandler = (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => Promise<void>

/** The request's headers as a Headers object: a repeated header becomes one entry per value. */
function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    for (const each of Array.isArray(value) ? value : [value]) headers.append(name, each)
  }
  return headers
}

/** The URL the client asked for: over TLS or, behind a proxy, as `X-Forwarded-Proto` says (as Next builds `request.url`). */
function urlOf(req: IncomingMessage): URL {
  const forwarded = String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]?.trim()
  const protocol = (req.socket as TLSSocket).encrypted ? 'https' : forwarded === 'https' ? 'https' : 'http'
  return new URL(req.url ?? '/', `${protocol}://${req.headers.host ?? 'localhost'}`)
}

const bodyParserOn = (method: string) =>
  new Error(
    `pagesApi: Next's body parser read this ${method} request's body before actionroute could stream it with its limits. ` +
      'Add `export const config = { api: { bodyParser: false } }` to the route file.',
  )

/** Writes a fetch Response to Node's response, streaming the body; resolves when it is sent or the client has gone. */
async function send(response: Response, res: ServerResponse): Promise<void> {
  res.statusCode = response.status
  for (const [name, value] of response.headers) if (name !== 'set-cookie') res.setHeader(name, value)
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) res.setHeader('set-cookie', cookies)
  if (!response.body) return void res.end()
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)
  await new Promise<void>((resolve) => {
    body.on('error', () => res.destroy())
    res.on('close', resolve)
    body.pipe(res)
  })
}

/**
 * Serves operations from the Pages Router: the route door's handlers (`routes({ … })`, `router(api)` or one
 * `route(op)`) as a `pages/api` default export, with the same bodies, limits, problem+json, middleware and
 * OpenAPI. Next's body parser must be off, so the body streams through actionroute's limits:
 *
 * ```ts
 * // pages/api/[...path].ts
 * export const config = { api: { bodyParser: false } }
 * export default pagesApi(router(api))
 * ```
 *
 * A client that goes away aborts the request's signal, as on the App Router.
 */
export function pagesApi(handlers: Partial<Routes> | RouteHandler): PagesApiHandler {
  return async function pagesRoute(req, res) {
    const method = (req.method ?? 'GET').toUpperCase()
    if (req.body !== undefined) throw bodyParserOn(method)
    const handler = typeof handlers === 'function' ? handlers : handlers[method as keyof Routes]
    if (!handler) {
      const allow = Object.keys(handlers).join(', ')
      return send(problemResponse(new OperationError('METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${allow}.`, { headers: { allow } })), res)
    }
    const aborted = new AbortController()
    res.on('close', () => {
      if (!res.writableFinished) aborted.abort()
    })
    const hasBody = method !== 'GET' && method !== 'HEAD'
    const request = new Request(urlOf(req), {
      method,
      headers: headersOf(req),
      signal: aborted.signal,
      ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
    } as RequestInit)
    await send(await handler(request, { params: Promise.resolve({}) }), res)
  }
}
