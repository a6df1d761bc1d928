import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { afterEach, expect } from 'vitest'
import { waitForHydration } from './hydration'

export { waitForHydration }

// Page helpers shared by the browser tests: what a person sees, found the way they would find it.

export type PanelName = 'Server Action' | 'API Route'

/** The badge the users table shows for each door. */
export const VIA: Record<PanelName, string> = { 'Server Action': 'server action', 'API Route': 'API route' }

const WAIT_MS = 10_000

/** Retries `read` until the assertion after it passes (10 s), e.g. `await eventually(() => x.textContent(), 'what').toBe('…')`. */
export function eventually<T>(read: () => T | Promise<T>, message: string) {
  return expect.poll(read, { timeout: WAIT_MS, interval: 100, message })
}

export interface OpenedPage {
  page: Page
  context: BrowserContext
  /** `alert()` / `confirm()` messages the page tried to show (they are dismissed). */
  dialogs: string[]
  /** Uncaught exceptions in the page. */
  pageErrors: string[]
}

/**
 * Registers an afterEach that closes the pages a test opened and fails the test if any page threw
 * an uncaught error. Returns `open(url, { javaScriptEnabled })`, which resolves once the page is
 * interactive (hydrated, when JavaScript is on).
 */
export function pagesFor(getBrowser: () => Browser) {
  let opened: OpenedPage[] = []

  afterEach(async () => {
    const pages = opened
    opened = []
    await Promise.all(pages.map(({ context }) => context.close()))
    const errors = pages.flatMap(({ pageErrors }) => pageErrors)
    expect(errors, 'uncaught errors in the page').toEqual([])
  })

  return async function open(url: string, { javaScriptEnabled = true } = {}): Promise<OpenedPage> {
    const context = await getBrowser().newContext({ javaScriptEnabled })
    context.setDefaultTimeout(WAIT_MS)
    const page = await context.newPage()
    const result: OpenedPage = { page, context, dialogs: [], pageErrors: [] }
    opened.push(result)
    page.on('dialog', (dialog) => {
      result.dialogs.push(`${dialog.type()}: ${dialog.message()}`)
      void dialog.dismiss().catch(() => {})
    })
    page.on('pageerror', (error) => result.pageErrors.push(String(error)))
    const response = await page.goto(url)
    expect(response?.status(), `GET ${url}`).toBe(200)
    if (javaScriptEnabled) await waitForHydration(page)
    return result
  }
}

/** One of the two "add user" panels. */
export function panel(page: Page, name: PanelName) {
  const region = page.getByRole('region', { name })
  const form = page.getByRole('form', { name })
  return {
    region,
    form,
    name: form.getByRole('textbox', { name: 'Name', exact: true }),
    email: form.getByLabel('Email (optional)', { exact: true }),
    submit: form.getByRole('button', { name: 'Add User' }),
    /** The panel's role="status" result region. */
    status: region.getByRole('status'),
  }
}

/** Fills a panel's form and submits it. Without JavaScript, waits for the new page to load. */
export async function addUser(page: Page, name: PanelName, values: { name: string; email?: string }, { javaScriptEnabled = true } = {}) {
  const form = panel(page, name)
  await form.name.fill(values.name)
  await form.email.fill(values.email ?? '')
  if (javaScriptEnabled) await form.submit.click()
  else await submitAndWaitForLoad(page, form.submit)
  return form
}

/** Clicks a submit button or link that makes the browser load a new page (JavaScript off). */
export async function submitAndWaitForLoad(page: Page, target: Locator): Promise<void> {
  await Promise.all([page.waitForEvent('load'), target.click()])
}

/** The lines of text a region shows, trimmed, empty ones dropped. */
export async function linesOf(locator: Locator): Promise<string[]> {
  const text = (await locator.allInnerTexts()).join('\n')
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
}

export interface Row {
  id: string
  name: string
  email: string
  via: string
}

/** The users table as a person reads it, top to bottom. */
export function rows(page: Page): Promise<Row[]> {
  return page.locator('tbody tr[data-user-id]').evaluateAll((trs) =>
    trs.map((tr) => {
      const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')
      return { id: tr.getAttribute('data-user-id') ?? '', name: cells[0] ?? '', email: cells[1] ?? '', via: cells[2] ?? '' }
    }),
  )
}

export const rowById = (page: Page, id: string) => page.locator(`tr[data-user-id="${id}"]`)

export interface FieldErrorState {
  ariaInvalid: string | null
  /** Text of the element(s) the input's aria-describedby points to. */
  describedBy: string | null
  /** Whether that element sits in the same field as the input (shown next to it). */
  nextToInput: boolean
  visible: boolean
}

/** How an input announces its error: aria-invalid, and the message aria-describedby points to. */
export function fieldError(input: Locator): Promise<FieldErrorState> {
  return input.evaluate((element) => {
    const ids = element.getAttribute('aria-describedby')?.split(/\s+/).filter(Boolean) ?? []
    const targets = ids.map((id) => document.getElementById(id))
    const found = targets.filter((target): target is HTMLElement => target !== null)
    return {
      ariaInvalid: element.getAttribute('aria-invalid'),
      describedBy: ids.length && found.length === ids.length ? found.map((target) => target.textContent ?? '').join(' ') : null,
      nextToInput: found.length > 0 && found.every((target) => target.parentElement === element.parentElement),
      visible: found.length > 0 && found.every((target) => target.getClientRects().length > 0),
    }
  })
}
