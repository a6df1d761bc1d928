import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { OperationError } from '../core/errors'
import { action, formAction, idle, operation, route } from '../index'
import { withActionContext } from '../testing'
import { fileRulesFor } from './files'
import { BATCH_BYTES, readMultipart } from './multipart'
import { temporaryFiles, type FileSink, type FileTarget } from './upload'
import { streamedRequest } from './streamed.fixture'

// Files streamed into the temporary-file sink: what arrives is what the handler reads, limits stop the reading,
// and nothing is left on disk whatever happens.

const root = mkdtempSync(path.join(tmpdir(), 'actionroute-upload-test-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let dirs = 0
/** A directory of its own for one test's sinks: empty again once every upload in it has ended. */
const freshDir = () => {
  const dir = path.join(root, String(++dirs))
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir)
  return dir
}
const leftIn = (dir: string) => readdirSync(dir, { recursive: true })

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
const MULTIPART = 'multipart/form-data; boundary=b'
const fileHead = (field: string, filename: string, type = 'application/octet-stream') =>
  `--b\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`

/** A multipart request whose body is `chunks`, then (unless `endless`) nothing; `pulled` counts the bytes the reader took. */
const streamed = (chunks: Uint8Array[], { endless, signal }: { endless?: Uint8Array; signal?: AbortSignal } = {}) =>
  streamedRequest('http://test/upload', chunks, { headers: { 'content-type': MULTIPART }, endless, signal })

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => {
      if (!(error instanceof OperationError)) throw error
      return { status: error.status, message: error.message }
    },
  )

describe('readMultipart with a sink', () => {
  const rules = fileRulesFor(z.object({ note: z.string().optional(), docs: z.array(z.file().max(4_096)).max(5) }))

  it('streams files to disk and hands each on as a lazy File of the same bytes, for generated bodies cut anywhere', async () => {
    const dir = freshDir()
    const entry = fc.oneof(
      fc.record({ note: fc.string({ maxLength: 30 }).filter((text) => !/[\r\n]/.test(text)) }),
      fc.record({ bytes: fc.uint8Array({ maxLength: 4_096 }), name: fc.constantFrom('a.txt', 'pic.png', '../../etc/passwd', 'x\u202Egnp.exe') }),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 5 }), fc.array(fc.integer({ min: 1, max: 4_000 }), { maxLength: 6 }), async (entries, cuts) => {
        const form = new FormData()
        for (const item of entries) {
          if ('note' in item) form.append('note', item.note)
          else form.append('docs', new File([item.bytes], item.name, { type: 'application/octet-stream' }))
        }
        const encoded = new Request('http://test/', { method: 'POST', body: form })
        const body = new Uint8Array(await encoded.arrayBuffer())
        const chunks: Uint8Array<ArrayBuffer>[] = []
        let from = 0
        for (const cut of [...cuts, body.length]) {
          chunks.push(body.subarray(from, Math.min(body.length, from + cut)))
          from = Math.min(body.length, from + cut)
        }
        const request = new Request('http://test/', { method: 'POST', body: new Blob(chunks).stream(), headers: { 'content-type': encoded.headers.get('content-type')! }, duplex: 'half' } as RequestInit)
        const sink = temporaryFiles(dir)
        try {
          const parsed = await readMultipart(request, {}, { sink, rules })
          const got = await Promise.all([...parsed].map(async ([name, value]) => (typeof value === 'string' ? [name, value] : [name, value.name, [...new Uint8Array(await value.arrayBuffer())]])))
          const want = entries
            // No bytes and application/octet-stream: an empty file input, "no file chosen" (isNoFile).
            .filter((item) => 'note' in item || item.bytes.length > 0)
            .map((item) => ('note' in item ? ['note', item.note] : ['docs', item.name, [...item.bytes]]))
          expect(got).toEqual(want)
        } finally {
          await sink.dispose()
        }
        expect(leftIn(dir)).toEqual([])
      }),
      { numRuns: 60 },
    )
  })

  it('answers 413 for a file past its limit after reading little more than the limit, and leaves nothing behind', async () => {
    const dir = freshDir()
    // Small chunks: the file is on disk, partly written, when the limit is passed.
    const chunk = new Uint8Array(1_024).fill(0x61)
    const { request, pulled } = streamed([Buffer.from(fileHead('docs', 'big.txt', 'text/plain'))], { endless: chunk })
    expect(await refusal(readMultipart(request, {}, { sink: temporaryFiles(dir), rules }))).toEqual({ status: 413, message: 'The file "docs" is larger than 4,096 bytes.' })
    expect(pulled.bytes).toBeLessThan(4_096 + 3 * chunk.byteLength)
    expect(leftIn(dir)).toEqual([])
  })

  it('answers 415 as soon as the first bytes show a type the field does not take', async () => {
    const dir = freshDir()
    const images = fileRulesFor(z.object({ avatar: z.file().mime(['image/png', 'image/webp']) }))
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    const { request, pulled } = streamed([Buffer.from(fileHead('avatar', 'cat.png', 'image/png')), svg], { endless: new Uint8Array(65_536) })
    expect(await refusal(readMultipart(request, {}, { sink: temporaryFiles(dir), rules: images }))).toEqual({
      status: 415,
      message: 'The file "avatar" is application/octet-stream; it must be image/png, image/webp.',
    })
    expect(pulled.bytes).toBeLessThan(200_000)
    expect(leftIn(dir)).toEqual([])
  })

  it('stops at the file past the most a field takes, and refuses a file in a field that is not a file field', async () => {
    const dir = freshDir()
    const file = Buffer.from(`${fileHead('docs', 'a.txt', 'text/plain')}hello\r\n`)
    const { request } = streamed([], { endless: file })
    expect(await refusal(readMultipart(request, {}, { sink: temporaryFiles(dir), rules }))).toEqual({ status: 400, message: 'The file "docs" is one more than the 5 this field takes.' })
    const other = streamed([Buffer.from(`${fileHead('note', 'a.txt')}x\r\n--b--\r\n`)])
    expect(await refusal(readMultipart(other.request, {}, { sink: temporaryFiles(dir), rules }))).toEqual({ status: 400, message: 'The file "note" is not a file field of this operation.' })
    expect(leftIn(dir)).toEqual([])
  })

  describe('in batches', () => {
    const big = fileRulesFor(z.object({ big: z.file().max(3 * BATCH_BYTES) }))
    const CHUNK = 32 * 1024
    /** `bytes` as a file part of a whole body, cut into CHUNK-byte chunks (as a socket hands them out), or not cut. */
    const chunked = (bytes: Uint8Array, { tail = '\r\n--b--\r\n', cut = true } = {}) => {
      const [head, end] = [Buffer.from(fileHead('big', 'big.bin')), Buffer.from(tail)]
      if (!cut) return [head, bytes, end]
      const body = Buffer.concat([head, bytes, end])
      const chunks: Uint8Array[] = []
      for (let at = 0; at < body.length; at += CHUNK) chunks.push(body.subarray(at, at + CHUNK))
      return chunks
    }
    /** temporaryFiles(dir), each write seen: its size, and how many were under way at once. */
    const watched = (dir: string, { joined = false, gate }: { joined?: boolean; gate?: Promise<void> } = {}) => {
      const inner = temporaryFiles(dir)
      const seen = { writes: [] as number[], busy: 0, mostBusy: 0 }
      const watch = async (size: number, write: () => Promise<void>) => {
        seen.mostBusy = Math.max(seen.mostBusy, ++seen.busy)
        await gate
        await write()
        seen.writes.push(size)
        seen.busy--
      }
      const sink: FileSink = {
        async create(file) {
          const target = await inner.create(file)
          const watchedTarget: FileTarget = {
            write: (bytes) => watch(bytes.byteLength, () => target.write(bytes)),
            finish: () => target.finish(),
          }
          // Without writev, as a sink of one's own may be: the parser joins each batch for write().
          if (!joined) watchedTarget.writev = (pieces) => watch(Buffer.concat(pieces).byteLength, () => target.writev!(pieces))
          return watchedTarget
        },
        dispose: () => inner.dispose(),
      }
      return { sink, seen }
    }

    it('writes a file that ends at a batch boundary, or a byte either side, whole, a batch at a time', async () => {
      const dir = freshDir()
      for (const size of [BATCH_BYTES - 1, BATCH_BYTES, BATCH_BYTES + 1, 2 * BATCH_BYTES, 3 * BATCH_BYTES]) {
        // Not cut, a file of BATCH_BYTES fills its batch with the bytes held back for a delimiter, and ends there.
        for (const [cut, joined] of [[true, false], [true, true], [false, false]]) {
          const bytes = randomBytes(size)
          const { request } = streamed(chunked(bytes, { cut }))
          const { sink, seen } = watched(dir, { joined })
          try {
            const file = (await readMultipart(request, {}, { sink, rules: big })).get('big') as File
            expect(Buffer.from(await file.arrayBuffer()).equals(bytes)).toBe(true)
          } finally {
            await sink.dispose()
          }
          expect(seen.writes.reduce((sum, n) => sum + n, 0)).toBe(size)
          expect(seen.writes.every((n) => n > 0)).toBe(true)
          // A batch is written once it holds BATCH_BYTES, so it may have the rest of a chunk beyond.
          if (cut) expect(seen.writes.slice(0, -1).every((n) => n >= BATCH_BYTES && n < BATCH_BYTES + CHUNK)).toBe(true)
          expect(seen.mostBusy).toBe(1)
        }
      }
      expect(leftIn(dir)).toEqual([])
    })

    it('answers 413 when the limit is passed inside a batch, after batches were written, and leaves nothing behind', async () => {
      const dir = freshDir()
      // Not the whole file: the body goes on, past the field's limit, 1.5 batches past the last written one.
      const { request, pulled } = streamed(chunked(randomBytes(3 * BATCH_BYTES + BATCH_BYTES / 2), { tail: '' }))
      const { sink, seen } = watched(dir)
      expect(await refusal(readMultipart(request, {}, { sink, rules: big }))).toEqual({ status: 413, message: 'The file "big" is larger than 786,432 bytes.' })
      expect(seen.writes.length).toBeGreaterThanOrEqual(2)
      // Decided as the bytes arrived, not when a batch was full.
      expect(pulled.bytes).toBeLessThan(3 * BATCH_BYTES + 3 * CHUNK)
      expect(leftIn(dir)).toEqual([])
    })

    it('reads at most one batch ahead of a write that is under way', async () => {
      const dir = freshDir()
      let open!: () => void
      const { request, pulled } = streamed(chunked(randomBytes(3 * BATCH_BYTES)))
      const { sink, seen } = watched(dir, { gate: new Promise((resolve) => (open = resolve)) })
      const parsed = readMultipart(request, {}, { sink, rules: big })
      // The first batch is held at the gate while the second fills (on a busy machine, give it time), then no more is read.
      for (const deadline = Date.now() + 15_000; (seen.busy === 0 || pulled.bytes <= 2 * BATCH_BYTES) && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 10))
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(seen.busy).toBe(1)
      expect(pulled.bytes).toBeGreaterThan(2 * BATCH_BYTES)
      expect(pulled.bytes).toBeLessThan(2 * BATCH_BYTES + 3 * CHUNK)
      open()
      try {
        expect(((await parsed).get('big') as File).size).toBe(3 * BATCH_BYTES)
      } finally {
        await sink.dispose()
      }
      expect(leftIn(dir)).toEqual([])
    })
  })

  it('removes a half-written file when the client goes away mid-upload, and says the body was cut off', async () => {
    const dir = freshDir()
    const abort = new AbortController()
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (++sent === 1) return controller.enqueue(Buffer.from(fileHead('docs', 'a.png', 'image/png')))
        if (sent < 4) return controller.enqueue(Buffer.concat([PNG, Buffer.alloc(500)]))
        abort.abort()
        controller.error(new Error('aborted'))
      },
    })
    const request = new Request('http://test/', { method: 'POST', body, headers: { 'content-type': MULTIPART }, duplex: 'half', signal: abort.signal } as RequestInit)
    expect(await refusal(readMultipart(request, {}, { sink: temporaryFiles(dir), rules }))).toEqual({ status: 400, message: 'The request body was cut off: the client closed the connection.' })
    expect(leftIn(dir)).toEqual([])
  })
})

describe('route() with files', () => {
  const dir = freshDir()
  const seen: { name: string; type: string; size: number; bytes: number[] }[] = []
  const setAvatar = operation({
    name: 'setAvatar',
    input: z.object({ id: z.string(), avatar: z.file().max(1_024).mime(['image/png']) }),
    handler: async ({ avatar, id }) => {
      seen.push({ name: avatar.name, type: avatar.type, size: avatar.size, bytes: [...new Uint8Array(await avatar.arrayBuffer())].slice(0, 8) })
      if (id === 'fail') throw new Error('the store is down')
      return { stored: avatar.size }
    },
  })
  const handler = route(setAvatar, { files: { directory: dir } })
  const send = (id: string, file: File) => {
    const form = new FormData()
    form.set('id', id)
    form.set('avatar', file)
    return handler(new Request('http://test/avatar', { method: 'POST', body: form }), { params: Promise.resolve({}) })
  }

  it("gives the handler the file's bytes with its sniffed type, and removes the file once the call has answered, or failed", async () => {
    const png = new File([Buffer.concat([PNG, Buffer.alloc(100, 1)])], '../../me.png', { type: 'application/octet-stream' })
    const answer = await send('1', png)
    expect([answer.status, await answer.json()]).toEqual([200, { stored: 108 }])
    expect(seen.at(-1)).toEqual({ name: '../../me.png', type: 'image/png', size: 108, bytes: [...PNG] })
    expect(leftIn(dir)).toEqual([])
    expect((await send('fail', png)).status).toBe(500)
    expect(leftIn(dir)).toEqual([])
  })

  it('refuses the wrong type and the oversize file on the route door with problem+json naming the field', async () => {
    const jpeg = await send('1', new File([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2])], 'me.png', { type: 'image/png' }))
    expect([jpeg.status, await jpeg.json()]).toMatchObject([415, { code: 'UNSUPPORTED_MEDIA_TYPE', issues: [{ path: 'avatar', message: 'This file is image/jpeg; choose image/png.' }] }])
    const big = await send('1', new File([Buffer.concat([PNG, Buffer.alloc(2_000)])], 'me.png', { type: 'image/png' }))
    expect([big.status, (await big.json()).issues]).toEqual([413, [{ path: 'avatar', message: 'The file is larger than 1 KB.' }]])
    expect(leftIn(dir)).toEqual([])
  })
})

describe('the action doors with files', () => {
  const stored: { type: string; bytes: number[] }[] = []
  const setAvatar = operation({
    name: 'setAvatarAction',
    input: z.object({ name: z.string(), avatar: z.file().max(1_024).mime(['image/png']).optional() }),
    handler: async ({ name, avatar }) => {
      if (avatar) stored.push({ type: avatar.type, bytes: [...new Uint8Array(await avatar.arrayBuffer())].slice(0, 8) })
      return { name, hasAvatar: avatar !== undefined }
    },
  })
  const submit = formAction(setAvatar)
  const call = action(setAvatar)
  const form = (avatar: File) => {
    const data = new FormData()
    data.set('name', 'Ada')
    data.set('avatar', avatar)
    return data
  }

  it('checks a file as the route door does: sniffed type handed on, the wrong type and the oversize file refused on the field', async () => {
    const png = new File([Buffer.concat([PNG, Buffer.alloc(10)])], 'me', { type: '' })
    expect(await withActionContext({}, () => submit(idle, form(png)))).toMatchObject({ status: 'success', data: { hasAvatar: true } })
    expect(stored.at(-1)).toEqual({ type: 'image/png', bytes: [...PNG] })
    const svg = new File(['<svg/>'], 'me.png', { type: 'image/png' })
    expect(await withActionContext({}, () => submit(idle, form(svg)))).toMatchObject({
      status: 'error',
      code: 'UNSUPPORTED_MEDIA_TYPE',
      fieldErrors: { avatar: ['This file is application/octet-stream; choose image/png.'] },
      values: { name: 'Ada' },
    })
    const big = new File([Buffer.concat([PNG, Buffer.alloc(2_000)])], 'me.png', { type: 'image/png' })
    expect(await withActionContext({}, () => submit(idle, form(big)))).toMatchObject({ status: 'error', code: 'PAYLOAD_TOO_LARGE', fieldErrors: { avatar: ['The file is larger than 1 KB.'] } })
    // Called with an object, as a client component may: the same check, as a value.
    expect(await withActionContext({}, () => call({ name: 'Ada', avatar: svg }))).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 } })
    expect(await withActionContext({}, () => call({ name: 'Ada', avatar: png }))).toEqual({ ok: true, data: { name: 'Ada', hasAvatar: true } })
  })

  it('reads an empty file input as no file chosen', async () => {
    expect(await withActionContext({}, () => submit(idle, form(new File([], '', { type: 'application/octet-stream' }))))).toMatchObject({ status: 'success', data: { hasAvatar: false } })
  })
})

describe("route(op, { browserForms: 'redirect' }): a form posted to the route without JavaScript", () => {
  const named = operation({
    name: 'uploadNamed',
    input: z.object({ name: z.string().min(2, 'At least 2 characters'), avatar: z.file().max(64).mime(['image/png']).optional() }),
    handler: ({ name }) => ({ message: `Saved ${name}` }),
  })
  const handler = route(named, { browserForms: 'redirect' })
  const navigate = { 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'same-origin', origin: 'https://app.test', referer: 'https://app.test/users/7?tab=profile' }
  const post = (form: FormData, headers: Record<string, string>) =>
    handler(new Request('https://app.test/api/upload', { method: 'POST', body: form, headers }), { params: Promise.resolve({}) })
  const outcomeOf = (answer: Response) => {
    const cookie = answer.headers.get('set-cookie') ?? ''
    const [, value = ''] = /^actionroute-form\.uploadNamed=([^;]*)/.exec(cookie) ?? []
    return { status: answer.status, location: answer.headers.get('location'), state: value ? JSON.parse(decodeURIComponent(value)) : undefined, secure: cookie.includes('; Secure'), httpOnly: cookie.includes('HttpOnly') }
  }
  const form = (name: string, avatar?: File) => {
    const data = new FormData()
    data.set('name', name)
    if (avatar) data.set('avatar', avatar)
    return data
  }

  it('answers 303 back to the page, with the outcome in the cookie formOutcome() reads', async () => {
    expect(outcomeOf(await post(form('Ada', new File([PNG], 'a.png')), navigate))).toEqual({
      status: 303,
      location: '/users/7?tab=profile',
      state: { status: 'success', message: 'Saved Ada', data: { message: 'Saved Ada' } },
      secure: true,
      httpOnly: true,
    })
    expect(outcomeOf(await post(form('A'), navigate)).state).toEqual({
      status: 'error',
      code: 'VALIDATION_FAILED',
      fieldErrors: { name: ['At least 2 characters'] },
      formError: 'Please correct the fields marked below.',
      values: { name: 'A' },
    })
    // Refused part-way through the body: the file's field says why.
    const big = outcomeOf(await post(form('Ada', new File([PNG, new Uint8Array(100)], 'a.png')), navigate))
    expect([big.status, big.state.fieldErrors]).toEqual([303, { avatar: ['The file is larger than 64 bytes.'] }])
  })

  it('answers fetch, API clients and other sites as before: JSON, problem+json, 403', async () => {
    const fromScript = await post(form('Ada'), { 'sec-fetch-mode': 'cors', origin: 'https://app.test', referer: 'https://app.test/' })
    expect([fromScript.status, await fromScript.json()]).toEqual([200, { message: 'Saved Ada' }])
    expect((await post(form('A'), { accept: '*/*' })).status).toBe(422)
    const crossSite = await post(form('Ada'), { ...navigate, origin: 'https://evil.test', 'sec-fetch-site': 'cross-site', referer: 'https://evil.test/' })
    expect([crossSite.status, crossSite.headers.get('set-cookie')]).toEqual([403, null])
    // No Referer, or one that tries to leave the site: back to a path on this origin.
    expect(outcomeOf(await post(form('Ada'), { ...navigate, referer: 'https://app.test//evil.test/x' })).location).toBe('/evil.test/x')
  })
})
