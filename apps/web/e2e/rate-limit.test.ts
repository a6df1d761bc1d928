import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requestJson, type ApiUser } from './api'
import { launchBrowser } from './browser'
import { actionIds, multipart, sendRaw } from './raw-http'
import { startServer, type Server } from './server'
import { addUser, eventually, linesOf, pagesFor, rows } from './ui'
import type { Browser } from 'playwright-core'

// RATE_LIMIT_WRITES under npm start (scripts/server.mjs appends each connection's address to
// X-Forwarded-For): a client over the limit is refused on both doors, whatever it writes in that header.

const LIMIT = 3
let server: Server
let browser: Browser
const open = pagesFor(() => browser)

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer({ command: 'npm start', env: { RATE_LIMIT_WRITES: String(LIMIT) } }), launchBrowser()])
})
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

const addOverHttp = (name: string, forwardedFor: string) =>
  fetch(`${server.url}/api/addUser`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor }, body: JSON.stringify({ name }) })

const stored = async () => (await requestJson<{ users: ApiUser[] }>(`${server.url}/api/users?limit=100`)).body.users.map((user) => user.name)

describe(`RATE_LIMIT_WRITES=${LIMIT}`, () => {
  it('answers the API with what is left, then 429 + Retry-After, even to a client that changes X-Forwarded-For each time', async () => {
    const answers = []
    for (let i = 1; i <= LIMIT + 2; i++) {
      const response = await addOverHttp(`Limited ${i}`, `198.51.100.${i}`)
      answers.push({ status: response.status, ratelimit: response.headers.get('ratelimit'), retryAfter: response.headers.get('retry-after') !== null })
      if (response.status === 429) {
        expect(await response.json()).toMatchObject({ code: 'RATE_LIMITED', detail: expect.stringMatching(/^Too many requests: try again in \d+ seconds?\.$/) })
        expect(response.headers.get('ratelimit-policy')).toBe(`"writes";q=${LIMIT};w=60`)
      } else await response.arrayBuffer()
    }
    expect(answers.map(({ status }) => status)).toEqual([201, 201, 201, 429, 429])
    expect(answers.slice(0, LIMIT).map(({ ratelimit }) => ratelimit)).toEqual([2, 1, 0].map((r) => expect.stringMatching(new RegExp(`^"writes";r=${r};t=\\d+$`))))
    expect(answers.every(({ status, retryAfter }) => retryAfter === (status === 429))).toBe(true)
    expect((await stored()).sort()).toEqual(['Limited 1', 'Limited 2', 'Limited 3'])
  })

  it('shows the wait on the Server Action form, adds nobody, and leaves reads alone', async () => {
    const { page } = await open(server.url)
    const form = await addUser(page, 'Server Action', { name: 'Too Many' })
    await eventually(async () => (await linesOf(form.status))[0], 'Server Action status').toMatch(/^Too many requests: try again in \d+ seconds?\.$/)
    expect((await rows(page)).map((row) => row.name)).not.toContain('Too Many')
    expect(await stored()).not.toContain('Too Many')
    expect((await requestJson(`${server.url}/api/users`)).status).toBe(200)
  })
})

describe('Server Actions Next forwards to itself', () => {
  // An action posted to a page that does not hold it (deleteUserAction lives on /, not /compare) is sent again by
  // Next over loopback; npm start counted every such copy as 127.0.0.1, one budget for all clients.
  let proxied: Server
  beforeAll(async () => {
    proxied = await startServer({ command: 'npm start', env: { RATE_LIMIT_WRITES: '1', TRUSTED_PROXIES: '1' } })
  })
  afterAll(async () => {
    await proxied?.stop()
  })

  const deleteVia = async (path: string, client: string, hop?: string) => {
    const form = multipart([['_1_id', '00000000-0000-4000-8000-000000000000'], ['0', '[{"status":"idle"},"$K1"]']])
    const headers: Record<string, string> = { 'next-action': actionIds().deleteUserAction!, accept: 'text/x-component', 'content-type': form.contentType, origin: proxied.url, 'x-forwarded-for': client }
    if (hop) headers['x-userdirectory-hop'] = hop
    const response = await sendRaw(proxied.url, { method: 'POST', path, headers, body: form.body })
    return 'body' in response ? /"code":"([A-Z_]+)"/.exec(response.body)?.[1] : response.error
  }

  it('counts each client apart (TRUSTED_PROXIES=1: the client is the entry a proxy of ours appended)', async () => {
    expect(await deleteVia('/compare', '198.51.100.1')).toBe('NOT_FOUND')
    expect(await deleteVia('/compare', '198.51.100.2')).toBe('NOT_FOUND')
    expect(await deleteVia('/compare', '198.51.100.1')).toBe('RATE_LIMITED')
  })

  it('and a client cannot pass its own call off as a forwarded one', async () => {
    expect(await deleteVia('/', '198.51.100.3, 198.51.100.4', 'a-guessed-token')).toBe('NOT_FOUND')
    // Read as 198.51.100.4 (the last entry before npm start's): the header changed nothing.
    expect(await deleteVia('/', '198.51.100.9, 198.51.100.4', 'a-guessed-token')).toBe('RATE_LIMITED')
  })
})
