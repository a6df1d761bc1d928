import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import path from 'node:path'
import { appDir, DIST_DIR } from './paths'

// Requests fetch() refuses to send (TRACE, unknown methods, a forged Origin, a chunked body of a chosen
// shape), sent with node:http, and the Server Action ids of the e2e build.

export interface RawRequest {
  method?: string
  path: string
  headers?: Record<string, string>
  body?: string | Buffer
  /** Send the body in 64 KiB chunks without Content-Length (Transfer-Encoding: chunked). */
  chunked?: boolean
}

export type RawResponse =
  | { status: number; contentType: string | undefined; headers: Record<string, string | string[] | undefined>; body: string }
  | { error: string }

export function sendRaw(baseUrl: string, { method = 'GET', path: target, headers = {}, body, chunked = false }: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl)
  return new Promise((resolve) => {
    const bytes = body === undefined ? undefined : Buffer.from(body)
    const outgoing = request({ host: hostname, port, method, path: target, headers: { ...headers, ...(bytes && !chunked ? { 'content-length': String(bytes.length) } : {}) } }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () =>
        resolve({ status: response.statusCode!, contentType: response.headers['content-type'], headers: response.headers, body: Buffer.concat(chunks).toString() }),
      )
    })
    outgoing.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }))
    if (bytes && chunked) for (let at = 0; at < bytes.length; at += 65_536) outgoing.write(bytes.subarray(at, at + 65_536))
    outgoing.end(chunked ? undefined : bytes)
  })
}

/** Server Action ids of the e2e build by exported name (`addUserAction` → `7f…`). */
export function actionIds(): Record<string, string> {
  const manifest = JSON.parse(readFileSync(path.join(appDir, DIST_DIR, 'server', 'server-reference-manifest.json'), 'utf8')) as {
    node: Record<string, { exportedName: string }>
  }
  return Object.fromEntries(Object.entries(manifest.node).map(([id, { exportedName }]) => [exportedName, id]))
}

const BOUNDARY = 'HostileBoundary7MA4YWxkTrZu0gW'

/** A multipart body with the entries in this order, and its Content-Type. */
export function multipart(entries: [name: string, value: string][]): { body: string; contentType: string } {
  const parts = entries.map(([name, value]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
  return { body: `${parts.join('')}--${BOUNDARY}--\r\n`, contentType: `multipart/form-data; boundary=${BOUNDARY}` }
}
