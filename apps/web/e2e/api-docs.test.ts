import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { appDir } from './paths'
import { serverAndBrowserForFile } from './app'

// The OpenAPI document the app serves, and the reference page built from it, working offline.

// The committed document describes the default configuration, where writes are rate-limited (e2e servers turn that off).
const app = serverAndBrowserForFile({ env: { RATE_LIMIT_WRITES: '60' } })

describe('the API description', () => {
  it('/api/openapi.json serves exactly the committed openapi.json', async () => {
    const response = await fetch(`${app.server.url}/api/openapi.json`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual(JSON.parse(readFileSync(path.join(appDir, 'openapi.json'), 'utf8')))
  })

  it('/api/docs renders every operation from local files only, and is linked from the home page', async () => {
    const page = await app.browser.newPage()
    const foreign: string[] = []
    page.on('request', (request) => {
      if (!request.url().startsWith(app.server.url) && !request.url().startsWith('data:')) foreign.push(request.url())
    })
    await page.goto(app.server.url)
    await page.getByRole('link', { name: 'API reference' }).click()
    await page.waitForURL(`${app.server.url}/api/docs`)
    for (const operationId of ['addUser', 'listUsers', 'getUser', 'updateUser', 'deleteUser']) {
      await expect.poll(() => page.locator(`[id$="${operationId}"]`).count(), { timeout: 15_000 }).toBeGreaterThan(0)
    }
    await expect.poll(() => page.getByText('/api/users/{id}').first().isVisible()).toBe(true)
    expect(foreign).toEqual([])
    await page.close()
  })
})
