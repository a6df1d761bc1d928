import { chromium, type Browser } from 'playwright-core'

/** The Chromium (or Chrome) the e2e suite drives: CHROMIUM_PATH, else the distribution's package. */
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

/**
 * Launches headless Chromium; close it with `browser.close()` in afterAll. (Playwright kills the
 * browsers it launched when the test process exits, so a failed file does not leave one behind.)
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}
