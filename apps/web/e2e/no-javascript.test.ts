import { describe, expect, it } from 'vitest'
import { requestJson, seedUser, type ApiUser } from './api'
import { serverAndBrowserForFile } from './app'
import { addUser, fieldError, linesOf, panel, rowById, rows, submitAndWaitForLoad, pagesFor } from './ui'

// Progressive enhancement: with JavaScript off, every form is a plain HTML form the server answers with a page.

const app = serverAndBrowserForFile()

const open = pagesFor(() => app.browser)
const openWithoutJs = () => open(app.server.url, { javaScriptEnabled: false })

describe('with JavaScript disabled', () => {
  it('the Server Action form adds a user: the returned page shows the message and the new row', async () => {
    const { page } = await openWithoutJs()
    const form = await addUser(page, 'Server Action', { name: 'Nojs Person', email: 'nojs.person@example.com' }, { javaScriptEnabled: false })

    expect(await linesOf(form.status), 'Server Action status region (no round trip without JS)').toEqual([
      'User Nojs Person added via server action',
    ])
    expect((await rows(page)).filter((row) => row.name === 'Nojs Person')).toMatchObject([
      { email: 'nojs.person@example.com', via: 'server action' },
    ])
    // Stored, not just echoed: a fresh GET lists it too.
    await page.goto(app.server.url)
    expect((await rows(page)).map((row) => row.name)).toContain('Nojs Person')
  })

  it('an invalid submission shows the field error and keeps the typed email', async () => {
    const { page } = await openWithoutJs()
    const before = await rows(page)
    const form = await addUser(page, 'Server Action', { name: '', email: 'kept.nojs@example.com' }, { javaScriptEnabled: false })

    expect(await fieldError(form.name), 'the Name input error').toEqual({
      ariaInvalid: 'true',
      describedBy: 'Name is required',
      nextToInput: true,
      visible: true,
    })
    expect(await form.email.inputValue(), 'Email keeps what was typed').toBe('kept.nojs@example.com')
    expect(await linesOf(form.status)).toEqual(['Please correct the fields marked below.'])
    expect(await rows(page), 'nothing was added').toEqual(before)
  })

  it('the API Route panel says it needs JavaScript and its button is disabled', async () => {
    const { page } = await openWithoutJs()
    const api = panel(page, 'API Route')
    // (Playwright's text locators skip <noscript>, so the note is found by its element.)
    const note = api.region.locator('noscript > *')
    expect(await note.isVisible(), 'the <noscript> note is visible').toBe(true)
    expect(await note.innerText()).toContain('needs JavaScript')
    expect(await api.submit.isDisabled(), 'API "Add User" is disabled').toBe(true)
  })

  it('renames a user from its row', async () => {
    const user = await seedUser(app.server.url, { name: 'Nojs Rename Me' })
    const { page } = await openWithoutJs()
    const row = rowById(page, user.id)
    await row.locator('summary').filter({ hasText: /^Rename$/ }).click()
    const form = page.getByRole('form', { name: 'Rename Nojs Rename Me' })
    await form.getByLabel('New name for Nojs Rename Me', { exact: true }).fill('Nojs Renamed')
    await submitAndWaitForLoad(page, form.getByRole('button', { name: 'Save' }))

    expect(await row.locator('td').first().innerText(), 'the row after the page came back').toBe('Nojs Renamed')
    expect((await requestJson<ApiUser>(`${app.server.url}/api/users/${user.id}`)).body.name, 'stored name').toBe('Nojs Renamed')
  })

  it('deletes a user from its row', async () => {
    const user = await seedUser(app.server.url, { name: 'Nojs Delete Me' })
    const { page } = await openWithoutJs()
    await rowById(page, user.id).locator('summary').filter({ hasText: /^Delete$/ }).click()
    const form = page.getByRole('form', { name: 'Delete Nojs Delete Me' })
    await submitAndWaitForLoad(page, form.getByRole('button', { name: 'Confirm delete' }))

    expect(await rowById(page, user.id).count(), 'rows for the deleted user').toBe(0)
    expect((await rows(page)).map((row) => row.name)).not.toContain('Nojs Delete Me')
    expect((await requestJson(`${app.server.url}/api/users/${user.id}`)).status, 'GET /api/users/<id> after delete').toBe(404)
  })
})
