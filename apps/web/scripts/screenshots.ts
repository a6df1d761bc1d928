// `npm run screenshots`: the README's pictures of `/` and `/compare`, taken from a production build in Chromium.
// It builds the app as the e2e suite does (into .next-e2e; SCREENSHOTS_SKIP_BUILD=1 reuses that build), starts it
// on a fresh PGlite directory, uses both doors the way a person would, and writes PNGs to docs/screenshots/.
// CHROMIUM_PATH picks the browser (default /usr/bin/chromium).
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { seedUsers } from '../e2e/api'
import { launchBrowser } from '../e2e/browser'
import { build } from '../e2e/global-setup'
import { appDir, DIST_DIR, nextEnv } from '../e2e/paths'
import { startServer } from '../e2e/server'
import { waitForHydration } from '../e2e/hydration'

const outDir = path.resolve(appDir, '../../docs/screenshots')
const VIEWPORT = { width: 1280, height: 900 }

async function open(browser: Browser, url: string, colorScheme: 'light' | 'dark'): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORT, colorScheme, deviceScaleFactor: 1 })
  const page = await context.newPage()
  await page.goto(url)
  await waitForHydration(page)
  return page
}

async function home(browser: Browser, url: string, colorScheme: 'light' | 'dark') {
  const page = await open(browser, url, colorScheme)
  for (const [panel, name] of [
    ['Server Action', 'Alice'],
    ['API Route', 'Alice'],
  ] as const) {
    const form = page.getByRole('form', { name: panel })
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill(name)
    await form.getByRole('button', { name: 'Add User' }).click()
    await page.getByRole('region', { name: panel }).getByRole('status').locator('p', { hasText: `User ${name} added via` }).waitFor()
  }
  await page.screenshot({ path: path.join(outDir, `home-${colorScheme}.png`), fullPage: true })
  await page.context().close()
}

async function compare(browser: Browser, url: string, colorScheme: 'light' | 'dark') {
  const page = await open(browser, `${url}/compare`, colorScheme)
  const speed = page.getByRole('region', { name: 'Speed: one at a time, and all at once' })
  await speed.getByLabel('Calls per door').selectOption('8')
  await speed.getByRole('button', { name: 'Run the speed test' }).click()
  await speed.getByText(/^Done: \d+ calls, all saved\.$/).waitFor({ timeout: 60_000 })
  await speed.screenshot({ path: path.join(outDir, `compare-speed-${colorScheme}.png`) })

  const errors = page.getByRole('region', { name: 'Response and error handling' })
  await errors.getByRole('button', { name: 'Send invalid input' }).click()
  await errors.getByTestId('wire-capture').waitFor()
  await errors.screenshot({ path: path.join(outDir, `compare-errors-${colorScheme}.png`) })
  await page.context().close()
}

async function main() {
  mkdirSync(outDir, { recursive: true })
  if (process.env.SCREENSHOTS_SKIP_BUILD === '1') process.env.E2E_SKIP_BUILD = '1'
  await build(DIST_DIR, nextEnv())
  const [server, browser] = await Promise.all([startServer(), launchBrowser()])
  try {
    await seedUsers(server.url, [
      { name: 'Ada Lovelace', email: 'ada@example.com' },
      { name: 'Grace Hopper', email: 'grace@example.com' },
      { name: 'Alan Turing' },
    ])
    for (const scheme of ['light', 'dark'] as const) {
      await home(browser, server.url, scheme)
      await compare(browser, server.url, scheme)
    }
    console.log(`Screenshots written to ${path.relative(process.cwd(), outDir)}/`)
  } finally {
    await browser.close()
    await server.stop()
  }
}

await main()
