import type { Browser } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { launchBrowser } from './browser'
import { startServer, type Server, type ServerOptions } from './server'

/** One server (fresh data directory) and one browser for a test file, started in beforeAll and stopped in afterAll. */
export function serverAndBrowserForFile(options: ServerOptions = {}): { readonly server: Server; readonly browser: Browser } {
  let server: Server | undefined
  let browser: Browser | undefined
  beforeAll(async () => {
    ;[server, browser] = await Promise.all([startServer(options), launchBrowser()])
  })
  afterAll(async () => {
    // Browser first: its idle keep-alive connections would hold up the server's graceful shutdown by seconds.
    await browser?.close()
    await server?.stop()
  })
  return {
    get server() {
      return server!
    },
    get browser() {
      return browser!
    },
  }
}
