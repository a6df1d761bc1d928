import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newestFirst, seedUsers, type ApiUser } from './api'
import { launchBrowser } from './browser'
import { startServer, type Server } from './server'
import { eventually, rows, submitAndWaitForLoad, pagesFor } from './ui'

// Searching by name (GET /?q=) and paging through the newest-first list (GET /?cursor=), 20 per page.

const PAGE_SIZE = 20

let server: Server
let browser: Browser
let seeded: ApiUser[]

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer(), launchBrowser()])
  const names = [
    ...Array.from({ length: 25 }, (_, i) => `Page ${String(i + 1).padStart(2, '0')}`),
    'Homepage 1x', // matches "Page 1" only because the search ignores case
    'Alpha Person',
    '100% Sure', // a "%" in the search must match a literal "%", not everything
  ]
  seeded = await seedUsers(server.url, names.map((name) => ({ name })))
})

afterAll(async () => {
  // Browser first: its idle keep-alive connections would hold up the server's graceful shutdown by seconds.
  await browser?.close()
  await server?.stop()
})

const open = pagesFor(() => browser)

/** What the list should show for a search, all pages together: ILIKE '%q%' on the name, newest first. */
const matching = (q: string) => newestFirst(seeded.filter((user) => user.name.toLowerCase().includes(q.toLowerCase()))).map((user) => user.name)

const urlParams = (page: Page) => {
  const params = new URL(page.url()).searchParams
  return { q: params.get('q'), cursor: params.get('cursor') }
}

const names = async (page: Page) => (await rows(page)).map((row) => row.name)

const pager = (page: Page) => page.getByRole('navigation', { name: 'Pages' })
const newer = (page: Page) => pager(page).getByRole('link', { name: '← Newer' })
const older = (page: Page) => pager(page).getByRole('link', { name: 'Older →' })

/** Follows a link or submits a form: a full page load without JavaScript, a client-side navigation with it. */
async function follow(page: Page, target: Locator, javaScriptEnabled: boolean): Promise<void> {
  if (javaScriptEnabled) await target.click()
  else await submitAndWaitForLoad(page, target)
}

async function search(page: Page, q: string): Promise<void> {
  const form = page.getByRole('search')
  await form.getByLabel('Search by name', { exact: true }).fill(q)
  // The search form is a plain GET form: it loads a new page with or without JavaScript.
  await submitAndWaitForLoad(page, form.getByRole('button', { name: 'Search' }))
}

describe('search by name', () => {
  // `count` pins down what `matching()` computes from the seeded data, so a wrong expectation cannot pass unnoticed.
  const cases: { q: string; count: number; javaScriptEnabled: boolean }[] = [
    { q: 'Page 1', count: 11, javaScriptEnabled: true }, // Page 10..19 and Homepage 1x (not Page 01)
    { q: 'page 2', count: 6, javaScriptEnabled: true }, // Page 20..25
    { q: '%', count: 1, javaScriptEnabled: true }, // 100% Sure
    { q: 'nobody here', count: 0, javaScriptEnabled: true },
    { q: 'Page 1', count: 11, javaScriptEnabled: false },
  ]

  for (const { q, count, javaScriptEnabled } of cases) {
    it(`"${q}" lists ${count}${javaScriptEnabled ? '' : ' (JavaScript off)'}`, async () => {
      const want = matching(q)
      expect(want, `seeded users matching "${q}"`).toHaveLength(count)
      const { page } = await open(server.url, { javaScriptEnabled })
      await search(page, q)

      expect(new URL(page.url()).searchParams.get('q'), 'the URL carries the search').toBe(q)
      expect(await page.getByLabel('Search by name', { exact: true }).inputValue(), 'the search box keeps the query').toBe(q)
      expect(await names(page), `rows for "${q}"`).toEqual(want)
      if (count === 0) expect(await page.getByText(`No users match “${q}”.`).isVisible(), 'the "no match" note').toBe(true)
      expect(await older(page).count(), 'no "Older →" when everything fits').toBe(0)
      expect(await newer(page).count(), 'no "← Newer" on the first page').toBe(0)
    })
  }
})

describe('paging', () => {
  const cases: { q: string; javaScriptEnabled: boolean }[] = [
    { q: '', javaScriptEnabled: true },
    { q: 'Page', javaScriptEnabled: true },
    { q: 'Page', javaScriptEnabled: false },
  ]

  for (const { q, javaScriptEnabled } of cases) {
    it(`${q ? `search "${q}"` : 'everyone'}: "Older →" shows the rest, "← Newer" comes back${javaScriptEnabled ? '' : ' (JavaScript off)'}`, async () => {
      const all = matching(q)
      expect(all.length, 'more than one page of data').toBeGreaterThan(PAGE_SIZE)
      expect(all.length, 'at most two pages of data').toBeLessThanOrEqual(2 * PAGE_SIZE)
      const [first, second] = [all.slice(0, PAGE_SIZE), all.slice(PAGE_SIZE)]

      const { page } = await open(q ? `${server.url}/?${new URLSearchParams({ q })}` : server.url, { javaScriptEnabled })
      expect(await names(page), 'first page').toEqual(first)
      expect(await newer(page).count(), 'no "← Newer" on the first page').toBe(0)

      await follow(page, older(page), javaScriptEnabled)
      await eventually(() => names(page), 'second page').toEqual(second)
      await eventually(() => urlParams(page), 'the second page URL').toEqual({ q: q || null, cursor: expect.any(String) })
      expect(await older(page).count(), 'no "Older →" on the last page').toBe(0)

      await follow(page, newer(page), javaScriptEnabled)
      await eventually(() => names(page), 'back to the first page').toEqual(first)
      await eventually(() => urlParams(page).q, 'the URL still has the search').toBe(q || null)
      expect(await newer(page).count(), 'no "← Newer" on the first page').toBe(0)
      expect(await older(page).count(), '"Older →" again').toBe(1)
    })
  }
})
