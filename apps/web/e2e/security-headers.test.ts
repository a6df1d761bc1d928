import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser } from './browser'
import { sendRaw } from './raw-http'
import { startServer, type Server } from './server'
import { addUser, eventually, linesOf, pagesFor, waitForHydration } from './ui'

// The security headers as deployed (npm start): a Content-Security-Policy with a fresh nonce on each HTML
// document, and the page and the API reference working under it in Chromium, with no violation reported.

let server: Server
let browser: Browser
const open = pagesFor(() => browser)

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer({ command: 'npm start' }), launchBrowser()])
})
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

const nonceOf = (policy: string | null | undefined) => /'nonce-([^']+)'/.exec(policy ?? '')?.[1]

/** Collects what the page reports: `securitypolicyviolation` events, and console messages about the policy. */
async function watchViolations(page: Page): Promise<() => Promise<string[]>> {
  const console: string[] = []
  page.on('console', (message) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(message.text())) console.push(message.text())
  })
  await page.addInitScript(() => {
    const seen: string[] = ((window as unknown as { cspViolations: string[] }).cspViolations = [])
    document.addEventListener('securitypolicyviolation', (event) => seen.push(`${event.violatedDirective}: ${event.blockedURI}`))
  })
  return async () => [...console, ...(await page.evaluate(() => (window as unknown as { cspViolations?: string[] }).cspViolations ?? []))]
}

describe('security headers', () => {
  it('gives each HTML document a policy with its own nonce, and every answer nosniff, a referrer policy and no framing', async () => {
    const [first, second] = [await fetch(server.url), await fetch(server.url)]
    const policies = [first.headers.get('content-security-policy'), second.headers.get('content-security-policy')]
    expect(policies[0]).toMatch(/^default-src 'self'; script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic';.*frame-ancestors 'none'$/)
    expect(nonceOf(policies[0])).not.toBe(nonceOf(policies[1]))
    // Next put the nonce on its inline scripts.
    const html = await first.text()
    expect(html).toContain(`nonce="${nonceOf(policies[0])}"`)
    await second.arrayBuffer()
    for (const path of ['/', '/compare', '/api/users', '/api/openapi.json', '/api/docs']) {
      const response = await fetch(`${server.url}${path}`)
      await response.arrayBuffer()
      expect([path, response.headers.get('x-content-type-options'), response.headers.get('referrer-policy'), response.headers.get('x-frame-options')]).toEqual([
        path,
        'nosniff',
        'strict-origin-when-cross-origin',
        'DENY',
      ])
    }
  })

  it.each([
    ['a page that does not exist (404)', '/no-such-page', {}],
    ['a document prefetched by the browser (Sec-Purpose)', '/', { 'sec-purpose': 'prefetch' }],
    ['a document prefetched the older way (Purpose)', '/compare', { purpose: 'prefetch' }],
    ['a prefetch by Next\'s router', '/compare', { 'next-router-prefetch': '1', rsc: '1' }],
  ])('gives %s a policy with a nonce too (it had none)', async (_, path, headers) => {
    const response = await fetch(`${server.url}${path}`, { headers })
    const policy = response.headers.get('content-security-policy')
    expect(policy).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/)
    const body = await response.text()
    if ((response.headers.get('content-type') ?? '').startsWith('text/html')) expect(body).toContain(`nonce="${nonceOf(policy)}"`)
  })

  it('lets the 404 page render under its policy, with no violation reported', async () => {
    const page = await browser.newPage()
    const watch = await watchViolations(page)
    const response = await page.goto(`${server.url}/no-such-page`)
    expect(response?.status()).toBe(404)
    await page.waitForLoadState('load')
    expect(await watch()).toEqual([])
    await page.close()
  })

  it('lets the home page work under it, both panels, with no violation reported', async () => {
    // The listener goes in with an init script, which runs from the next load on: hence the reload.
    const opened = await open(server.url)
    const watch = await watchViolations(opened.page)
    await opened.page.reload()
    await opened.page.waitForFunction(() => !document.querySelector('form[aria-label="API Route"] button[type="submit"]')?.hasAttribute('disabled'))
    for (const panel of ['Server Action', 'API Route'] as const) {
      const form = await addUser(opened.page, panel, { name: `Csp ${panel}` })
      await eventually(async () => (await linesOf(form.status))[0], `${panel} status`).toMatch(new RegExp(`^User Csp ${panel} added via`))
    }
    expect(await watch()).toEqual([])
  })

  it('lets /compare work under its own nonce, capture and charts included, with no violation reported', async () => {
    const response = await fetch(`${server.url}/compare`)
    const policy = response.headers.get('content-security-policy')
    expect(policy).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/)
    expect(await response.text()).toContain(`nonce="${nonceOf(policy)}"`)

    const opened = await open(`${server.url}/compare`)
    const watch = await watchViolations(opened.page)
    await opened.page.reload()
    const { page } = opened
    await waitForHydration(page)
    await page.getByRole('button', { name: 'Send through both doors' }).click()
    await page.getByTestId('wire-capture').first().waitFor()
    const speed = page.getByRole('region', { name: 'Speed: one at a time, and all at once' })
    await speed.getByLabel('Calls per door').selectOption('3')
    await speed.getByRole('button', { name: 'Run the speed test' }).click()
    await eventually(() => linesOf(speed.getByRole('status')), 'the speed run').toEqual(['Done: 12 calls, all saved.'])
    expect(await watch()).toEqual([])
  })

  it('lets the API reference render under its policy, with no violation reported', async () => {
    const page = await browser.newPage()
    const watch = await watchViolations(page)
    await page.goto(`${server.url}/api/docs`)
    await eventually(() => page.locator('[id$="addUser"]').count(), 'operations rendered by Swagger UI').toBeGreaterThan(0)
    expect(await watch()).toEqual([])
    await page.close()
  })

  it('answers TRACE with 501 before Next, which would answer 500', async () => {
    const page = await sendRaw(server.url, { method: 'TRACE', path: '/' })
    const api = await sendRaw(server.url, { method: 'TRACE', path: '/api/addUser' })
    expect('status' in page && [page.status, page.contentType]).toEqual([501, 'text/plain; charset=utf-8'])
    expect('status' in api && [api.status, api.contentType, JSON.parse(api.body).code]).toEqual([501, 'application/problem+json', 'NOT_IMPLEMENTED'])
  })
})
