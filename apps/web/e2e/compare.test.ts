import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Page, Request } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { maxOverlap } from '../components/compare/speed'
import { requestJson, type ApiUser } from './api'
import { serverAndBrowserForFile } from './app'
import { appDir } from './paths'
import { eventually, linesOf, pagesFor, submitAndWaitForLoad } from './ui'

// /compare: every row is checked against something the page did not produce — the repository's files, the
// requests as Chromium itself sent and received them, Chromium's own timings, and the database through the API.

const app = serverAndBrowserForFile()
const open = pagesFor(() => app.browser)
const repoRoot = path.resolve(appDir, '../..')

/** POSTs the page sends, each with the body Chromium sent and received. */
function recordPosts(page: Page) {
  const finished: Request[] = []
  page.on('requestfinished', (request) => {
    if (request.method() === 'POST') finished.push(request)
  })
  return {
    async list(door: 'action' | 'route') {
      const mine = finished.filter((request) => doorOf(request.url(), request.headers()) === door)
      return Promise.all(
        mine.map(async (request) => {
          const response = (await request.response())!
          return {
            request,
            response,
            requestBody: request.postDataBuffer() ?? Buffer.alloc(0),
            responseBody: await response.body(),
            headers: await request.allHeaders(),
          }
        }),
      )
    },
  }
}

const doorOf = (url: string, headers: Record<string, string>): 'action' | 'route' | undefined =>
  Object.keys(headers).some((name) => name.toLowerCase() === 'next-action') ? 'action' : new URL(url).pathname === '/api/addUser' ? 'route' : undefined

/**
 * Chromium's own times for each POST, from its DevTools protocol: when the page handed the request to the
 * browser (queueing for a connection included, as the page's own clock counts it) and when the answer's
 * headers came. Playwright's request.timing() starts later, once a connection was found, so calls that
 * queued behind each other could look as if they never overlapped.
 */
async function recordPostTimes(page: Page) {
  const cdp = await page.context().newCDPSession(page)
  const sent = new Map<string, { door: 'action' | 'route'; start: number; end?: number }>()
  cdp.on('Network.requestWillBeSent', ({ requestId, request, timestamp }) => {
    const door = request.method === 'POST' ? doorOf(request.url, request.headers) : undefined
    if (door) sent.set(requestId, { door, start: timestamp * 1000 })
  })
  cdp.on('Network.responseReceived', ({ requestId, timestamp }) => {
    const call = sent.get(requestId)
    if (call) call.end = timestamp * 1000
  })
  await cdp.send('Network.enable')
  return {
    list: (door: 'action' | 'route') =>
      [...sent.values()].filter((call) => call.door === door && call.end !== undefined) as { start: number; end: number }[],
  }
}

/**
 * A streamed RSC body as Playwright returns it is lossy beyond ASCII: Chromium's DevTools decode a body whose type
 * names no charset (text/x-component) as windows-1252, some bytes come back as U+FFFD or '?'. Compared on the rest.
 */
const asciiSkeleton = (text: string) => text.replace(/[^\x00-\x3e\x40-\x7f]/g, '')

const usersNamed = async (q: string) => (await requestJson<{ users: ApiUser[] }>(`${app.server.url}/api/users?${new URLSearchParams({ q, limit: '100' })}`)).body.users

function section(page: Page, title: RegExp) {
  return page.getByRole('region', { name: title })
}

describe('/compare', () => {
  it('is linked from the home page', async () => {
    const { page } = await open(app.server.url)
    await page.getByRole('link', { name: /Compare them live/ }).click()
    await page.waitForURL(`${app.server.url}/compare`)
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('API Route or Server Action?')
  })

  it('shows the source each door is built from, as it is in the repository, with true line counts', async () => {
    const { page } = await open(`${app.server.url}/compare`)
    const figures = await section(page, /^Definition and set-up$/)
      .locator('figure.code')
      .evaluateAll((nodes) => nodes.map((node) => ({ caption: node.querySelector('figcaption')!.textContent!, code: node.querySelector('pre')!.textContent! })))
    expect(figures.length).toBeGreaterThanOrEqual(4)
    for (const { caption, code } of figures) {
      const [, file, lines] = /^(\S+) · (\d+) lines?$/.exec(caption) ?? []
      expect(file, caption).toBeDefined()
      const source = readFileSync(path.join(repoRoot, file!), 'utf8')
      expect(source, `${file} contains the excerpt as shown`).toContain(code)
      expect(Number(lines), `${file}: the line count`).toBe(code.split('\n').length)
    }
    expect(figures.map(({ code }) => code)).toContain('export const addUserAction = formAction(addUser)')
    expect(figures.some(({ code }) => code.startsWith('export const addUser = writes.operation({'))).toBe(true)
  })

  it('captures what crosses the wire for both doors exactly as Chromium sent and received it, and both save', async () => {
    const { page } = await open(`${app.server.url}/compare`)
    const posts = recordPosts(page)
    const form = page.getByRole('form', { name: 'Send valid input through both doors' })
    await form.getByLabel('Name').fill('Wire Person')
    await form.getByRole('button', { name: 'Send through both doors' }).click()
    const capture = page.getByTestId('wire-capture').first()
    await capture.waitFor()

    for (const door of ['action', 'route'] as const) {
      const [sent] = await posts.list(door)
      expect(sent, `Chromium saw the ${door} request`).toBeDefined()
      const shown = capture.locator(`[data-door="${door}"]`)
      const text = (testId: string) => shown.getByTestId(testId).innerText()
      const url = new URL(sent!.request.url())
      expect(await text('request-line')).toBe(`POST ${url.pathname}`)
      expect(await text('status')).toBe(String(sent!.response.status()))
      expect(await shown.getByTestId('request-body').textContent(), 'the request body, byte for byte').toBe(sent!.requestBody.toString('utf8'))
      expect(await text('request-bytes')).toBe(String(sent!.requestBody.length))
      const shownBody = (await shown.getByTestId('response-body').textContent())!
      expect(await text('response-bytes'), 'the response bytes: the UTF-8 length of the body shown').toBe(String(Buffer.byteLength(shownBody)))
      if (door === 'route') expect(shownBody, 'the response body, byte for byte').toBe(sent!.responseBody.toString('utf8'))
      else expect(asciiSkeleton(shownBody), 'the response body').toBe(asciiSkeleton(sent!.responseBody.toString('utf8')))
      const headers = await shown.locator('table[aria-label$="request headers"]').evaluate((table) =>
        Object.fromEntries([...table.querySelectorAll('tr')].map((row) => [row.querySelector('th')!.textContent!, row.querySelector('td')!.textContent!])),
      )
      expect(sent!.request.headers(), 'every request header shown was sent').toMatchObject(headers)
    }

    const action = capture.locator('[data-door="action"]')
    expect(await action.getByTestId('request-line').innerText()).toBe('POST /compare')
    expect(await action.getByTestId('status').innerText()).toBe('200')
    expect(JSON.parse(await action.getByTestId('received').innerText())).toMatchObject({ status: 'success', message: 'User Wire Person added via server action', data: { user: { door: 'action' } } })
    const route = capture.locator('[data-door="route"]')
    expect(await route.getByTestId('status').innerText()).toBe('201')
    expect(JSON.parse(await route.getByTestId('request-body').innerText())).toEqual({ name: 'Wire Person' })
    expect(JSON.parse(await route.getByTestId('received').innerText())).toMatchObject({ message: 'User Wire Person added via API route' })

    expect((await usersNamed('Wire Person')).map((user) => user.door).sort()).toEqual(['action', 'route'])
  })

  it('the same invalid input: a 422 problem from the route, the form envelope inside a 200 from the action; nothing saved', async () => {
    const { page } = await open(`${app.server.url}/compare`)
    const posts = recordPosts(page)
    const row = section(page, /^Response and error handling$/)
    await row.getByRole('button', { name: 'Send invalid input' }).click()
    const capture = row.getByTestId('wire-capture')
    await capture.waitFor()

    const route = capture.locator('[data-door="route"]')
    expect(await route.getByTestId('status').innerText()).toBe('422')
    const [routePost] = await posts.list('route')
    expect(routePost!.response.headers()['content-type']).toBe('application/problem+json')
    const problem = JSON.parse(await route.getByTestId('received').innerText())
    expect(problem).toMatchObject({ status: 422, code: 'VALIDATION_FAILED' })
    expect(problem.issues.map((issue: { path: string }) => issue.path).sort()).toEqual(['email', 'name'])

    const action = capture.locator('[data-door="action"]')
    expect(await action.getByTestId('status').innerText()).toBe('200')
    const envelope = JSON.parse(await action.getByTestId('received').innerText())
    expect(envelope).toMatchObject({ status: 'error', values: { name: '', email: 'not-an-email' } })
    expect(Object.keys(envelope.fieldErrors).sort()).toEqual(['email', 'name'])
    // The envelope really came inside the action's RSC payload.
    expect(await action.getByTestId('response-body').textContent()).toContain('"fieldErrors"')
  })

  it('speed: one at a time both doors send one request at a time; all at once the actions still do, the route calls do not', async () => {
    const { page } = await open(`${app.server.url}/compare`)
    const times = await recordPostTimes(page)
    const row = section(page, /^Speed: one at a time, and all at once$/)
    await row.getByLabel('Calls per door').selectOption('5')
    await row.getByRole('button', { name: 'Run the speed test' }).click()
    await eventually(() => linesOf(row.getByRole('status')), 'the run finishes').toEqual(['Done: 20 calls, all saved.'])

    const inFlight = async (series: string) => Number(await row.locator(`tr[data-series="${series}"]`).getByTestId('max-in-flight').innerText())
    expect(await inFlight('action-serial')).toBe(1)
    expect(await inFlight('route-serial')).toBe(1)
    expect(await inFlight('action-parallel'), 'the page: actions sent all at once go out one by one').toBe(1)
    expect(await inFlight('route-parallel'), 'the page: route calls sent all at once overlap').toBeGreaterThanOrEqual(2)
    expect(await row.getByTestId('speed-verdict').innerText()).toContain('one after another')

    // Chromium's own timings say the same.
    const actions = times.list('action')
    const routes = times.list('route')
    expect([actions.length, routes.length]).toEqual([10, 10])
    expect(maxOverlap(actions), "Chromium: no action was sent before the one before it was answered").toBe(1)
    expect(maxOverlap(routes), 'Chromium: route calls were sent before the ones before them were answered').toBeGreaterThanOrEqual(2)

    // Drawn: one bar per call in the timeline, one dot per call in the distribution.
    expect(await row.locator('svg[aria-label^="Timeline"] rect.wire').count()).toBe(20)
    expect(await row.locator('svg[aria-label^="Distribution"] circle').count()).toBe(20)

    const saved = await usersNamed('Speed ') // this file's server has its own database: only this run's
    expect(saved.filter((user) => user.door === 'action')).toHaveLength(10)
    expect(saved.filter((user) => user.door === 'route')).toHaveLength(10)
  })

  it('without JavaScript: the action form adds a user, the route button is disabled and says why', async () => {
    const { page } = await open(`${app.server.url}/compare`, { javaScriptEnabled: false })
    const row = section(page, /^Without JavaScript$/)
    const actionForm = row.getByRole('form', { name: 'Add through the Server Action' })
    await actionForm.getByLabel('Name').fill('Nojs Compare')
    await submitAndWaitForLoad(page, actionForm.getByRole('button', { name: 'Add through the action' }))
    const after = section(page, /^Without JavaScript$/)
    expect(await linesOf(after.getByRole('region', { name: 'Server Action without JavaScript' }).getByRole('status'))).toEqual([
      'User Nojs Compare added via server action',
    ])
    const route = after.getByRole('region', { name: 'API Route without JavaScript' })
    expect(await route.getByRole('button', { name: 'Add with fetch' }).isDisabled()).toBe(true)
    expect(await route.locator('noscript > *').innerText()).toContain('nothing can send this fetch')
    expect((await usersNamed('Nojs Compare')).map((user) => user.door)).toEqual(['action'])
  })
})
