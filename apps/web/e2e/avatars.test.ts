import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { requestJson, seedUser, type ApiUser } from './api'
import { serverAndBrowserForFile } from './app'
import { linesOf, panel, rowById, submitAndWaitForLoad, pagesFor, eventually } from './ui'
import type { Page } from 'playwright-core'

// Avatars in Chromium: chosen with a file input, sent through the API panel (fetch, multipart) or the row's form
// (posted to the API route, JavaScript on or off), shown in the list as the stored 256 × 256 image.

const app = serverAndBrowserForFile()
const open = pagesFor(() => app.browser)

const png = (width: number, height: number, noise = false) =>
  noise
    ? sharp(Buffer.from(Array.from({ length: width * height * 3 }, (_, i) => (i * 7919) % 251)), { raw: { width, height, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer()
    : sharp({ create: { width, height, channels: 3, background: { r: 30, g: 140, b: 90 } } }).png().toBuffer()

/** The avatar image a row shows, once it has loaded: its natural size, or null when the row shows an initial. */
async function shownAvatar(page: Page, id: string): Promise<{ width: number; height: number } | null> {
  const image = rowById(page, id).locator('img.avatar')
  if ((await image.count()) === 0) return null
  await image.evaluate((element: HTMLImageElement) => (element.complete ? undefined : new Promise((resolve) => element.addEventListener('load', resolve, { once: true }))))
  return image.evaluate((element: HTMLImageElement) => ({ width: element.naturalWidth, height: element.naturalHeight }))
}

/** Chooses `file` in a row's Avatar form and submits it with `button`; waits for the page to load again without JavaScript. */
async function uploadFromRow(page: Page, user: ApiUser, file: { name: string; mimeType: string; buffer: Buffer }, { button = 'Upload', javaScriptEnabled = false } = {}) {
  const summary = rowById(page, user.id).locator('summary').filter({ hasText: /^Avatar$/ })
  // Open already when it shows an earlier answer.
  if (!(await summary.evaluate((element) => (element.parentElement as HTMLDetailsElement).open))) await summary.click()
  const form = page.getByRole('form', { name: `Avatar for ${user.name}` })
  await form.getByLabel(`Image for ${user.name}`).setInputFiles(file)
  if (javaScriptEnabled) await form.getByRole('button', { name: button, exact: true }).click()
  else await submitAndWaitForLoad(page, form.getByRole('button', { name: button, exact: true }))
  return form
}

describe('avatars', () => {
  it('the API panel adds a user with an avatar (typed client, multipart), shows the upload’s progress, and the list shows it at 256 × 256', async () => {
    const { page } = await open(app.server.url)
    const api = panel(page, 'API Route')
    await api.name.fill('Avatar Api Person')
    const image = await png(640, 640, true)
    await api.form.getByLabel(/^Avatar/).setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: image })
    await api.submit.click()
    await eventually(async () => (await linesOf(api.status))[0], 'the API panel answer').toBe('User Avatar Api Person added via API route')
    // The progress XMLHttpRequest reported: all of the multipart body, which holds the whole file.
    const sent = await page.getByTestId('api-uploaded').textContent()
    expect(await api.status.textContent()).toContain(`Sent ${sent} of ${sent} bytes`)
    expect(Number(sent)).toBeGreaterThan(image.length)
    const { body } = await requestJson<{ users: ApiUser[] }>(`${app.server.url}/api/users?q=Avatar%20Api%20Person`)
    const [user] = body.users
    await eventually(() => shownAvatar(page, user!.id), 'the row shows the stored avatar').toEqual({ width: 256, height: 256 })
  })

  for (const javaScriptEnabled of [true, false]) {
    it(`the Server Action panel adds a user with a small avatar through the action, JavaScript ${javaScriptEnabled ? 'on' : 'off'}`, async () => {
      const name = `Avatar Action Small ${javaScriptEnabled ? 'On' : 'Off'}`
      const { page } = await open(app.server.url, { javaScriptEnabled })
      const action = panel(page, 'Server Action')
      await action.name.fill(name)
      await action.form.getByLabel(/^Avatar/).setInputFiles({ name: 'small.png', mimeType: 'image/png', buffer: await png(120, 120) })
      if (javaScriptEnabled) await action.submit.click()
      else await submitAndWaitForLoad(page, action.submit)
      await eventually(async () => (await linesOf(action.status))[0], 'the Server Action panel answer').toBe(`User ${name} added via server action`)
      const { body } = await requestJson<{ users: ApiUser[] }>(`${app.server.url}/api/users?q=${encodeURIComponent(name)}`)
      await eventually(() => shownAvatar(page, body.users[0]!.id), 'the row shows the stored avatar').toEqual({ width: 256, height: 256 })
    })

    it(`the Server Action panel sends an avatar over 256 KB through the API route, JavaScript ${javaScriptEnabled ? 'on' : 'off'}`, async () => {
      const name = `Avatar Action Large ${javaScriptEnabled ? 'On' : 'Off'}`
      const { page } = await open(app.server.url, { javaScriptEnabled })
      const action = panel(page, 'Server Action')
      await action.name.fill(name)
      await action.form.getByLabel(/^Avatar/).setInputFiles({ name: 'large.png', mimeType: 'image/png', buffer: await png(640, 640, true) })
      // With JavaScript, the form sees the size and calls the route; without, the person picks the route's button.
      if (javaScriptEnabled) await action.submit.click()
      else await submitAndWaitForLoad(page, action.form.getByRole('button', { name: 'Send with a large avatar (API route)' }))
      await eventually(async () => (await linesOf(action.status))[0], 'the Server Action panel answer').toBe(`User ${name} added via API route`)
      const { body } = await requestJson<{ users: ApiUser[] }>(`${app.server.url}/api/users?q=${encodeURIComponent(name)}`)
      await eventually(() => shownAvatar(page, body.users[0]!.id), 'the row shows the stored avatar').toEqual({ width: 256, height: 256 })
    })

    it(`a row's form replaces an avatar through the Server Action, JavaScript ${javaScriptEnabled ? 'on' : 'off'}`, async () => {
      const user = await seedUser(app.server.url, { name: `Avatar Row Action ${javaScriptEnabled ? 'On' : 'Off'}` })
      const { page } = await open(app.server.url, { javaScriptEnabled })
      for (const colour of [{ r: 200, g: 20, b: 20 }, { r: 20, g: 20, b: 200 }]) {
        const small = await sharp({ create: { width: 100, height: 100, channels: 3, background: colour } }).png().toBuffer()
        const form = await uploadFromRow(page, user, { name: 'small.png', mimeType: 'image/png', buffer: small }, { javaScriptEnabled })
        await eventually(async () => linesOf(form.getByRole('status')), 'the row form’s answer').toEqual([`Avatar of ${user.name} updated`])
        // The stored image is the one just sent: its colour, at 256 × 256.
        await eventually(async () => {
          const response = await fetch(`${app.server.url}/api/users/${user.id}/avatar`)
          return response.ok ? (await sharp(Buffer.from(await response.arrayBuffer())).resize(1, 1).raw().toBuffer()).toJSON().data : null
        }, 'the stored avatar').toSatisfy((pixel: number[] | null) => pixel !== null && Math.abs(pixel[0]! - colour.r) < 10 && Math.abs(pixel[2]! - colour.b) < 10)
        await eventually(() => shownAvatar(page, user.id), 'the row shows the stored avatar').toEqual({ width: 256, height: 256 })
      }
    })

    it(`a row's form sets an avatar larger than a Server Action takes through the API route, JavaScript ${javaScriptEnabled ? 'on' : 'off'}`, async () => {
      const user = await seedUser(app.server.url, { name: `Avatar Row ${javaScriptEnabled ? 'On' : 'Off'}` })
      const { page } = await open(app.server.url, { javaScriptEnabled })
      // Uncompressed noise: about 1.2 MB, over the Server Action's 256 KB.
      const big = await png(640, 640, true)
      expect(big.length).toBeGreaterThan(1_000_000)
      // With JavaScript, the form sees the size and calls the route; without, the person picks the route's button,
      // and the route sends the browser back to this page with the outcome above the list.
      const form = await uploadFromRow(page, user, { name: 'big.png', mimeType: 'image/png', buffer: big }, { javaScriptEnabled, button: javaScriptEnabled ? 'Upload' : 'Upload over 256 KB (API route)' })
      if (javaScriptEnabled) await eventually(async () => linesOf(form.getByRole('status')), 'the row form’s answer').toEqual([`Avatar of ${user.name} updated`])
      else {
        expect(new URL(page.url()).pathname).toBe('/')
        expect(await linesOf(page.getByRole('status', { name: 'Avatar upload' }))).toEqual([`Avatar of ${user.name} updated`])
      }
      await eventually(() => shownAvatar(page, user.id), 'the row shows the stored avatar').toEqual({ width: 256, height: 256 })
    })
  }

  it('refuses an SVG with a message in the row, JavaScript off (through the Server Action), and stores nothing', async () => {
    const user = await seedUser(app.server.url, { name: 'Avatar Svg Person' })
    const { page } = await open(app.server.url, { javaScriptEnabled: false })
    const form = await uploadFromRow(page, user, { name: 'me.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') })
    expect(await linesOf(form.getByRole('status'))).toEqual(['This file is image/svg+xml; choose image/png, image/jpeg, image/webp.'])
    expect(await shownAvatar(page, user.id)).toBeNull()
    expect((await fetch(`${app.server.url}/api/users/${user.id}/avatar`)).status).toBe(404)
  })

  it('refuses an SVG posted to the API route by a browser form, JavaScript off: back on the page with the message', async () => {
    const user = await seedUser(app.server.url, { name: 'Avatar Svg Route Person' })
    const { page } = await open(app.server.url, { javaScriptEnabled: false })
    await uploadFromRow(page, user, { name: 'me.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') }, { button: 'Upload over 256 KB (API route)' })
    expect(await linesOf(page.getByRole('status', { name: 'Avatar upload' }))).toEqual(['This file is image/svg+xml; choose image/png, image/jpeg, image/webp.'])
    expect((await fetch(`${app.server.url}/api/users/${user.id}/avatar`)).status).toBe(404)
  })
})
