import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { requestJson, seedUser, type ApiUser } from './api'
import { serverAndBrowserForFile } from './app'
import { eventually, fieldError, linesOf, rowById, rows, pagesFor } from './ui'

// Renaming and deleting a user from its row in the table, with JavaScript on.

const app = serverAndBrowserForFile()

const open = pagesFor(() => app.browser)

/** Opens the row's <details> named `summary` ("Rename" / "Delete"). */
async function openRowAction(page: Page, id: string, summary: 'Rename' | 'Delete') {
  await rowById(page, id).locator('summary').filter({ hasText: new RegExp(`^${summary}$`) }).click()
}

const storedName = async (id: string) => (await requestJson<ApiUser>(`${app.server.url}/api/users/${id}`)).body.name

describe('Rename', () => {
  it('saves the new name: the row shows it and the form confirms', async () => {
    const user = await seedUser(app.server.url, { name: 'Row Rename Me' })
    const { page } = await open(app.server.url)
    await openRowAction(page, user.id, 'Rename')
    const form = page.getByRole('form', { name: 'Rename Row Rename Me' })
    const input = form.getByLabel('New name for Row Rename Me', { exact: true })
    expect(await input.inputValue(), 'the input starts with the current name').toBe('Row Rename Me')
    await input.fill('Row Renamed')
    await form.getByRole('button', { name: 'Save' }).click()

    await eventually(() => rowById(page, user.id).locator('td').first().innerText(), 'the row name').toBe('Row Renamed')
    // The form is labelled by the current name, so it is now "Rename Row Renamed".
    await eventually(() => linesOf(page.getByRole('form', { name: 'Rename Row Renamed' }).getByRole('status')), 'rename status').toEqual([
      'User Row Renamed updated',
    ])
    expect(await storedName(user.id)).toBe('Row Renamed')
  })

  it('refuses a blank name with an error by the field, and keeps the old name', async () => {
    const user = await seedUser(app.server.url, { name: 'Row Keep Name' })
    const { page } = await open(app.server.url)
    await openRowAction(page, user.id, 'Rename')
    const form = page.getByRole('form', { name: 'Rename Row Keep Name' })
    const input = form.getByLabel('New name for Row Keep Name', { exact: true })
    await input.fill('   ')
    await form.getByRole('button', { name: 'Save' }).click()

    await eventually(() => fieldError(input), 'the rename input error').toEqual({
      ariaInvalid: 'true',
      describedBy: 'Name is required',
      nextToInput: true,
      visible: true,
    })
    expect(await rowById(page, user.id).locator('td').first().innerText()).toBe('Row Keep Name')
    expect(await storedName(user.id)).toBe('Row Keep Name')
  })
})

describe('Delete', () => {
  it('removes the row after "Confirm delete", and the API no longer finds the user', async () => {
    const [keep, doomed] = [await seedUser(app.server.url, { name: 'Row Survivor' }), await seedUser(app.server.url, { name: 'Row Delete Me' })]
    const { page } = await open(app.server.url)
    await openRowAction(page, doomed.id, 'Delete')
    const form = page.getByRole('form', { name: 'Delete Row Delete Me' })
    expect(await form.innerText()).toContain('Delete Row Delete Me? This cannot be undone.')
    await form.getByRole('button', { name: 'Confirm delete' }).click()

    await eventually(() => rowById(page, doomed.id).count(), 'rows for the deleted user').toBe(0)
    expect((await rows(page)).map((row) => row.id), 'the other user is still listed').toContain(keep.id)
    const after = await requestJson<{ code?: string }>(`${app.server.url}/api/users/${doomed.id}`)
    expect(after.status, 'GET /api/users/<id> after delete').toBe(404)
    expect(after.body.code).toBe('NOT_FOUND')
  })
})
