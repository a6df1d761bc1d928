import { createServer, type Server as HttpServer } from 'node:http'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requestJson, type ApiUser } from './api'
import { serverAndBrowserForFile } from './app'
import { freePort } from './server'

// CSRF on the route door: an HTML form on another origin posts to /api/addUser. The browser sends
// it without asking (no CORS preflight for form media types), so the server itself must refuse it.

const app = serverAndBrowserForFile()

const ENCTYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'] as const

/** A page with one form that posts `name` to the app with the given enctype. */
const attackPage = (target: string, enctype: string, name: string) => `<!doctype html>
<title>Win a prize</title>
<form method="post" action="${target}/api/addUser" enctype="${enctype}">
  <input name="name" value="${name}"><button>Claim</button>
</form>`

let attacker: HttpServer
let attackerPort: number

beforeAll(async () => {
  attackerPort = await freePort()
  attacker = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://attacker')
    response.setHeader('content-type', 'text/html')
    response.end(attackPage(app.server.url, url.searchParams.get('enctype') ?? ENCTYPES[0], url.searchParams.get('name') ?? 'Mallory'))
  })
  await new Promise<void>((resolve) => attacker.listen(attackerPort, '127.0.0.1', resolve))
})
afterAll(() => new Promise<void>((resolve) => attacker.close(() => resolve())))

async function submitFrom(page: Page, origin: string, enctype: string, name: string) {
  await page.goto(`${origin}/?${new URLSearchParams({ enctype, name })}`)
  const [response] = await Promise.all([
    page.waitForResponse((answer) => answer.url().endsWith('/api/addUser')),
    page.getByRole('button', { name: 'Claim' }).click(),
  ])
  return { status: response.status(), body: (await response.json()) as { code?: string } }
}

const storedNames = async () =>
  (await requestJson<{ users: ApiUser[] }>(`${app.server.url}/api/users?limit=100`)).body.users.map((user) => user.name)

describe('a form on another origin posting to the API', () => {
  // localhost vs 127.0.0.1 is another site (Sec-Fetch-Site: cross-site); another port on 127.0.0.1 is
  // the same site but another origin (same-site). Both are foreign to the app.
  const origins = [
    { what: 'another site', origin: () => `http://localhost:${attackerPort}` },
    { what: 'another port of the same host', origin: () => `http://127.0.0.1:${attackerPort}` },
  ]

  for (const { what, origin } of origins) {
    it.each(ENCTYPES)(`is refused with 403 from ${what} (%s), and stores nothing`, async (enctype) => {
      const context = await app.browser.newContext()
      try {
        const name = `Mallory ${what} ${enctype}`
        const answer = await submitFrom(await context.newPage(), origin(), enctype, name)
        expect(answer).toEqual({ status: 403, body: expect.objectContaining({ code: 'CROSS_SITE_REQUEST', status: 403 }) })
        expect(await storedNames()).not.toContain(name)
      } finally {
        await context.close()
      }
    })
  }

  it('while the same form on the app’s own origin is accepted', async () => {
    const context = await app.browser.newContext()
    try {
      const page = await context.newPage()
      await page.goto(`${app.server.url}/api/openapi.json`)
      const [response] = await Promise.all([
        page.waitForResponse((answer) => answer.url().endsWith('/api/addUser')),
        page.evaluate(() => {
          const form = document.createElement('form')
          form.method = 'post'
          form.action = '/api/addUser'
          form.innerHTML = '<input name="name" value="Same Origin Sam">'
          document.body.append(form)
          form.submit()
        }),
      ])
      // A form the browser posts by itself is answered as a browser expects (browserForms: 'redirect'): back to its page.
      expect([response.status(), response.headers().location]).toEqual([303, '/api/openapi.json'])
      expect(await storedNames()).toContain('Same Origin Sam')
    } finally {
      await context.close()
    }
  })
})
