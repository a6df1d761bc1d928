import { createHash, randomUUID } from 'node:crypto'
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises'
import path from 'node:path'
import { eq, sql } from 'drizzle-orm'
import sharp from 'sharp'
import { z } from 'zod'
import { OperationError } from 'actionroute'
import { requestDatabase } from '@/server/db/for-requests'
import type { Database } from '@/server/db/client'
import { avatars, users } from '@/server/db/schema'
import { isUuid } from './cursor'

// Avatars: what a user may upload, how it is stored (a 256×256 WebP made from it), and where (beside PGlite's
// data under DATA_DIR, or in PostgreSQL so that every instance serves every avatar).

export const AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const
export const AVATAR_MAX_BYTES = 5 * 1024 * 1024
/** An image that decodes to more pixels is refused before it is decoded: 40 MP is a 7,300 × 5,500 photo. */
export const AVATAR_MAX_PIXELS = 40_000_000
export const AVATAR_SIZE = 256
export const AVATAR_TYPE = 'image/webp'

/** The upload: checked by actionroute on both doors while it arrives (size, and type from its bytes). */
export const avatarFile = z
  .file({ error: 'Choose an image file' })
  .max(AVATAR_MAX_BYTES, 'The image must be at most 5 MB')
  .mime([...AVATAR_TYPES], 'Choose a PNG, JPEG or WebP image')
  .meta({ description: 'A PNG, JPEG or WebP image of at most 5 MB (its type is read from its bytes); stored as a 256 × 256 WebP' })

const unreadable = (message: string, cause?: unknown) =>
  new OperationError('VALIDATION_FAILED', message, { issues: [{ path: 'avatar', message }], cause })

// Decoding is CPU and memory: at most two at a time in the process, whatever the number of uploads; the others'
// files wait on disk.
const DECODERS = 2
let decoding = 0
const waiting: (() => void)[] = []
async function oneOfFew<T>(work: () => Promise<T>): Promise<T> {
  if (decoding >= DECODERS) await new Promise<void>((resolve) => waiting.push(resolve))
  decoding++
  try {
    return await work()
  } finally {
    decoding--
    waiting.shift()?.()
  }
}

/**
 * The stored form of an upload: turned upright, cropped to a square, 256 × 256, WebP, metadata dropped. An image
 * of more than AVATAR_MAX_PIXELS is refused from its header, before its pixels are decoded; one that does not
 * decode (cut short, or only a PNG's first bytes in front of something else) is refused too, on the avatar field.
 */
export async function normaliseAvatar(file: File): Promise<Buffer> {
  return oneOfFew(async () => {
    const input = Buffer.from(await file.arrayBuffer())
    try {
      return await sharp(input, { limitInputPixels: AVATAR_MAX_PIXELS, failOn: 'error', animated: false })
        .rotate()
        .resize(AVATAR_SIZE, AVATAR_SIZE, { fit: 'cover' })
        .webp({ quality: 82 })
        .toBuffer()
    } catch (error) {
      if (/pixel limit/i.test((error as Error).message)) {
        throw unreadable(`The image is larger than ${AVATAR_MAX_PIXELS / 1_000_000} megapixels`, error)
      }
      throw unreadable('The file is not a readable PNG, JPEG or WebP image', error)
    }
  })
}

export interface StoredAvatar {
  etag: string
  contentType: string
  size: number
  updatedAt: Date
  bytes: Uint8Array
}

/** Quoted, as an ETag header carries it: a digest of the stored bytes. */
const etagOf = (image: Buffer) => `"${createHash('sha256').update(image).digest('base64url').slice(0, 22)}"`
/** A file's name for a user's avatar of one version: the etag's characters are base64url, safe in a name. */
const fileName = (userId: string, etag: string) => `${userId}.${etag.slice(1, -1)}.webp`

/**
 * Stores `image` as the user's avatar and marks the user with its version, in one transaction; false when there
 * is no such user. With PGlite the bytes are written to a temporary file, flushed and renamed into place before
 * the row points to them, so a crash at any point leaves the old avatar or the new one, never half of one; the
 * file the row no longer names is removed after the commit.
 */
export async function saveAvatar(userId: string, image: Buffer): Promise<{ etag: string } | null> {
  if (!isUuid(userId)) return null
  const database = await requestDatabase()
  const etag = etagOf(image)
  const dir = database.filesDir
  let placed: string | undefined
  if (dir) {
    placed = path.join(dir, fileName(userId, etag))
    await writeDurably(dir, placed, image)
  }
  let previous: string | null | undefined
  try {
    previous = await database.db.transaction(async (tx) => {
      const [before] = await tx.select({ etag: users.avatarEtag }).from(users).where(eq(users.id, userId)).for('update')
      if (!before) return undefined
      const row = { etag, contentType: AVATAR_TYPE, size: image.length, image: dir ? null : image, updatedAt: sql`now()` }
      await tx.insert(avatars).values({ userId, ...row }).onConflictDoUpdate({ target: avatars.userId, set: row })
      await tx.update(users).set({ avatarEtag: etag, updatedAt: sql`now()` }).where(eq(users.id, userId))
      return before.etag
    })
  } catch (error) {
    if (placed) await unlink(placed).catch(() => {})
    throw error
  }
  if (previous === undefined) {
    if (placed) await unlink(placed).catch(() => {})
    return null
  }
  if (dir && previous && previous !== etag) await unlink(path.join(dir, fileName(userId, previous))).catch(() => {})
  return { etag }
}

/** Written to a temporary name, flushed to disk, renamed: the final name only ever holds a whole file. */
async function writeDurably(dir: string, target: string, bytes: Buffer): Promise<void> {
  const temporary = path.join(dir, `.${randomUUID()}.tmp`)
  const handle = await open(temporary, 'wx', 0o600)
  try {
    await handle.writeFile(bytes)
    await handle.sync()
  } catch (error) {
    await handle.close()
    await unlink(temporary).catch(() => {})
    throw error
  }
  await handle.close()
  await rename(temporary, target)
}

/** The user's avatar, or null when there is none (or no such user). */
export async function findAvatar(userId: string): Promise<StoredAvatar | null> {
  if (!isUuid(userId)) return null
  const database = await requestDatabase()
  const [row] = await database.db.select().from(avatars).where(eq(avatars.userId, userId))
  if (!row) return null
  const bytes = database.filesDir ? await readFile(path.join(database.filesDir, fileName(userId, row.etag))).catch(() => null) : row.image
  // A row without its file: the file was removed by hand. Nothing to serve.
  if (!bytes) return null
  return { etag: row.etag, contentType: row.contentType, size: row.size, updatedAt: row.updatedAt, bytes }
}

/** After a user is deleted (the row went with it, by cascade): their avatar's file, when it is one. */
export async function removeAvatarFile(userId: string, etag: string | null): Promise<void> {
  const dir = (await requestDatabase()).filesDir
  // The one file the row named: no listing of the directory per delete. A stray (a crash between) goes at start-up.
  if (dir && etag) await unlink(path.join(dir, fileName(userId, etag))).catch(() => {})
}

/**
 * At start-up, with PGlite: removes what an interrupted upload or delete left in the files directory (a temporary
 * file, or a file no avatar row names), so nothing accumulates. Returns how many files it removed.
 */
export async function sweepAvatarFiles(database: Database): Promise<number> {
  const dir = database.filesDir
  if (!dir) return 0
  const rows = await database.db.select({ userId: avatars.userId, etag: avatars.etag }).from(avatars)
  const named = new Set(rows.map(({ userId, etag }) => fileName(userId, etag)))
  const stray = (await readdir(dir)).filter((name) => !named.has(name))
  await Promise.all(stray.map((name) => unlink(path.join(dir, name)).catch(() => {})))
  return stray.length
}
