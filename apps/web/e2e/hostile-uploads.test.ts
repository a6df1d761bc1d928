import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedUser } from './api'
import { startServer, type Server } from './server'

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

/** VmRSS of the server's process tree (npm, the Node server), in bytes. */
function treeRss(root: number): number {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)])
    } catch {
      // gone
    }
  }
  let kb = 0
  for (const queue = [root]; queue.length > 0; ) {
    const pid = queue.shift()!
    queue.push(...(children.get(pid) ?? []))
    try {
      kb += Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
    } catch {
      // gone
    }
  }
  return kb * 1024
}

const BOUNDARY = 'hostileboundary'
const fileHead = (field: string, filename: string, type: string) =>
  Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`)

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
