import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser } from './browser'
import { appDir } from './paths'
import { startServer, type Server } from './server'

// The OpenAPI document the app serves, and the reference page built from it, working offline.

let server: Server
let browser: Browser

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer(), launchBrowser()])
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('the API description', () => {
  it('/api/openapi.json serves exactly the committed openapi.json', async () => {
    const response = await fetch(`${server.url}/api/openapi.json`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual(JSON.parse(readFileSync(path.join(appDir, 'openapi.json'), 'utf8')))
  })

  it('/api/docs renders every operation from local files only, and is linked from the home page', async () => {
    const page = await browser.newPage()
    const foreign: string[] = []
    page.on('request', (request) => {
      if (!request.url().startsWith(server.url) && !request.url().startsWith('data:')) foreign.push(request.url())
    })
    await page.goto(server.url)
    await page.getByRole('link', { name: 'API reference' }).click()
    await page.waitForURL(`${server.url}/api/docs`)
    for (const operationId of ['addUser', 'listUsers', 'getUser', 'updateUser', 'deleteUser']) {
      await expect.poll(() => page.locator(`[id$="${operationId}"]`).count(), { timeout: 15_000 }).toBeGreaterThan(0)
    }
    await expect.poll(() => page.getByText('/api/users/{id}').first().isVisible()).toBe(true)
    expect(foreign).toEqual([])
    await page.close()
  })
})
