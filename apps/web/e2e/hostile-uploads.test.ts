import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedUser } from './api'
import { startServer, treeRss, type Server } from './server'

// Uploads as an attacker sends them, to the real server (`npm start`): a body of gigabytes, many tiny parts, cut-off
// uploads, many at once. Each is answered 4xx or stored correctly, the server's memory stays flat, and no
// temporary file is left behind (the server's TMPDIR is this test's own directory).

const tmp = mkdtempSync(path.join(tmpdir(), 'userdirectory-uploads-'))
let server: Server
beforeAll(async () => {
  server = await startServer({ command: 'npm start', env: { TMPDIR: tmp } })
}, 120_000)
afterAll(async () => {
  await server?.stop()
  rmSync(tmp, { recursive: true, force: true })
})

const BOUNDARY = 'hostileboundary'
/** A file part's headers, the file name as given: a string is sent as UTF-8 (a NUL as a raw 0x00 byte), a Buffer as it is. */
const fileHead = (field: string, filename: string | Buffer, type: string) =>
  Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${field}"; filename="`),
    Buffer.from(filename),
    Buffer.from(`"\r\nContent-Type: ${type}\r\n\r\n`),
  ])

/**
 * Streams `head`, then `repeat` copies of `chunk`, chunked (no Content-Length), as fast as the server takes them;
 * stops sending once the answer has come. Resolves with the answer and how many bytes were sent by then.
 */
function upload(pathname: string, head: Buffer, chunk: Buffer, repeat: number, { abortAfter }: { abortAfter?: number } = {}) {
  const { hostname, port } = new URL(server.url)
  return new Promise<{ status: number | string; body: string; sent: number; peakRss: number }>((resolve) => {
    let sent = 0
    let answered = false
    let aborting = false
    let peakRss = 0
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, treeRss(server.pid))), 100)
    const finish = (result: { status: number | string; body: string }) => {
      clearInterval(sampler)
      resolve({ ...result, sent, peakRss })
    }
    const outgoing = request({ host: hostname, port, method: 'PUT', path: pathname, headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } }, (response) => {
      answered = true
      const chunks: Buffer[] = []
      response.on('data', (data: Buffer) => chunks.push(data))
      response.on('end', () => finish({ status: response.statusCode!, body: Buffer.concat(chunks).toString() }))
    })
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      if (!answered && !aborting) finish({ status: error.code ?? error.message, body: '' })
    })
    outgoing.write(head)
    sent += head.length
    let left = repeat
    const pump = () => {
      while (left > 0 && !answered && !outgoing.destroyed) {
        left--
        sent += chunk.length
        if (abortAfter !== undefined && sent >= abortAfter) {
          aborting = true
          outgoing.destroy()
          setTimeout(() => finish({ status: 'aborted', body: '' }), 500)
          return
        }
        if (!outgoing.write(chunk)) return void outgoing.once('drain', pump)
      }
      if (left === 0 && !answered) outgoing.end(`\r\n--${BOUNDARY}--\r\n`)
    }
    pump()
  })
}

const leftovers = () => readdirSync(tmp).filter((name) => name.startsWith('actionroute-upload-'))

describe('hostile uploads, against npm start', () => {
  it('refuses a 2 GB upload after little more than the 5 MB limit, with the server\'s memory flat and nothing left behind', async () => {
    const user = await seedUser(server.url, { name: 'Hostile Upload Target' })
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: 'red' } }).png().toBuffer()
    const before = treeRss(server.pid)
    const chunk = Buffer.alloc(64 * 1024, 0x41)
    const answer = await upload(`/api/users/${user.id}/avatar`, Buffer.concat([fileHead('avatar', 'huge.png', 'image/png'), png]), chunk, (2 * 1024 ** 3) / chunk.length)
    console.log(`[hostile-uploads] 2 GB upload: answered ${answer.status} after ${(answer.sent / 2 ** 20).toFixed(1)} MiB sent; RSS ${before >> 20} MiB, peak ${answer.peakRss >> 20} MiB`)
    expect(answer.status).toBe(413)
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', issues: [{ path: 'avatar', message: 'The file is larger than 5 MB.' }] })
    // Sent when the answer came: the limit, plus what the sockets' buffers held.
    expect(answer.sent).toBeLessThan(64 * 1024 * 1024)
    expect(answer.peakRss - before, `RSS grew from ${before >> 20} MiB to a peak of ${answer.peakRss >> 20} MiB`).toBeLessThan(50 * 1024 * 1024)
    await expect.poll(leftovers, { timeout: 5_000 }).toEqual([])
  }, 120_000)

  it('answers 10,000 tiny parts with a 400 and keeps serving', async () => {
    const user = await seedUser(server.url, { name: 'Tiny Parts Target' })
    const part = Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n`)
    const answer = await upload(`/api/users/${user.id}/avatar`, Buffer.alloc(0), part, 10_000)
    expect(answer.status).toBe(400)
    expect((await fetch(`${server.url}/api/users/${user.id}`)).status).toBe(200)
  }, 60_000)

  it('removes the half-written file of an upload cut off mid-stream, and stores nothing', async () => {
    const user = await seedUser(server.url, { name: 'Cut Off Target' })
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: 'blue' } }).png().toBuffer()
    const answer = await upload(`/api/users/${user.id}/avatar`, Buffer.concat([fileHead('avatar', 'cut.png', 'image/png'), png]), Buffer.alloc(16 * 1024, 1), 1_000, { abortAfter: 1024 * 1024 })
    expect(answer.status).toBe('aborted')
    await expect.poll(leftovers, { timeout: 5_000 }).toEqual([])
    expect((await fetch(`${server.url}/api/users/${user.id}/avatar`)).status).toBe(404)
  }, 60_000)

  it('stores 50 concurrent 5 MB uploads correctly, each user its own image', async () => {
    const users = await Promise.all(Array.from({ length: 50 }, (_, i) => seedUser(server.url, { name: `Concurrent ${i}` })))
    // ~5 MB of uncompressed PNG noise each, a different image per user (its colour, in its first pixel row).
    const images = await Promise.all(
      users.map((_, i) =>
        sharp(Buffer.from(Array.from({ length: 1280 * 1300 * 3 }, (_, at) => (at < 1280 * 3 ? i * 5 : (at * 7919) % 251))), { raw: { width: 1280, height: 1300, channels: 3 } })
          .png({ compressionLevel: 0 })
          .toBuffer(),
      ),
    )
    expect(Math.max(...images.map((image) => image.length))).toBeLessThan(5 * 1024 * 1024)
    const before = treeRss(server.pid)
    const answers = await Promise.all(
      users.map(async (user, i) => {
        const form = new FormData()
        form.set('avatar', new File([images[i]!], `${i}.png`, { type: 'image/png' }))
        const response = await fetch(`${server.url}/api/users/${user.id}/avatar`, { method: 'PUT', body: form, headers: { 'x-forwarded-for': `198.51.100.${i + 1}` } })
        return response.status
      }),
    )
    expect(answers).toEqual(users.map(() => 200))
    const after = treeRss(server.pid)
    for (const user of users) {
      const served = await fetch(`${server.url}/api/users/${user.id}/avatar`)
      expect(served.status).toBe(200)
      expect(await sharp(Buffer.from(await served.arrayBuffer())).metadata()).toMatchObject({ format: 'webp', width: 256, height: 256 })
    }
    expect(leftovers()).toEqual([])
    console.log(`[hostile-uploads] 50 concurrent 5 MB uploads: RSS ${before >> 20} → ${after >> 20} MiB`)
  }, 180_000)
})

// ---- Hostile file names ---------------------------------------------------------------------------
// A valid PNG each time; only the file name in its part's Content-Disposition is hostile. The name is only ever the
// File's `name` (the upload's file on disk is a number in a directory of its own; the stored avatar is named by the
// user's id and the image's digest), so each is stored or refused with a 4xx, and none is used as a path.

/** Every entry under `dir`, recursively, as paths relative to it ([] when it does not exist). */
const entriesUnder = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }) : [])

/** The stored avatar files of the server's PGlite data directory: `<user id>.<etag>.webp`, never a client's name. */
const STORED_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[A-Za-z0-9_-]{22}\.webp$/

interface NameAnswer {
  status: number | string
  body: string
  /** GET /api/users/{id}/avatar afterwards: its status and Content-Type. */
  served: { status: number; type: string | null; format?: string; width?: number }
}

/** Uploads `image` as a fresh user's avatar under `filename` (PUT, raw HTTP), then reads the avatar back. */
async function uploadNamed(filename: string | Buffer, image: Buffer, label: string): Promise<NameAnswer> {
  const user = await seedUser(server.url, { name: label })
  const answer = await upload(`/api/users/${user.id}/avatar`, Buffer.concat([fileHead('avatar', filename, 'image/png'), image]), Buffer.alloc(0), 0)
  const response = await fetch(`${server.url}/api/users/${user.id}/avatar`)
  const bytes = Buffer.from(await response.arrayBuffer())
  const served: NameAnswer['served'] = { status: response.status, type: response.headers.get('content-type') }
  if (response.status === 200) {
    const { format, width } = await sharp(bytes).metadata()
    Object.assign(served, { format, width })
  }
  return { status: answer.status, body: answer.body, served }
}

/** Stored (2xx, and the avatar is served as a 256 × 256 WebP), or a 4xx problem+json with a message and nothing stored. */
function expectStoredOrRefused(answer: NameAnswer, what: string) {
  expect(typeof answer.status, `${what}: the connection failed (${answer.status})`).toBe('number')
  const status = answer.status as number
  expect(status, `${what}: answered ${status} ${answer.body.slice(0, 300)}`).toBeLessThan(500)
  if (status < 300) {
    expect(answer.served, what).toEqual({ status: 200, type: 'image/webp', format: 'webp', width: 256 })
  } else {
    expect(status, `${what}: answered ${status}`).toBeGreaterThanOrEqual(400)
    const problem = JSON.parse(answer.body) as { status: number; code: string; detail?: string; title?: string }
    expect(problem.status, what).toBe(status)
    expect(problem.detail ?? problem.title, `${what}: a 4xx says why`).toMatch(/\w/)
    expect(answer.served.status, `${what}: refused, yet an avatar is served`).toBe(404)
  }
}

describe('hostile file names, against npm start', () => {
  const image = sharp({ create: { width: 8, height: 8, channels: 3, background: 'green' } }).png().toBuffer()
  const tmpBefore = new Set<string>()
  beforeAll(() => entriesUnder(tmp).forEach((entry) => tmpBefore.add(entry)))

  const LONG = 10 * 1024
  // [what, the file name (a Buffer: its bytes as they are), what it gets]
  const names: [string, string | Buffer, { status: number; code?: string; detail?: RegExp }][] = [
    ['10 KB of ASCII characters', `${'a'.repeat(LONG - 4)}.png`, { status: 400, code: 'BAD_REQUEST', detail: /file name is 10240 characters long; the limit is 1000/ }],
    ['10 KB of non-ASCII characters (30 KB of UTF-8)', `${'頭'.repeat(LONG - 4)}.png`, { status: 400, code: 'BAD_REQUEST', detail: /headers are over \d+ bytes/ }],
    ['1,000 characters, the longest taken', `${'b'.repeat(996)}.png`, { status: 200 }],
    ['bidi controls (U+202E, U+2066–U+2069, U+200F)', 'avatar\u202Egnp.exe\u2066\u2067\u2068\u2069\u200F.png', { status: 200 }],
    ['a right-to-left override disguising the extension', '\u202Efdp.png', { status: 200 }],
    ['%00 (a NUL, percent-encoded)', 'avatar.png%00.php', { status: 200 }],
    ['a raw NUL byte', 'avatar\0.php.png', { status: 200 }],
    ['only NUL bytes', '\0\0\0', { status: 200 }],
    ['../../etc/passwd', '../../etc/passwd', { status: 200 }],
    ['an absolute path', '/etc/passwd', { status: 200 }],
    ['a Windows path', '..\\..\\..\\Windows\\win.ini', { status: 200 }],
    ['percent-encoded traversal', '..%2F..%2Fetc%2Fpasswd', { status: 200 }],
    ['an empty file name', '', { status: 200 }],
    ['bytes that are not UTF-8', Buffer.from([0x61, 0xff, 0xfe, 0xc0, 0xaf, 0x2e, 0x70, 0x6e, 0x67]), { status: 400, code: 'BAD_REQUEST', detail: /not valid UTF-8/ }],
  ]

  const answers: [string, NameAnswer][] = []
  afterAll(() => {
    for (const [what, answer] of answers) {
      const detail = typeof answer.status === 'number' && answer.status >= 400 ? ` ${(JSON.parse(answer.body) as { detail?: string }).detail}` : ''
      console.log(`[hostile-uploads] file name ${what}: ${answer.status}${detail}; GET avatar ${answer.served.status} ${answer.served.type ?? ''}`)
    }
  })

  it.each(names)('a file name with %s: stored or refused with a 4xx, never a 5xx, never a path', async (what, filename, expected) => {
    const answer = await uploadNamed(filename, await image, `Hostile Name ${answers.length + 1}`)
    answers.push([what, answer])
    expectStoredOrRefused(answer, what)
    expect(answer.status, answer.body.slice(0, 300)).toBe(expected.status)
    if (expected.code) {
      const problem = JSON.parse(answer.body) as { code: string; detail: string }
      expect(problem.code).toBe(expected.code)
      expect(problem.detail).toMatch(expected.detail!)
    }
  })

  it('generated file names (traversal, NUL, bidi controls, quotes, line breaks, any code point): stored or refused with a 4xx', async () => {
    const hostile = fc.constantFrom('../', '..\\', '/', '\\', '\0', '%00', '\u202E', '\u2066', '\u200F', '"', '\r\n', ';', 'filename*=UTF-8\'\'', '.png', '%2e%2e%2f', '\uFEFF')
    const name = fc.array(fc.oneof(hostile, fc.string({ unit: 'binary', maxLength: 12 })), { maxLength: 24 }).map((parts) => parts.join(''))
    let runs = 0
    const tally = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(name, async (filename) => {
        const answer = await uploadNamed(filename, await image, `Generated Name ${++runs}`)
        const detail = typeof answer.status === 'number' && answer.status >= 400 ? ` (${(JSON.parse(answer.body) as { detail?: string }).detail})` : ''
        tally.set(`${answer.status}${detail}`, (tally.get(`${answer.status}${detail}`) ?? 0) + 1)
        expectStoredOrRefused(answer, `the file name ${JSON.stringify(filename)}`)
      }),
      { numRuns: 25 },
    )
    console.log(`[hostile-uploads] ${runs} generated file names: ${[...tally].map(([answer, count]) => `${count} × ${answer}`).join('; ')}`)
  }, 120_000)

  it('leaves nothing behind: no upload directory, no file named by a client, only <user id>.<etag>.webp stored', async () => {
    await expect.poll(leftovers, { timeout: 5_000 }).toEqual([])
    const newInTmp = entriesUnder(tmp).filter((entry) => !tmpBefore.has(entry))
    expect(newInTmp.filter((entry) => /passwd|win\.ini|\.php|\.exe|[\0\u202E\u2066-\u2069\u200F]|a{100}/.test(entry)), 'named after a client’s file name, in TMPDIR').toEqual([])
    // Beside the temporary directory, where ../../ from an upload directory would lead.
    expect(readdirSync(path.dirname(tmp)).filter((entry) => /passwd|win\.ini/.test(entry))).toEqual([])
    expect(readdirSync(path.dirname(path.dirname(tmp))).filter((entry) => /passwd|win\.ini/.test(entry))).toEqual([])
    const stored = entriesUnder(path.join(server.dataDir, 'files'))
    expect(stored.length).toBeGreaterThan(0)
    expect(stored.filter((entry) => !STORED_NAME.test(entry)), 'files of the data directory not named <user id>.<etag>.webp').toEqual([])
    expect(entriesUnder(server.dataDir).filter((entry) => /passwd|win\.ini|\.php|\.exe|[\0\u202E]/.test(entry))).toEqual([])
  })
})
