import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requestJson, type ApiUser } from './api'
import { launchBrowser } from './browser'
import { actionIds, multipart, sendRaw } from './raw-http'
import { startServer, startServerExpectingExit, type Server } from './server'
import { addUser, eventually, linesOf, pagesFor } from './ui'
import type { Browser, Page } from 'playwright-core'

// API_KEYS set: every write needs a principal on every door. An API key (X-API-Key) on the route door, or a
// session the sign-in form sets (ADMIN_PASSWORD) wherever the browser sends its cookie: the forms' Server
// Actions and the page's own API calls. Reads stay open.

const KEY = 'e2e-api-key-0123456789abcdef'
const PASSWORD = 'e2e-admin-password-123'
const AUTH = { API_KEYS: `not-this-one-0123456789,${KEY}`, ADMIN_PASSWORD: PASSWORD, SESSION_SECRET: 'e2e-session-secret-0123456789abcdefghij' }
let server: Server
let browser: Browser
const open = pagesFor(() => browser)

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer({ env: AUTH }), launchBrowser()])
})
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

const add = (headers: Record<string, string>, name = 'Alice') =>
  fetch(`${server.url}/api/addUser`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ name }) })
const names = async () => (await requestJson<{ users: ApiUser[] }>(`${server.url}/api/users?limit=100`)).body.users.map((user) => user.name)

async function signIn(page: Page, password: string): Promise<void> {
  const form = page.getByRole('form', { name: 'Sign in' })
  await form.getByLabel('Admin password').fill(password)
  await form.getByRole('button', { name: 'Sign in' }).click()
}

describe('API_KEYS on the route door', () => {
  it('asks the write routes for a key: 401 without a valid one, 201 with it; reads stay open', async () => {
    const missing = await add({})
    expect([missing.status, ((await missing.json()) as { code: string }).code]).toEqual([401, 'UNAUTHORIZED'])
    expect((await add({ 'x-api-key': 'wrong-0123456789abcdef' })).status).toBe(401)
    const added = await add({ 'x-api-key': KEY })
    const body = (await added.json()) as { message: string; user: { id: string } }
    expect([added.status, body.message]).toEqual([201, 'User Alice added via API route'])
    const rename = await fetch(`${server.url}/api/users/${body.user.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"name":"Eve"}' })
    expect(rename.status).toBe(401)
    expect((await requestJson(`${server.url}/api/users`)).status).toBe(200)
  })

  it('says so in the OpenAPI document: a key or a session, either one', async () => {
    const { body } = await requestJson<{ components: { securitySchemes?: Record<string, unknown> }; paths: Record<string, Record<string, { security?: unknown }>> }>(
      `${server.url}/api/openapi.json`,
    )
    expect(body.components.securitySchemes).toMatchObject({ ApiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' }, Session: { type: 'apiKey', in: 'cookie', name: 'session' } })
    expect(body.paths['/api/addUser']!.post!.security).toEqual([{ ApiKey: [] }, { Session: [] }])
    expect(body.paths['/api/users']!.get!.security).toEqual([])
  })
})

describe('API_KEYS on the Server Action door', () => {
  it('adds nothing for a Server Action request replayed by a script with no session, and answers 401 in the form state', async () => {
    const before = await names()
    const form = multipart([['_1_name', 'Mallory'], ['0', '[{"status":"idle"},"$K1"]']])
    const replay = (headers: Record<string, string> = {}) =>
      sendRaw(server.url, {
        method: 'POST',
        path: '/',
        headers: { 'next-action': actionIds().addUserAction!, accept: 'text/x-component', 'content-type': form.contentType, origin: server.url, ...headers },
        body: form.body,
      })
    const response = await replay()
    expect('body' in response && response.status).toBe(200)
    expect('body' in response ? response.body : response.error).toMatch(/"code":"UNAUTHORIZED"/)
    expect(await names()).toEqual(before)
    // The same request with a principal adds: only the principal was missing.
    expect(await replay({ 'x-api-key': KEY }).then((sent) => ('body' in sent ? sent.body : sent.error))).toMatch(/User Mallory added via server action/)
    expect(await names()).toEqual(['Mallory', ...before])
  })

  it('signed out, the form says to sign in and adds nothing; signed in, it adds', async () => {
    const { page } = await open(server.url)
    await expect(page.getByRole('region', { name: 'Session' }).textContent()).resolves.toContain('needs you to sign in')
    const form = await addUser(page, 'Server Action', { name: 'Signed Out' })
    await eventually(async () => (await linesOf(form.status))[0], 'Server Action status').toBe(
      'Authentication is required: send an API key in the x-api-key header or sign in on the home page.',
    )
    expect(await names()).not.toContain('Signed Out')

    await signIn(page, 'not the password')
    await eventually(() => page.getByRole('form', { name: 'Sign in' }).getByText('That password is not right.').count(), 'wrong password').toBe(1)
    await signIn(page, PASSWORD)
    await eventually(async () => (await page.getByRole('region', { name: 'Session' }).textContent()) ?? '', 'signed in').toContain('Signed in as admin')
    const cookie = (await page.context().cookies()).find((each) => each.name === 'session')
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' })

    const again = await addUser(page, 'Server Action', { name: 'Signed In' })
    await eventually(async () => (await linesOf(again.status))[0], 'Server Action status').toBe('User Signed In added via server action')
    // The page's own API call carries the session cookie: the same principal on the route door.
    const api = await addUser(page, 'API Route', { name: 'Via Api Panel' })
    await eventually(async () => (await linesOf(api.status))[0], 'API Route status').toBe('User Via Api Panel added via API route')
    expect(await names()).toEqual(expect.arrayContaining(['Signed In', 'Via Api Panel']))

    await page.getByRole('button', { name: 'Sign out' }).click()
    await eventually(() => page.getByRole('form', { name: 'Sign in' }).count(), 'signed out').toBe(1)
  })

  it('signs in and adds without JavaScript too', async () => {
    const { page } = await open(server.url, { javaScriptEnabled: false })
    await signIn(page, PASSWORD)
    await page.waitForLoadState('load')
    await eventually(async () => (await page.getByRole('region', { name: 'Session' }).textContent()) ?? '', 'signed in').toContain('Signed in as admin')
    const form = await addUser(page, 'Server Action', { name: 'No Script' }, { javaScriptEnabled: false })
    await eventually(async () => (await linesOf(form.status))[0], 'Server Action status').toBe('User No Script added via server action')
  })

  it('refuses a forged session cookie on both doors', async () => {
    const forged = { cookie: 'session=Fe26.2**forged' }
    const route = await add(forged, 'Forged')
    expect([route.status, ((await route.json()) as { detail: string }).detail]).toEqual([401, 'Your session has expired or is not valid: sign in again.'])
    const form = multipart([['_1_name', 'Forged'], ['0', '[{"status":"idle"},"$K1"]']])
    const response = await sendRaw(server.url, {
      method: 'POST',
      path: '/',
      headers: { 'next-action': actionIds().addUserAction!, accept: 'text/x-component', 'content-type': form.contentType, origin: server.url, ...forged },
      body: form.body,
    })
    expect('body' in response ? response.body : response.error).toMatch(/"code":"UNAUTHORIZED"/)
    expect(await names()).not.toContain('Forged')
  })
})

describe('API_KEYS without what signing in needs', () => {
  it('stops the server at start-up, naming each variable to set', async () => {
    const exit = await startServerExpectingExit({ env: { API_KEYS: KEY } })
    expect(exit.output).toContain('ADMIN_PASSWORD is required with API_KEYS')
    expect(exit.output).toContain('SESSION_SECRET is required with API_KEYS')
  })
})

describe('API_KEYS with RATE_LIMIT_WRITES', () => {
  // The limit is counted before the key is checked: guessing keys was free (only valid calls were counted).
  let limited: Server
  beforeAll(async () => {
    limited = await startServer({ command: 'npm start', env: { ...AUTH, API_KEYS: KEY, RATE_LIMIT_WRITES: '3' } })
  })
  afterAll(async () => {
    await limited?.stop()
  })

  it('counts failed key attempts: the fourth guess in a minute is 429, not another 401', async () => {
    const guess = (key: string) =>
      fetch(`${limited.url}/api/addUser`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: '{"name":"Mallory"}' })
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await guess(`guess-${i}-0123456789abcdef`)).status)
    expect(statuses).toEqual([401, 401, 401, 429])
    expect((await guess(KEY)).status).toBe(429)
  })

  it('counts sign-in attempts: the eleventh wrong password in a minute is refused unchecked, even the right one after it', async () => {
    const signInWith = async (password: string) => {
      const form = multipart([['_1_password', password], ['0', '[{"status":"idle"},"$K1"]']])
      const response = await sendRaw(limited.url, {
        method: 'POST',
        path: '/',
        headers: { 'next-action': actionIds().signInAction!, accept: 'text/x-component', 'content-type': form.contentType, origin: limited.url },
        body: form.body,
      })
      return 'body' in response ? /"code":"([A-Z_]+)"/.exec(response.body)?.[1] : response.error
    }
    const codes = []
    for (let i = 0; i < 11; i++) codes.push(await signInWith(`guess number ${i}`))
    expect(codes).toEqual([...Array(10).fill('UNAUTHORIZED'), 'RATE_LIMITED'])
    expect(await signInWith(PASSWORD)).toBe('RATE_LIMITED')
  })
})
