import type { Page, Route } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { seedUser } from './api'
import { serverAndBrowserForFile } from './app'
import { addUser, eventually, fieldError, linesOf, pagesFor, rows, VIA, type PanelName } from './ui'

// A user added through either panel shows in the list at once, before the server answers; it gives
// way to the saved row on success and rolls back, with the error shown, when the server says no.

const app = serverAndBrowserForFile()
const open = pagesFor(() => app.browser)

/** Each panel's request to the server: the Server Action's POST (Next-Action header) or the API call. */
const isSubmission: Record<PanelName, (route: Route) => boolean> = {
  'Server Action': (route) => route.request().method() === 'POST' && route.request().headers()['next-action'] !== undefined,
  'API Route': (route) => route.request().method() === 'POST' && new URL(route.request().url()).pathname === '/api/addUser',
}

/** Holds the panel's next submission at the browser until `release()`, so the page can be seen before the answer. */
async function holdSubmission(page: Page, name: PanelName) {
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  let sent!: () => void
  const wasSent = new Promise<void>((resolve) => (sent = resolve))
  await page.route('**/*', async (route) => {
    if (!isSubmission[name](route)) return route.continue()
    sent()
    await released
    await route.continue()
  })
  return { wasSent, release }
}

/** Rows still waiting for the server: shown in the list, marked busy, with no id yet. */
function addingRows(page: Page) {
  return page.locator('tbody tr[aria-busy="true"]').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 4).map((td) => td.textContent ?? '')),
  )
}

describe.each(['Server Action', 'API Route'] as const)('%s panel, JavaScript on', (name) => {
  it('shows the new user at once, then the saved row in its place', async () => {
    const { page } = await open(app.server.url)
    const held = await holdSubmission(page, name)
    const person = `Optimist ${name}`
    const form = await addUser(page, name, { name: person, email: `${name.replace(' ', '.')}@example.com` })
    await held.wasSent

    // The server has not seen the request yet: the row is the browser's own.
    await eventually(() => addingRows(page), 'rows being added while the request is held').toEqual([
      [person, `${name.replace(' ', '.')}@example.com`, VIA[name], 'Adding…'],
    ])
    expect((await rows(page)).filter((row) => row.name === person), 'saved rows before the answer').toEqual([])

    held.release()
    await eventually(async () => (await rows(page)).filter((row) => row.name === person).map((row) => row.via), 'saved rows').toEqual([VIA[name]])
    expect(await addingRows(page), 'rows still being added').toEqual([])
    expect((await linesOf(form.status))[0]).toBe(`User ${person} added via ${VIA[name]}`)
  })

  it('rolls the new user back and shows why when the server refuses it', async () => {
    const taken = `taken.${name.replace(' ', '.')}@example.com`
    await seedUser(app.server.url, { name: 'First owner', email: taken })
    const { page } = await open(app.server.url)
    const held = await holdSubmission(page, name)
    const person = `Refused ${name}`
    const form = await addUser(page, name, { name: person, email: taken })
    await held.wasSent
    await eventually(async () => (await addingRows(page)).map((cells) => cells[0]), 'the refused user, shown while held').toEqual([person])

    held.release()
    await eventually(() => fieldError(form.email), 'Email field error').toMatchObject({ ariaInvalid: 'true', describedBy: expect.stringContaining('already') })
    expect(await addingRows(page), 'rows still being added').toEqual([])
    expect((await rows(page)).filter((row) => row.name === person), 'rows for the refused user').toEqual([])
    expect(await form.status.innerText()).not.toBe('')
  })
})
