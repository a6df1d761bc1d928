import { existsSync, readdirSync } from 'node:fs'
import { formAction, idle } from 'actionroute'
import { withActionContext } from 'actionroute/testing'
import { eq } from 'drizzle-orm'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import * as avatarRoute from '@/app/api/users/[id]/avatar/route'
import * as usersRoute from '@/app/api/users/route'
import * as userRoute from '@/app/api/users/[id]/route'
import { avatars, users } from '@/server/db/schema'
import { setupTestDatabase } from '@/test/support/database'
import { AVATAR_MAX_PIXELS, sweepAvatarFiles } from './avatars'
import { addUser, setAvatar } from './operations'

// Avatars through both doors, on each database: stored as a 256 × 256 WebP, served with its ETag, refused with a
// message on the field, and never left behind.
const database = setupTestDatabase()
const params = (id: string) => ({ params: Promise.resolve({ id }) })

const image = (format: 'png' | 'jpeg' | 'webp', width = 40, height = 30) =>
  sharp({ create: { width, height, channels: 3, background: { r: 10, g: 120, b: 200 } } }).toFormat(format).toBuffer()

async function addWithAvatar(name: string, file?: File): Promise<Response> {
  const form = new FormData()
  form.set('name', name)
  if (file) form.set('avatar', file)
  return usersRoute.POST(new Request('http://test/api/users', { method: 'POST', body: form }), { params: Promise.resolve({}) })
}
const putAvatar = (id: string, file: File, method: 'PUT' | 'POST' = 'PUT', headers: Record<string, string> = {}) => {
  const form = new FormData()
  form.set('avatar', file)
  return avatarRoute[method](new Request(`http://test/api/users/${id}/avatar`, { method, body: form, headers }), params(id))
}
const getAvatar = (id: string, headers: Record<string, string> = {}, query = '') => avatarRoute.GET(new Request(`http://test/api/users/${id}/avatar${query}`, { headers }), params(id))
const filesLeft = () => {
  const dir = database().filesDir
  return dir ? readdirSync(dir) : []
}

describe('avatars', () => {
  it('adds a user with an avatar through the route: stored as a 256 × 256 WebP, served with its ETag', async () => {
    const added = await addWithAvatar('Ada', new File([await image('png')], 'ada.png', { type: 'image/png' }))
    expect(added.status).toBe(201)
    const { user } = (await added.json()) as { user: { id: string; avatarEtag: string } }
    expect(user.avatarEtag).toMatch(/^"[\w-]{22}"$/)
    const served = await getAvatar(user.id)
    expect([served.status, served.headers.get('content-type'), served.headers.get('etag'), served.headers.get('x-content-type-options'), served.headers.get('cache-control')]).toEqual([200, 'image/webp', user.avatarEtag, 'nosniff', 'no-cache'])
    expect(await sharp(Buffer.from(await served.arrayBuffer())).metadata()).toMatchObject({ format: 'webp', width: 256, height: 256 })
    // Revalidation and a versioned URL.
    expect((await getAvatar(user.id, { 'if-none-match': user.avatarEtag })).status).toBe(304)
    expect((await getAvatar(user.id, {}, `?v=${user.avatarEtag.slice(1, -1)}`)).headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
  })

  it('replaces an avatar (PUT, and POST for a form), leaving one stored image; deleting the user deletes it', async () => {
    const { user } = (await (await addWithAvatar('Grace', new File([await image('jpeg')], 'g.jpg'))).json()) as { user: { id: string; avatarEtag: string } }
    const replaced = await putAvatar(user.id, new File([await image('webp', 10, 80)], 'g.webp'))
    expect(replaced.status).toBe(200)
    const body = (await replaced.json()) as { message: string; user: { avatarEtag: string } }
    expect(body.message).toBe('Avatar of Grace updated')
    expect(body.user.avatarEtag).not.toBe(user.avatarEtag)
    expect((await getAvatar(user.id)).headers.get('etag')).toBe(body.user.avatarEtag)
    expect((await putAvatar(user.id, new File([await image('png', 5, 5)], 'g.png'), 'POST')).status).toBe(200)
    const rows = await database().db.select({ userId: avatars.userId }).from(avatars).where(eq(avatars.userId, user.id))
    expect(rows).toHaveLength(1)
    if (database().filesDir) expect(filesLeft().filter((name) => name.startsWith(user.id))).toHaveLength(1)
    expect((await userRoute.DELETE(new Request(`http://test/api/users/${user.id}`, { method: 'DELETE' }), params(user.id))).status).toBe(204)
    expect((await getAvatar(user.id)).status).toBe(404)
    expect(filesLeft().filter((name) => name.startsWith(user.id))).toEqual([])
  })

  it('refuses SVG, a polyglot, a renamed JPEG is taken for what it is, a decompression bomb is refused from its header', async () => {
    const { user } = (await (await addWithAvatar('Linus')).json()) as { user: { id: string } }
    const svg = await putAvatar(user.id, new File(['<svg xmlns="http://www.w3.org/2000/svg"/>'], 'a.svg', { type: 'image/svg+xml' }))
    expect([svg.status, ((await svg.json()) as { issues: unknown }).issues]).toEqual([415, [{ path: 'avatar', message: 'This file is image/svg+xml; choose image/png, image/jpeg, image/webp.' }]])
    const png = await image('png')
    const polyglot = await putAvatar(user.id, new File([png.subarray(0, 33), '<html><script>alert(1)</script></html>'], 'a.png', { type: 'image/png' }))
    expect([polyglot.status, ((await polyglot.json()) as { issues: unknown }).issues]).toEqual([422, [{ path: 'avatar', message: 'The file is not a readable PNG, JPEG or WebP image' }]])
    // A JPEG named .png with a PNG's type: stored, as the JPEG it is.
    expect((await putAvatar(user.id, new File([await image('jpeg')], 'me.png', { type: 'image/png' }))).status).toBe(200)
    // A PNG header claiming 60,000 × 60,000 pixels (3.6 gigapixels): refused before decoding.
    const bomb = Buffer.from(png)
    bomb.writeUInt32BE(60_000, 16)
    bomb.writeUInt32BE(60_000, 20)
    const started = performance.now()
    const refused = await putAvatar(user.id, new File([bomb], 'bomb.png'))
    expect([refused.status, ((await refused.json()) as { issues: unknown }).issues]).toEqual([422, [{ path: 'avatar', message: `The image is larger than ${AVATAR_MAX_PIXELS / 1_000_000} megapixels` }]])
    expect(performance.now() - started).toBeLessThan(2_000)
  })

  it('adds no user when the avatar is refused, on both doors', async () => {
    const before = (await database().db.select().from(users)).length
    expect((await addWithAvatar('Nobody', new File(['not an image'], 'x.png', { type: 'image/png' }))).status).toBe(415)
    const state = await withActionContext({}, () => {
      const form = new FormData()
      form.set('name', 'Nobody')
      form.set('avatar', new File([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8])], 'x.png'))
      return formAction(addUser)(idle, form)
    })
    expect(state).toMatchObject({ status: 'error', fieldErrors: { avatar: ['The file is not a readable PNG, JPEG or WebP image'] }, values: { name: 'Nobody' } })
    expect(await database().db.select().from(users)).toHaveLength(before)
  })

  it('sets an avatar through the Server Action door too, and 404s an unknown user', async () => {
    const { user } = (await (await addWithAvatar('Barbara')).json()) as { user: { id: string } }
    const form = new FormData()
    form.set('id', user.id)
    form.set('avatar', new File([await image('png')], 'b.png'))
    expect(await withActionContext({}, () => formAction(setAvatar)(idle, form))).toMatchObject({ status: 'success', message: 'Avatar of Barbara updated' })
    expect((await getAvatar(user.id)).status).toBe(200)
    const missing = await putAvatar('6f1c1c1e-8d5b-4a55-9a55-0d1f3a3bffff', new File([await image('png')], 'b.png'))
    expect(missing.status).toBe(404)
  })

  it('leaves nothing behind: no stray file after all of the above, and the start-up sweep removes what a crash left', async () => {
    const dir = database().filesDir
    if (!dir) return
    const { writeFileSync } = await import('node:fs')
    // What earlier tests left when the harness emptied the tables between them (not through deleteUser).
    await sweepAvatarFiles(database())
    writeFileSync(`${dir}/.half-written.tmp`, 'x')
    writeFileSync(`${dir}/6f1c1c1e-8d5b-4a55-9a55-0d1f3a3bffff.AAAAAAAAAAAAAAAAAAAAAA.webp`, 'x')
    expect(await sweepAvatarFiles(database())).toBe(2)
    const named = await database().db.select().from(avatars)
    expect(filesLeft().sort()).toEqual(named.map(({ userId, etag }) => `${userId}.${etag.slice(1, -1)}.webp`).sort())
    expect(existsSync(`${dir}/.half-written.tmp`)).toBe(false)
  })
})
