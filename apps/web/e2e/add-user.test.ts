import { describe, expect, it } from 'vitest'
import { seedUser } from './api'
import { serverAndBrowserForFile } from './app'
import { addUser, eventually, fieldError, linesOf, panel, rowById, rows, pagesFor, VIA, type PanelName } from './ui'

// The two "add user" panels with JavaScript on: what each shows on success and on failure.

const app = serverAndBrowserForFile()

const open = pagesFor(() => app.browser)
const ROUND_TRIP = /^Round trip: \d+ ms$/

describe('home page', () => {
  it('is the User Directory with both panels, each with Name, Email and Add User', async () => {
    const { page } = await open(app.server.url)
    expect(await page.title()).toBe('User Directory')
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('User Directory')
    for (const name of ['Server Action', 'API Route'] as const) {
      const form = panel(page, name)
      expect(await form.name.count(), `${name}: a "Name" input`).toBe(1)
      expect(await form.email.count(), `${name}: an "Email (optional)" input`).toBe(1)
      expect(await form.submit.isEnabled(), `${name}: "Add User" enabled`).toBe(true)
      expect(await form.status.count(), `${name}: one status region`).toBe(1)
    }
    // This file's server started on an empty data directory and this test runs first.
    expect(await page.getByText('No users yet. Add one with either panel above.').isVisible(), 'the empty list note').toBe(true)
  })
})

describe('Server Action panel', () => {
  it('adds Alice: exact message, round trip time, listed as "server action", Name cleared', async () => {
    const { page } = await open(app.server.url)
    const form = await addUser(page, 'Server Action', { name: 'Alice' })

    await eventually(() => linesOf(form.status), 'Server Action status region').toEqual([
      'User Alice added via server action',
      expect.stringMatching(ROUND_TRIP),
    ])
    await eventually(
      async () => (await rows(page)).filter((row) => row.name === 'Alice' && row.via === 'server action').length,
      'rows named Alice added via "server action"',
    ).toBe(1)
    expect(await form.name.inputValue(), 'Name input after success').toBe('')
  })
})

describe('API Route panel', () => {
  it('adds Alice: message, HTTP 201, JSON body; listed as "API route" without a reload', async () => {
    const { page } = await open(app.server.url)
    // A marker on the window would not survive a full page load: it proves router.refresh() updated the list in place.
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true))
    const form = await addUser(page, 'API Route', { name: 'Alice' })

    await eventually(() => form.region.getByTestId('api-status').allInnerTexts(), 'HTTP status shown').toEqual(['201'])
    const lines = await linesOf(form.status)
    expect(lines[0], 'API panel message').toBe('User Alice added via API route')
    expect(lines[1], 'API panel meta line').toMatch(/^HTTP 201 · Round trip: \d+ ms$/)
    const body = JSON.parse(await form.region.getByLabel('Response body').innerText()) as {
      message: string
      user: { id: string; name: string; door: string }
    }
    expect(body).toMatchObject({ message: 'User Alice added via API route', user: { name: 'Alice', door: 'route' } })

    await eventually(() => rowById(page, body.user.id).locator('td').allInnerTexts(), `row ${body.user.id}`).toEqual([
      'Alice',
      '—',
      'API route',
      expect.stringMatching(/UTC$/),
      expect.any(String),
    ])
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), 'page was not reloaded').toBe(true)
    expect(await form.name.inputValue(), 'Name input after success').toBe('')
  })
})

describe('validation errors are shown next to the field and keep what was typed', () => {
  const cases: {
    panel: PanelName
    input: { name: string; email: string }
    field: 'name' | 'email'
    message: string
    httpStatus?: number
  }[] = [
    { panel: 'Server Action', input: { name: '   ', email: 'blank.name@example.com' }, field: 'name', message: 'Name is required' },
    { panel: 'Server Action', input: { name: 'Bad Email', email: 'not-an-email' }, field: 'email', message: 'Enter a valid email address, like ada@example.com' },
    { panel: 'API Route', input: { name: 'Bad Email', email: 'not-an-email' }, field: 'email', message: 'Enter a valid email address, like ada@example.com', httpStatus: 422 },
    { panel: 'API Route', input: { name: '   ', email: 'blank.api@example.com' }, field: 'name', message: 'Name is required', httpStatus: 422 },
  ]

  for (const { panel: name, input, field, message, httpStatus } of cases) {
    it(`${name}: ${field} error "${message}"${httpStatus ? ` (HTTP ${httpStatus})` : ''}`, async () => {
      const { page } = await open(app.server.url)
      const form = await addUser(page, name, input)
      const invalid = field === 'name' ? form.name : form.email
      const other = field === 'name' ? form.email : form.name

      await eventually(() => fieldError(invalid), `${name}: the ${field} input's error`).toEqual({
        ariaInvalid: 'true',
        describedBy: message,
        nextToInput: true,
        visible: true,
      })
      expect(await fieldError(other), `${name}: the other input is not marked invalid`).toMatchObject({ ariaInvalid: null, describedBy: null })
      expect(await form.email.inputValue(), 'Email keeps what was typed').toBe(input.email)
      expect(await form.name.inputValue(), 'Name keeps what was typed').toBe(input.name)
      if (httpStatus) {
        expect(await form.region.getByTestId('api-status').innerText(), 'HTTP status shown').toBe(String(httpStatus))
        const body = JSON.parse(await form.region.getByLabel('Response body').innerText()) as { issues?: unknown }
        expect(body.issues, 'problem+json issues').toEqual([{ path: field, message }])
      } else {
        expect((await linesOf(form.status))[0], 'form-level message').toBe('Please correct the fields marked below.')
      }
      expect((await rows(page)).filter((row) => row.name === input.name.trim()), 'nothing was added').toEqual([])
    })
  }
})

describe('an email already in use (any case) is refused by the Email field', () => {
  const cases: { panel: PanelName; email: string; httpStatus?: number }[] = [
    { panel: 'Server Action', email: 'dup.action@example.com' },
    { panel: 'API Route', email: 'dup.api@example.com', httpStatus: 409 },
  ]

  for (const { panel: name, email, httpStatus } of cases) {
    it(`${name}${httpStatus ? ` (HTTP ${httpStatus})` : ''}`, async () => {
      await seedUser(app.server.url, { name: 'First Owner', email })
      const { page } = await open(app.server.url)
      const typedEmail = email.toUpperCase()
      const form = await addUser(page, name, { name: `Second ${name}`, email: typedEmail })

      await eventually(() => fieldError(form.email), `${name}: the Email error`).toMatchObject({
        ariaInvalid: 'true',
        describedBy: expect.stringContaining('already used'),
        nextToInput: true,
        visible: true,
      })
      expect(await form.name.inputValue(), 'Name keeps what was typed').toBe(`Second ${name}`)
      expect(await form.email.inputValue(), 'Email keeps what was typed').toBe(typedEmail)
      if (httpStatus) expect(await form.region.getByTestId('api-status').innerText(), 'HTTP status shown').toBe(String(httpStatus))
      // The declared error's own message, not only the generic "Please correct the fields marked below."
      expect((await linesOf(form.status))[0], 'form-level message').toMatch(/^A user with the email \S+ already exists\.$/i)
      expect((await rows(page)).filter((row) => row.name === `Second ${name}`), 'nothing was added').toEqual([])
    })
  }
})

describe('a name that looks like HTML is shown as text', () => {
  const XSS = '<img src=x onerror=alert(1)>'

  for (const name of ['Server Action', 'API Route'] as const) {
    it(`added via the ${name} panel`, async () => {
      const { page, dialogs } = await open(app.server.url)
      const form = await addUser(page, name, { name: XSS })
      await eventually(() => linesOf(form.status), `${name} status`).toContain(`User ${XSS} added via ${VIA[name]}`)

      await eventually(
        async () => (await rows(page)).filter((row) => row.name === XSS && row.via === VIA[name]).length,
        `rows whose name cell reads ${XSS}, added via ${VIA[name]}`,
      ).toBe(1)
      expect(await page.locator('table img').count(), 'img elements inside the users table').toBe(0)
      expect(await page.locator('img').count(), 'img elements anywhere (the app has no images)').toBe(0)
      // Reload: the server-rendered HTML must escape it as well.
      await page.reload()
      expect((await rows(page)).filter((row) => row.name === XSS).length).toBeGreaterThanOrEqual(1)
      expect(await page.locator('img').count(), 'img elements after a reload').toBe(0)
      await page.waitForTimeout(200) // an onerror handler would have fired by now
      expect(dialogs, 'dialogs opened by the page').toEqual([])
    })
  }
})
