import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { OperationError } from '../core/errors'
import { acceptsType, checkFormFiles, fileRulesFor, formatBytes, sniffType } from './files'

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const JPEG = [0xff, 0xd8, 0xff, 0xe0]
const WEBP = [...Buffer.from('RIFF'), 1, 2, 3, 4, ...Buffer.from('WEBPVP8 ')]
const bytes = (...parts: (number[] | string)[]) => new Uint8Array(parts.flatMap((part) => (typeof part === 'string' ? [...Buffer.from(part)] : part)))

describe('sniffType', () => {
  it('names a file by its first bytes, never by what the client claims', () => {
    expect(sniffType(bytes(PNG, 'rest'), 'image/png')).toBe('image/png')
    expect(sniffType(bytes(JPEG), 'image/png')).toBe('image/jpeg')
    expect(sniffType(bytes(PNG), 'image/jpeg')).toBe('image/png')
    expect(sniffType(bytes(WEBP), '')).toBe('image/webp')
    expect(sniffType(bytes('GIF89a'), 'text/plain')).toBe('image/gif')
    expect(sniffType(bytes('%PDF-1.7'), 'application/octet-stream')).toBe('application/pdf')
    // A claim of a format with a signature, without the signature: not that format.
    expect(sniffType(bytes('<html>'), 'image/png')).toBe('application/octet-stream')
    // Text keeps the type it claims (nothing in its bytes says otherwise), binary bytes without a signature do not.
    expect(sniffType(bytes('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/svg+xml')).toBe('image/svg+xml')
    expect(sniffType(bytes('name,email\nAda,ada@example.com'), 'text/csv')).toBe('text/csv')
    expect(sniffType(bytes('plain'), '')).toBe('text/plain')
    expect(sniffType(bytes([0, 1, 2, 3]), 'text/csv')).toBe('application/octet-stream')
  })

  it('says image/png exactly when the bytes start with the PNG signature, whatever else is claimed (generated)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), fc.boolean(), fc.constantFrom('', 'image/png', 'image/jpeg', 'text/plain', 'image/svg+xml'), (tail, signed, claimed) => {
        const head = signed ? new Uint8Array([...PNG, ...tail]) : tail
        const startsPng = PNG.every((byte, i) => head[i] === byte)
        expect(sniffType(head.subarray(0, 16), claimed) === 'image/png').toBe(startsPng)
      }),
      { numRuns: 2_000 },
    )
  })
})

describe('acceptsType', () => {
  it('matches media types exactly or by a type/* wildcard, ignoring case and parameters', () => {
    expect(acceptsType([], 'anything/at-all')).toBe(true)
    expect(acceptsType(['image/png', 'image/jpeg'], 'image/png')).toBe(true)
    expect(acceptsType(['image/*'], 'image/webp')).toBe(true)
    expect(acceptsType(['image/*'], 'imagex/webp')).toBe(false)
    expect(acceptsType(['TEXT/CSV'], 'text/csv; charset=utf-8')).toBe(true)
    expect(acceptsType(['image/png'], 'image/svg+xml')).toBe(false)
  })
})

describe('fileRulesFor', () => {
  it("reads each file field's limit and media types from a zod schema", () => {
    const schema = z.object({
      name: z.string(),
      avatar: z.file().max(5_000_000).mime(['image/png', 'image/jpeg']).optional(),
      docs: z.array(z.file().max(1_000)).max(3),
    })
    expect(Object.fromEntries(fileRulesFor(schema)!)).toEqual({
      avatar: { maxSize: 5_000_000, types: ['image/png', 'image/jpeg'], many: false, maxItems: undefined },
      docs: { maxSize: 1_000, types: [], many: true, maxItems: 3 },
    })
  })
})

describe('checkFormFiles (the action door)', () => {
  const rules = fileRulesFor(z.object({ name: z.string(), avatar: z.file().max(100).mime(['image/png']).optional() }))
  const form = (...entries: [string, string | File][]) => {
    const data = new FormData()
    for (const [name, value] of entries) data.append(name, value)
    return data
  }
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: OperationError) => ({ code: error.code, status: error.status, issues: error.issues }),
    )

  it('hands on each file with its sniffed type, drops an empty file input, keeps the fields', async () => {
    const checked = await checkFormFiles(form(['name', 'Ada'], ['avatar', new File([bytes(PNG)], 'me.bin', { type: 'application/octet-stream' })]), rules)
    const avatar = checked.get('avatar') as File
    expect([checked.get('name'), avatar.name, avatar.type, avatar.size]).toEqual(['Ada', 'me.bin', 'image/png', 8])
    const empty = await checkFormFiles(form(['name', 'Ada'], ['avatar', new File([], '', { type: 'application/octet-stream' })]), rules)
    expect([...empty.keys()]).toEqual(['name'])
    // The same input through a Server Action called from JavaScript: renamed, untyped.
    const renamed = await checkFormFiles(form(['name', 'Ada'], ['avatar', new File([], 'blob', { type: '' })]), rules)
    expect([...renamed.keys()]).toEqual(['name'])
    // An empty file with a name and a type of its own is a file.
    const notes = await checkFormFiles(form(['notes', new File([], 'notes.csv', { type: 'text/csv' })]), fileRulesFor(z.object({ notes: z.file() })))
    expect((notes.get('notes') as File).type).toBe('text/csv')
  })

  it('refuses a file too large (413), of another type (415), in a field that takes none or sent twice (400), each on its field', async () => {
    const png = (size: number) => new File([bytes(PNG, 'x'.repeat(size - PNG.length))], 'a.png', { type: 'image/png' })
    expect(await refusal(checkFormFiles(form(['avatar', png(101)]), rules))).toEqual({
      code: 'PAYLOAD_TOO_LARGE',
      status: 413,
      issues: [{ path: 'avatar', message: 'The file is larger than 100 bytes.' }],
    })
    expect(await refusal(checkFormFiles(form(['avatar', new File(['<svg/>'], 'a.png', { type: 'image/png' })]), rules))).toMatchObject({ status: 415, issues: [{ path: 'avatar' }] })
    expect(await refusal(checkFormFiles(form(['avatar', new File([bytes(JPEG)], 'a.png', { type: 'image/png' })]), rules))).toMatchObject({
      issues: [{ message: 'This file is image/jpeg; choose image/png.' }],
    })
    expect(await refusal(checkFormFiles(form(['name', png(10)]), rules))).toMatchObject({ status: 400, issues: [{ path: 'name', message: 'This file is not a file field of this operation.' }] })
    expect(await refusal(checkFormFiles(form(['avatar', png(10)], ['avatar', png(10)]), rules))).toMatchObject({ status: 400, issues: [{ message: 'This file was sent more than once.' }] })
  })
})

describe('formatBytes', () => {
  it('writes sizes as people read them', () => {
    expect([formatBytes(100), formatBytes(1536), formatBytes(5 * 1024 * 1024), formatBytes(5_000_000)]).toEqual(['100 bytes', '1.5 KB', '5 MB', '4.8 MB'])
  })
})
