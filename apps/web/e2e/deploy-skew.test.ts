import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requestJson, seedUser, type ApiUser } from './api'
import { launchBrowser } from './browser'
import { NEXT_DEPLOY } from './paths'
import { freePort, makeDataDir, startServer, type Server } from './server'
import { addUser, eventually, linesOf, pagesFor, panel, rowById, submitAndWaitForLoad } from './ui'
import type { Browser } from 'playwright-core'

// A page from one build, submitted after the server was replaced by the next build (another
// encryption key, so other action ids): Next answers "Server Action not found", and the form falls
// back to the operation's route with the same input, showing its answer in the same envelope.

let browser: Browser
const servers: Server[] = []
const open = pagesFor(() => browser)

beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await Promise.all(servers.map((server) => server.stop()))
})

/** Build 1 on a port, then, once `deploy()` is called, build 2 on the same port and data. */
async function firstBuild() {
  const port = await freePort()
  const dataDir = makeDataDir()
  const first = await startServer({ port, dataDir })
  servers.push(first)
  return {
    url: first.url,
    async deploy() {
      await first.stop()
      const next = await startServer({ port, dataDir, env: NEXT_DEPLOY.env })
      servers.push(next)
      return next
    },
  }
}

async function usersNamed(url: string, name: string): Promise<ApiUser[]> {
  const { body } = await requestJson<{ users: ApiUser[] }>(`${url}/api/users?q=${encodeURIComponent(name)}`)
  return body.users.filter((user) => user.name === name)
}

describe('a Server Action form left open across a deploy', () => {
  it('adds the user through the route and shows its exact message', async () => {
    const app = await firstBuild()
    const { page } = await open(app.url)
    const before = await page.evaluate(() => performance.timeOrigin)
    await app.deploy()

    const form = await addUser(page, 'Server Action', { name: 'Alice' })
    await eventually(async () => (await linesOf(form.status))[0], 'Server Action status').toBe('User Alice added via API route')
    // The same page, not a reload: the answer came back into the form that sent it.
    expect(await page.evaluate(() => performance.timeOrigin)).toBe(before)
    expect((await usersNamed(app.url, 'Alice')).map((user) => user.door)).toEqual(['route'])
  })

  it('shows a refusal from the route on the form fields, with the input kept', async () => {
    const app = await firstBuild()
    const { page } = await open(app.url)
    await app.deploy()

    const form = await addUser(page, 'Server Action', { name: 'Bob', email: 'not an email' })
    await eventually(() => form.region.locator('.field-error').allInnerTexts(), 'field errors').toEqual([expect.stringMatching(/email/i)])
    expect(await form.name.inputValue()).toBe('Bob')
    expect(await form.email.inputValue()).toBe('not an email')
    expect(await usersNamed(app.url, 'Bob')).toEqual([])
  })

  it('deletes through the route (DELETE /api/users/{id}, the id from the form) and the row goes', async () => {
    const app = await firstBuild()
    const doomed = await seedUser(app.url, { name: 'Skew Delete Me' })
    const { page } = await open(app.url)
    await app.deploy()

    await rowById(page, doomed.id).locator('summary').filter({ hasText: /^Delete$/ }).click()
    await page.getByRole('form', { name: 'Delete Skew Delete Me' }).getByRole('button', { name: 'Confirm delete' }).click()
    await eventually(async () => (await requestJson(`${app.url}/api/users/${doomed.id}`)).status, 'GET the deleted user').toBe(404)
  })

  // Pinned, so an upgrade of Next that changes it is noticed: Next 16.4 answers an action id it does not know
  // with a bare 409 (server/app-render/action-handler.js, getUnrecognizedActionStatusCode), and no app code runs.
  it('with JavaScript off, cannot be run by the new build: Next answers 409 "Server Action unavailable." and nothing is saved', async () => {
    const app = await firstBuild()
    const { page } = await open(app.url, { javaScriptEnabled: false })
    await app.deploy()

    const form = panel(page, 'Server Action')
    await form.name.fill('Carol')
    const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), submitAndWaitForLoad(page, form.submit)])
    expect([response.status(), await page.locator('body').innerText()]).toEqual([409, 'Server Action unavailable.'])
    expect(await usersNamed(app.url, 'Carol')).toEqual([])
  })
})
