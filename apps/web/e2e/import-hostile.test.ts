import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { requestJson, type ApiUser } from './api'
import { makeDataDir, startServer, treeRss, type Server } from './server'

// The CSV import as an attacker, or bad luck, meets it on the real server (`npm start`): a file of a gigabyte, one
// line of 100 MB, and the server killed (-9) mid-import. Each is answered 4xx or read to its end with the server's
// memory flat, no temporary file is left, and what was acknowledged as stored is there after a restart.

const tmp = mkdtempSync(path.join(tmpdir(), 'userdirectory-import-'))
const servers: Server[] = []
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop().catch(() => undefined)))
  rmSync(tmp, { recursive: true, force: true })
})
async function start(dataDir = makeDataDir()): Promise<Server> {
  const server = await startServer({ command: 'npm start', dataDir, env: { TMPDIR: tmp } })
  servers.push(server)
  return server
}

/**
 * POSTs `head`, then `repeat` copies of `chunk`, then `tail`, as a chunked text/csv body (no Content-Length), as fast
 * as the server takes it; stops sending once the answer has ended. Resolves with the answer, the bytes sent and the
 * server's peak RSS meanwhile.
 */
function postCsv(server: Server, parts: { head?: Buffer; chunk: Buffer; repeat: number; tail?: Buffer }) {
  const { hostname, port } = new URL(server.url)
  return new Promise<{ status: number; body: string; sent: number; peakRss: number }>((resolve, reject) => {
    let sent = 0
    let answered = false
    let peakRss = 0
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, treeRss(server.pid))), 100)
    const outgoing = request({ host: hostname, port, method: 'POST', path: '/api/users/import', headers: { 'content-type': 'text/csv' } }, (response) => {
      answered = true
      const chunks: Buffer[] = []
      response.on('data', (data: Buffer) => chunks.push(data))
      response.on('end', () => {
        clearInterval(sampler)
        resolve({ status: response.statusCode!, body: Buffer.concat(chunks).toString(), sent, peakRss })
        outgoing.destroy()
      })
    })
    outgoing.on('error', (error) => {
      if (!answered) reject(error)
    })
    const write = (bytes: Buffer) => {
      sent += bytes.length
      return outgoing.write(bytes)
    }
    if (parts.head) write(parts.head)
    let left = parts.repeat
    const pump = () => {
      while (left > 0 && !answered && !outgoing.destroyed) {
        left--
        if (!write(parts.chunk)) return void outgoing.once('drain', pump)
      }
      if (left === 0 && !answered) outgoing.end(parts.tail)
    }
    pump()
  })
}

const MiB = 1024 * 1024
const summaryOf = (body: string) => JSON.parse(body.split('\n\n').filter((block) => block.includes('event: done')).at(-1)!.split('\ndata: ')[1]!)
const leftovers = () => readdirSync(tmp).filter((name) => name.startsWith('actionroute-upload-'))

describe('hostile imports against npm start', () => {
  it('refuses a 1 GB CSV with 413 once past its 256 MB limit, its memory flat, no temporary file left', async () => {
    const server = await start()
    const before = treeRss(server.pid)
    const chunk = Buffer.from('Flood Person,flood@example.com\n'.repeat(32 * 1024))
    const answer = await postCsv(server, { chunk, repeat: Math.ceil(1024 ** 3 / chunk.length) })
    expect([answer.status, JSON.parse(answer.body).code]).toEqual([413, 'PAYLOAD_TOO_LARGE'])
    expect(answer.sent, 'bytes sent before the answer').toBeLessThan(400 * MiB)
    expect((answer.peakRss - before) / MiB, 'RSS growth, MiB').toBeLessThan(50)
    expect(leftovers()).toEqual([])
    const { body } = await requestJson<{ users: ApiUser[] }>(`${server.url}/api/users?q=Flood`)
    expect(body.users).toEqual([])
  })

  it('reads past a line of 100 MB: reported by its line, the rows around it stored, memory flat', async () => {
    const server = servers[0]!
    const before = treeRss(server.pid)
    const answer = await postCsv(server, {
      head: Buffer.from('name,email\nBefore Long,before.long@example.com\n'),
      chunk: Buffer.alloc(MiB, 'x'),
      repeat: 100,
      tail: Buffer.from(',long@example.com\nAfter Long,after.long@example.com\n'),
    })
    expect(answer.status).toBe(200)
    expect(summaryOf(answer.body)).toMatchObject({ status: 'done', stored: 2, invalid: 1, problems: [{ line: 3, reason: 'longer than 64 KiB' }] })
    expect((answer.peakRss - before) / MiB, 'RSS growth, MiB').toBeLessThan(50)
    // Removed as the stream ends (the summary may reach us a moment before).
    await expect.poll(leftovers).toEqual([])
  })

  it('after kill -9 mid-import, the restarted server holds every row the import acknowledged, in whole batches', async () => {
    const dataDir = makeDataDir()
    const doomed = await start(dataDir)
    const rows = Array.from({ length: 300_000 }, (_, i) => `Killed Import ${i},killed.${i}@example.com`).join('\n')
    const { hostname, port } = new URL(doomed.url)
    // Read the events until two batches are acknowledged, then kill the server.
    const acknowledged = await new Promise<{ id: string; stored: number }>((resolve, reject) => {
      const outgoing = request({ host: hostname, port, method: 'POST', path: '/api/users/import', headers: { 'content-type': 'text/csv' } }, (response) => {
        let text = ''
        response.on('data', (data: Buffer) => {
          text += data.toString()
          const progress = [...text.matchAll(/event: progress\ndata: (.*)\n/g)].map((match) => JSON.parse(match[1]!) as { id: string; stored: number })
          const last = progress.at(-1)
          if (last && last.stored >= 10_000) {
            response.destroy()
            resolve(last)
          }
        })
      })
      outgoing.on('error', reject)
      outgoing.end(rows)
    })
    await doomed.kill9()
    const next = await start(dataDir)
    // The import's own record, as the restarted server reads it (asking it to cancel a dead import changes nothing stored).
    const cancelled = await requestJson<{ status: string; stored: number }>(`${next.url}/api/users/import/${acknowledged.id}/cancel`, { method: 'POST', json: {} })
    expect(cancelled.status).toBe(200)
    expect(cancelled.body.stored, 'rows the import recorded as stored').toBeGreaterThanOrEqual(acknowledged.stored)
    expect(cancelled.body.stored % 5_000, 'whole batches').toBe(0)
    // The rows are stored in file order: the first `stored` of them, and not the next.
    const has = async (name: string) => (await requestJson<{ users: ApiUser[] }>(`${next.url}/api/users?q=${encodeURIComponent(name)}&limit=100`)).body.users.some((user) => user.name === name)
    const stored = cancelled.body.stored
    expect([await has('Killed Import 0'), await has(`Killed Import ${stored - 1}`), await has(`Killed Import ${stored}`)]).toEqual([true, true, false])
  })
})

describe('a live subscriber that never reads, during an import', () => {
  it('is dropped once 1,000 events behind: the server holds no more for it, and its stream ends', async () => {
    const server = servers[0]!
    const { hostname, port } = new URL(server.url)
    let received = ''
    let ended = false
    const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const outgoing = request({ host: hostname, port, path: '/api/users/events', headers: { accept: 'text/event-stream' } }, resolve)
      outgoing.on('error', reject)
      outgoing.end()
    })
    response.on('data', (data: Buffer) => (received += data.toString()))
    response.on('end', () => (ended = true))
    await new Promise((resolve) => setTimeout(resolve, 300))
    // It stops reading: its socket fills, then the feed queues events for it, up to 1,000.
    response.pause()
    const before = treeRss(server.pid)
    const rows = Array.from({ length: 20_000 }, (_, i) => `Unread Event ${i}`).join('\n')
    const imported = await postCsv(server, { chunk: Buffer.from(`name\n${rows}\n`), repeat: 1 })
    expect(summaryOf(imported.body)).toMatchObject({ status: 'done', stored: 20_000 })
    expect((treeRss(server.pid) - before) / MiB, 'RSS growth, MiB').toBeLessThan(50)
    // Reading again: what the socket held, then the end (the feed dropped it), far short of 20,000 events.
    response.resume()
    for (const deadline = Date.now() + 10_000; !ended && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(ended, 'the stream ended').toBe(true)
    expect(received.match(/^event: added$/gm)?.length ?? 0).toBeLessThan(20_000)
  })
})
