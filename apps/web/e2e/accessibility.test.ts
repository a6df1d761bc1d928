import AxeBuilder from '@axe-core/playwright'
import type { Page } from 'playwright-core'
import { describe, expect, it, onTestFinished } from 'vitest'
import { seedUsers } from './api'
import { serverAndBrowserForFile } from './app'
import { addUser, eventually, linesOf, panel, pagesFor, rows } from './ui'

// axe-core (WCAG 2.2 A and AA rules, and its best practices) on every page, in light and dark, in the states a
// person gets them in: as loaded, after a refusal, after a success. No violation is tolerated.

const app = serverAndBrowserForFile()
const open = pagesFor(() => app.browser)

/**
 * /api/docs is Swagger UI. actionroute's reference page fixes what a page can from outside (the contrast of its
 * badges, links and buttons; the servers select's name); these come from Swagger UI's own React
 * markup, and would need a fork of it.
 */
const SWAGGER_UI_MARKUP: Record<string, string> = {
  'nested-interactive': "each operation's summary is a <button> that contains the copy-link button",
  'heading-order': 'its title is an <h1> and its first tag heading an <h3>, with no <h2> between',
  'target-size': 'the deep-link icon next to each operation is a 16 px target with a neighbour closer than 24 px',
  label: "an opened operation's request body <textarea> has no label",
  region: 'its title block and servers bar sit outside the <main> it puts its operations in',
}

async function violations(page: Page, state: string, allowed: Record<string, string> = {}): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze()
  return results.violations.filter((violation) => !(violation.id in allowed)).map(
    (violation) =>
      `${state}: ${violation.id} (${violation.impact}) ${violation.help} — ${violation.nodes
        .map((node) => `${node.target.join(' ')}${node.any[0]?.data?.contrastRatio ? ` (${JSON.stringify(node.any[0].data)})` : ''}`)
        .join(', ')}`,
  )
}

async function inScheme(url: string, colorScheme: 'light' | 'dark') {
  const opened = await open(url)
  await opened.page.emulateMedia({ colorScheme })
  return opened.page
}

describe.each(['light', 'dark'] as const)('axe, %s', (colorScheme) => {
  it('/ as loaded, after a refusal and after a success on each panel', async () => {
    await seedUsers(app.server.url, [{ name: `Axe Seeded ${colorScheme}`, email: `axe.${colorScheme}@example.com` }])
    const page = await inScheme(app.server.url, colorScheme)
    const found = await violations(page, 'loaded')
    for (const name of ['Server Action', 'API Route'] as const) {
      const refused = await addUser(page, name, { name: '', email: 'not-an-email' })
      await eventually(() => refused.name.getAttribute('aria-invalid'), `${name} refusal`).toBe('true')
      found.push(...(await violations(page, `${name} refused`)))
      await addUser(page, name, { name: `Axe ${colorScheme} ${name}` })
      await eventually(() => linesOf(panel(page, name).status), `${name} success`).toContain(
        `User Axe ${colorScheme} ${name} added via ${name === 'API Route' ? 'API route' : 'server action'}`,
      )
      // Settled: the refreshed list shows the saved row (during the refresh, Next swaps the document's metadata).
      await eventually(() => rows(page).then((list) => list.some((row) => row.name === `Axe ${colorScheme} ${name}`)), 'the saved row').toBe(true)
      await eventually(() => page.title(), 'the title').toBe('User Directory')
      found.push(...(await violations(page, `${name} added`)))
    }
    expect(found).toEqual([])
  })

  it('/compare as loaded, after the invalid and the valid capture, and after a speed run', async () => {
    const page = await inScheme(`${app.server.url}/compare`, colorScheme)
    // Each saved user comes back with the page's new render, and Next swaps the document's metadata while it lands
    // (a moment with no <title>, which a slow machine can catch): checked once the title is back.
    const settled = () => eventually(() => page.title(), 'the title').toBe('API Route or Server Action? · User Directory')
    const found = await violations(page, 'loaded')

    const errors = page.getByRole('region', { name: 'Response and error handling' })
    await errors.getByRole('button', { name: 'Send invalid input' }).click()
    await errors.getByTestId('wire-capture').waitFor()
    found.push(...(await violations(page, 'invalid input sent')))

    const wire = page.getByRole('region', { name: 'Integration: what crosses the wire' })
    await wire.getByRole('form').getByLabel('Name').fill(`Axe compare ${colorScheme}`)
    await wire.getByRole('button', { name: 'Send through both doors' }).click()
    await wire.getByTestId('wire-capture').waitFor()
    await settled()
    found.push(...(await violations(page, 'valid input sent')))

    const speed = page.getByRole('region', { name: 'Speed: one at a time, and all at once' })
    await speed.getByLabel('Calls per door').selectOption('3')
    await speed.getByRole('button', { name: 'Run the speed test' }).click()
    await eventually(() => linesOf(speed.getByRole('status')), 'the speed run').toEqual(['Done: 12 calls, all saved.'])
    await settled()
    found.push(...(await violations(page, 'speed run done')))
    expect(found).toEqual([])
  })

  it('/api/docs as loaded and with an operation opened', async () => {
    // Swagger UI's page, not one of ours: opened directly (pagesFor waits for our pages' hydration).
    const context = await app.browser.newContext({ colorScheme })
    onTestFinished(() => context.close())
    const page = await context.newPage()
    await page.goto(`${app.server.url}/api/docs`)
    const operation = page.locator('.opblock-summary-control').first()
    await operation.waitFor()
    const found = await violations(page, 'loaded', SWAGGER_UI_MARKUP)
    await operation.click()
    await page.locator('.opblock-body').first().waitFor()
    found.push(...(await violations(page, 'operation opened', SWAGGER_UI_MARKUP)))
    expect(found).toEqual([])
  })
})
