import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { requestJson, seedUser, type ApiUser } from './api'
import { serverAndBrowserForFile } from './app'
import { eventually, linesOf, panel, pagesFor, rowById } from './ui'

// Keyboard only: every control is reached with Tab (never clicked), shows where focus is, and works with the
// keys a person would press — Enter to submit and to open a row's Rename or Delete.

const app = serverAndBrowserForFile()
const open = pagesFor(() => app.browser)

interface Focused {
  /** The focused element's accessible name, as a screen reader would announce it. */
  name: string
  tag: string
  /** Its computed outline: the focus ring a sighted keyboard user relies on. */
  outline: string
}

const focused = (page: Page): Promise<Focused> =>
  page.evaluate(() => {
    const element = document.activeElement as HTMLElement | null
    if (!element || element === document.body) return { name: '', tag: 'body', outline: 'none' }
    const labelled = (element as HTMLInputElement).labels?.[0]?.textContent ?? ''
    const name = element.getAttribute('aria-label') ?? (labelled || element.textContent || '')
    const style = getComputedStyle(element)
    return { name: name.trim(), tag: element.tagName.toLowerCase(), outline: `${style.outlineStyle} ${style.outlineWidth}` }
  })

/** Presses Tab until the focused element's accessible name matches; fails after `max` presses. Returns it. */
async function tabTo(page: Page, name: string | RegExp, max = 80): Promise<Focused> {
  const matches = (text: string) => (typeof name === 'string' ? text === name : name.test(text))
  const seen: string[] = []
  for (let presses = 0; presses < max; presses++) {
    await page.keyboard.press('Tab')
    const now = await focused(page)
    if (matches(now.name)) {
      expect(now.outline, `${now.name}: a visible focus ring`).toMatch(/^solid [1-9]/)
      return now
    }
    seen.push(now.name)
  }
  throw new Error(`Tab never reached ${String(name)} in ${max} presses; focus went through: ${seen.join(' | ')}`)
}

const usersNamed = async (q: string) => (await requestJson<{ users: ApiUser[] }>(`${app.server.url}/api/users?${new URLSearchParams({ q })}`)).body.users

describe('keyboard only', () => {
  it('adds a user through each panel: Tab to the fields, type, Enter', async () => {
    const { page } = await open(app.server.url)
    for (const [name, via] of [
      ['Server Action', 'server action'],
      ['API Route', 'API route'],
    ] as const) {
      const person = `Keys ${via}`
      await tabTo(page, 'Name')
      // Both panels have a "Name": Tab on until the one inside this panel's form has focus.
      while (!(await panel(page, name).name.evaluate((input) => input === document.activeElement))) await tabTo(page, 'Name')
      await page.keyboard.type(person)
      await page.keyboard.press('Enter')
      await eventually(() => linesOf(panel(page, name).status), `${name}: the result`).toContain(`User ${person} added via ${via}`)
      expect((await usersNamed(person)).map((user) => user.door)).toEqual([name === 'Server Action' ? 'action' : 'route'])
      await page.keyboard.press('Escape')
    }
  })

  it('a refusal moves nothing: the error is announced on the field, fixed by keyboard, then saved', async () => {
    const { page } = await open(app.server.url)
    const action = panel(page, 'Server Action')
    await tabTo(page, 'Add User')
    await page.keyboard.press('Enter')
    await eventually(() => action.name.getAttribute('aria-invalid'), 'the Name field is marked invalid').toBe('true')
    await action.name.focus() // where a screen reader user lands from the error
    await page.keyboard.type('Keys Fixed')
    await page.keyboard.press('Enter')
    await eventually(() => linesOf(action.status), 'the result').toContain('User Keys Fixed added via server action')
  })

  it('searches the list, renames a user from its row, and deletes one, without a mouse', async () => {
    const renamed = await seedUser(app.server.url, { name: 'Keys Rename Me' })
    const doomed = await seedUser(app.server.url, { name: 'Keys Delete Me' })
    const { page } = await open(app.server.url)

    await tabTo(page, 'Search by name')
    await page.keyboard.type('Keys')
    await Promise.all([page.waitForURL(/\?q=Keys/), page.keyboard.press('Enter')])
    await eventually(() => page.locator('tbody tr[data-user-id]').count(), 'only the matching users').toBeGreaterThanOrEqual(2)

    const renameSummary = rowById(page, renamed.id).locator('summary', { hasText: /^Rename$/ })
    while (!(await renameSummary.evaluate((summary) => summary === document.activeElement))) await tabTo(page, 'Rename')
    await page.keyboard.press('Enter') // opens the <details>
    await tabTo(page, 'New name for Keys Rename Me')
    await page.keyboard.press('ControlOrMeta+A')
    await page.keyboard.type('Keys Renamed')
    await page.keyboard.press('Enter')
    await eventually(() => rowById(page, renamed.id).locator('td').first().innerText(), 'the renamed row').toBe('Keys Renamed')

    const deleteSummary = rowById(page, doomed.id).locator('summary', { hasText: /^Delete$/ })
    while (!(await deleteSummary.evaluate((summary) => summary === document.activeElement))) await tabTo(page, 'Delete')
    await page.keyboard.press('Enter')
    await tabTo(page, 'Confirm delete')
    await page.keyboard.press('Enter')
    await eventually(() => rowById(page, doomed.id).count(), 'the deleted row is gone').toBe(0)
    expect(await usersNamed('Keys Delete Me')).toEqual([])
  })

  it('/compare: the wire capture and the speed test run from the keyboard', async () => {
    const { page } = await open(`${app.server.url}/compare`)
    await tabTo(page, 'Send through both doors')
    await page.keyboard.press('Enter')
    await page.getByTestId('wire-capture').first().waitFor()
    await tabTo(page, 'Calls per door')
    await page.keyboard.press('ArrowUp') // 5 → 3
    await tabTo(page, 'Run the speed test')
    await page.keyboard.press('Enter')
    const speed = page.getByRole('region', { name: 'Speed: one at a time, and all at once' })
    await eventually(() => linesOf(speed.getByRole('status')), 'the speed run').toEqual(['Done: 12 calls, all saved.'])
  })
})
