import type { Page } from 'playwright-core'

// Apart from ui.ts, which needs Vitest: scripts/screenshots.ts waits for hydration too.

/**
 * Buttons that stay disabled until React has hydrated their page: the home page's API panel, /compare's first
 * wire form. Once one is enabled, the page's forms are enhanced too (a click before that would post a form the
 * no-JS way).
 */
const HYDRATION_MARKERS = ['form[aria-label="API Route"] button[type="submit"]', 'form[aria-label="Send valid input through both doors"] button[type="submit"]']

export async function waitForHydration(page: Page): Promise<void> {
  await page.waitForFunction((selectors) => {
    const button = selectors.map((selector) => document.querySelector(selector)).find(Boolean)
    return button instanceof HTMLButtonElement && !button.disabled
  }, HYDRATION_MARKERS)
}
