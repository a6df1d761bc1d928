import { describe, expect, it } from 'vitest'
import { requestJson, type ApiUser } from './api'
import { serverAndBrowserForFile } from './app'
import { multipart } from './raw-http'

// Retries that add one user: the API with an Idempotency-Key, and the Server Action form, whose page
// renders a fresh key into it, sent twice.

const app = serverAndBrowserForFile()

const namesStored = async (name: string) =>
  (await requestJson<{ users: ApiUser[] }>(`${app.server.url}/api/users?q=${encodeURIComponent(name)}`)).body.users.filter((user) => user.name === name)

const unescapeHtml = (text: string) =>
  text.replaceAll('&quot;', '"').replaceAll('&#x27;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&')

const add = (name: string, key: string) =>
  fetch(`${app.server.url}/api/addUser`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': `"${key}"` }, body: JSON.stringify({ name }) })

describe('Idempotency-Key on POST /api/addUser', () => {
  it('adds once, and answers a retry with the first answer; another body under the key is 422', async () => {
    const key = crypto.randomUUID()
    const first = await add('Retry Once', key)
    const retry = await add('Retry Once', key)
    const [a, b] = [(await first.json()) as { user: ApiUser }, (await retry.json()) as { user: ApiUser }]
    expect([first.status, retry.status, retry.headers.get('idempotency-replayed'), b.user.id]).toEqual([201, 201, 'true', a.user.id])
    expect(retry.headers.get('location')).toBe(`/api/users/${a.user.id}`)
    const other = await add('Someone Else', key)
    expect([other.status, ((await other.json()) as { code: string }).code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED'])
    expect(await namesStored('Retry Once')).toHaveLength(1)
  })

  it('lets one of five concurrent requests with a key add the user; the others get 409 or the replay', async () => {
    const key = crypto.randomUUID()
    const answers = await Promise.all(Array.from({ length: 5 }, () => add('Concurrent Once', key)))
    const statuses = answers.map((answer) => answer.status)
    await Promise.all(answers.map((answer) => answer.arrayBuffer()))
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true)
    expect(await namesStored('Concurrent Once')).toHaveLength(1)
  })
})

describe('the Server Action form, sent twice', () => {
  it('without JavaScript: the same form posted twice at once (a double click) adds one user, and both answers show the success', async () => {
    // The form exactly as the browser would post it without JavaScript: its hidden fields, from the page's HTML.
    const html = await (await fetch(app.server.url)).text()
    const form = html.slice(html.indexOf('aria-label="Server Action"'))
    const hidden = [...form.slice(0, form.indexOf('</form>')).matchAll(/<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?/g)].map(
      ([, name, value]) => [unescapeHtml(name!), unescapeHtml(value ?? '')] as [string, string],
    )
    // React's fields naming the action and its state ($ACTION_REF_1, $ACTION_1:0…), and the page's key.
    expect(hidden.map(([name]) => name)).toEqual(expect.arrayContaining([expect.stringMatching(/^\$ACTION_/), 'idempotency-key']))
    const { body, contentType } = multipart([...hidden, ['name', 'Double Click'], ['email', '']])
    const send = () => fetch(app.server.url, { method: 'POST', headers: { 'content-type': contentType, origin: app.server.url }, body })
    const answers = await Promise.all([send(), send()])
    const pages = await Promise.all(answers.map((answer) => answer.text()))
    expect(answers.map((answer) => answer.status)).toEqual([200, 200])
    for (const page of pages) expect(page).toContain('User Double Click added via server action')
    expect(await namesStored('Double Click')).toHaveLength(1)
  })


})
