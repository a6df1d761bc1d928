import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requestJson } from './api'
import { launchBrowser } from './browser'
import { startServer, type Server } from './server'
import { addUser, eventually, linesOf, pagesFor } from './ui'
import type { Browser } from 'playwright-core'

// API_KEYS set: the write routes ask for a key; reads, and the forms (the action door), do not.

const KEY = 'e2e-api-key-0123456789abcdef'
let server: Server
let browser: Browser
const open = pagesFor(() => browser)

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer({ env: { API_KEYS: `not-this-one-0123456789,${KEY}` } }), launchBrowser()])
})
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

const add = (headers: Record<string, string>) =>
  fetch(`${server.url}/api/addUser`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ name: 'Alice' }) })

describe('API_KEYS', () => {
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

  it('says so in the OpenAPI document', async () => {
    const { body } = await requestJson<{ components: { securitySchemes?: Record<string, unknown> }; paths: Record<string, Record<string, { security?: unknown }>> }>(
      `${server.url}/api/openapi.json`,
    )
    expect(body.components.securitySchemes).toMatchObject({ ApiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } })
    expect(body.paths['/api/addUser']!.post!.security).toEqual([{ ApiKey: [] }])
    expect(body.paths['/api/users']!.get!.security).toBeUndefined()
  })

  it('leaves the Server Action form working without a key', async () => {
    const { page } = await open(server.url)
    const form = await addUser(page, 'Server Action', { name: 'Bob' })
    await eventually(async () => (await linesOf(form.status))[0], 'Server Action status').toBe('User Bob added via server action')
  })
})

describe('API_KEYS with RATE_LIMIT_WRITES', () => {
  // The limit is counted before the key is checked: guessing keys was free (only valid calls were counted).
  let limited: Server
  beforeAll(async () => {
    limited = await startServer({ command: 'npm start', env: { API_KEYS: KEY, RATE_LIMIT_WRITES: '3' } })
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
})
