import { describe, expect, it } from 'vitest'
import { requestJson, type ApiUser } from './api'
import { serverAndBrowserForFile } from './app'
import { eventually, linesOf, pagesFor, submitAndWaitForLoad } from './ui'
import type { Page } from 'playwright-core'

// The CSV import on the home page, in Chromium: a small file through the Server Action, a large one through the API
// route with its progress bar and Cancel, and without JavaScript a post that comes back with the summary.

const app = serverAndBrowserForFile()
const open = pagesFor(() => app.browser)

const csvOf = (tag: string, count: number) => `name,email\n${Array.from({ length: count }, (_, i) => `Imported ${tag} ${i},${tag.toLowerCase()}${i}@example.com`).join('\n')}\n`

/** Whether a user named exactly `name` is in the directory. */
async function hasUser(name: string): Promise<boolean> {
  const { body } = await requestJson<{ users: ApiUser[] }>(`${app.server.url}/api/users?q=${encodeURIComponent(name)}&limit=100`)
  return body.users.some((user) => user.name === name)
}

function importForm(page: Page) {
  const region = page.getByRole('region', { name: 'Import users from CSV' })
  const form = page.getByRole('form', { name: 'Import users' })
  return { region, form, file: form.getByLabel('CSV file'), submit: form.getByRole('button', { name: 'Import' }), cancel: form.getByRole('button', { name: 'Cancel' }), status: region.getByRole('status') }
}

describe('the CSV import on the home page', () => {
  it('imports a small file through the Server Action: the summary names each row it skipped, the list shows the rest', async () => {
    const { page } = await open(app.server.url)
    const form = importForm(page)
    await form.file.setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from('name,email\nImported Small 1,small1@example.com\nImported Small 2,not-an-email\nImported Small 3,\n') })
    await form.submit.click()
    await eventually(async () => (await linesOf(form.status))[0], 'the import summary').toBe('Imported 2 users; 1 row skipped (0 taken, 1 invalid)')
    expect(await linesOf(form.status)).toContain('Line 3: Enter a valid email address, like ada@example.com')
    await eventually(() => page.getByRole('cell', { name: 'Imported Small 3' }).count(), 'the list shows an imported user').toBe(1)
    const { body } = await requestJson<{ users: ApiUser[] }>(`${app.server.url}/api/users?q=Imported%20Small`)
    expect(body.users.map((user) => [user.name, user.door])).toEqual(expect.arrayContaining([['Imported Small 1', 'action'], ['Imported Small 3', 'action']]))
  })

  it('sends a large file to the API route, shows its progress, and Cancel stops it: the summary says what the table holds', async () => {
    const { page } = await open(app.server.url)
    const form = importForm(page)
    await form.file.setInputFiles({ name: 'many.csv', mimeType: 'text/csv', buffer: Buffer.from(csvOf('Many', 200_000)) })
    await form.submit.click()
    await eventually(() => page.getByTestId('import-progress').textContent(), 'the progress of the import').toMatch(/^[1-9][\d,]* added/)
    expect(await form.status.getByRole('progressbar', { name: 'Import progress' }).count()).toBe(1)
    await form.cancel.click()
    await eventually(async () => (await linesOf(form.status))[0] ?? '', 'the summary of the cancelled import').toMatch(/^Import cancelled: [\d,]+ users added$/)
    const stored = Number((await linesOf(form.status))[0]!.replace(/^Import cancelled: ([\d,]+) users added$/, '$1').replaceAll(',', ''))
    expect(stored).toBeGreaterThan(0)
    expect(stored).toBeLessThan(200_000)
    // The file's rows are stored in order, a batch at a time: the first `stored` of them, and not the next.
    expect([await hasUser('Imported Many 0'), await hasUser(`Imported Many ${stored - 1}`), await hasUser(`Imported Many ${stored}`)]).toEqual([true, true, false])
  })

  it('without JavaScript, posts the file to the API route and comes back to the page with the summary', async () => {
    const { page } = await open(app.server.url, { javaScriptEnabled: false })
    const form = importForm(page)
    await form.file.setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csvOf('NoScript', 3)) })
    await submitAndWaitForLoad(page, form.submit)
    expect(new URL(page.url()).pathname).toBe('/')
    expect((await linesOf(form.status))[0]).toBe('Imported 3 users')
    const { body } = await requestJson<{ users: ApiUser[] }>(`${app.server.url}/api/users?q=Imported%20NoScript`)
    expect(body.users.map((user) => [user.name, user.door]).sort()).toEqual([0, 1, 2].map((i) => [`Imported NoScript ${i}`, 'route']))
  })
})
