import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll } from 'vitest'

/** A plain Node HTTP server answering with `listener` for the enclosing describe block; `url()` is its base URL. */
export function localServer(listener: RequestListener): { url(): string } {
  let server: Server
  let base = ''
  beforeAll(async () => {
    server = createServer(listener)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => {
    server.closeAllConnections()
    server.close()
  })
  return { url: () => base }
}
