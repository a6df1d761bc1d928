import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { openapi, operation, route } from '../index'
import { streamedRequest } from './streamed.fixture'

// A body that is the file itself (`http.fileBody`: a CSV posted as text/csv), and files read by a streaming
// handler: what arrives is what the handler reads, limits stop the reading, nothing is left on disk.

const root = mkdtempSync(path.join(tmpdir(), 'actionroute-file-body-test-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let dirs = 0
const freshDir = () => {
  const dir = path.join(root, String(++dirs))
  mkdirSync(dir)
  return dir
}
const leftIn = (dir: string) => readdirSync(dir, { recursive: true })
const params = { params: Promise.resolve({}) }

const streamed = (url: string, chunks: Uint8Array[], headers: Record<string, string>, endless?: Uint8Array) => streamedRequest(url, chunks, { headers, endless })

const csvFile = z.file().max(4_096).mime(['text/csv', 'text/plain'])

describe('http.fileBody: the body is the file', () => {
  const dir = freshDir()
  const importRows = operation({
    name: 'importRows',
    input: z.object({ id: z.string().default('none'), file: csvFile }),
    http: { fileBody: 'file' },
    handler: async ({ file, id }) => ({ name: file.name, type: file.type, text: await file.text(), id }),
  })
  const handler = route(importRows, { files: { directory: dir } })

  it('streams any body into the file field, cut anywhere, with the path params beside it; nothing left after', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 2_000 }).filter((text) => !/[\u0000-\u0008\u000b\u000e-\u001f]/.test(text.slice(0, 16))), fc.array(fc.nat(), { maxLength: 6 }), async (text, cuts) => {
        const bytes = Buffer.from(text)
        const at = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b)
        const chunks = [0, ...at].map((start, i) => bytes.subarray(start, [...at, bytes.length][i]))
        const { request } = streamed('http://test/lists/7/import?file=x&id=8', chunks, { 'content-type': 'text/csv; charset=utf-8' })
        const answer = await handler(request, { params: Promise.resolve({ id: '7' }) })
        expect([answer.status, await answer.json()]).toEqual([200, { name: 'file', type: 'text/csv', text, id: '7' }])
      }),
      { numRuns: 100 },
    )
    expect(leftIn(dir)).toEqual([])
  })

  it('answers 413 for a file past its limit, declared or streamed, after reading little more than the limit', async () => {
    const declared = await handler(new Request('http://test/import', { method: 'POST', body: 'x'.repeat(5_000), headers: { 'content-type': 'text/csv' } }), params)
    expect([declared.status, (await declared.json()).issues]).toEqual([413, [{ path: 'file', message: 'The file is larger than 4 KB.' }]])
    const { request, pulled } = streamed('http://test/import', [], { 'content-type': 'text/csv' }, Buffer.alloc(1_000, 'a'))
    const endless = await handler(request, params)
    expect(endless.status).toBe(413)
    expect(pulled.bytes).toBeLessThanOrEqual(6_000)
    expect(leftIn(dir)).toEqual([])
  })

  it('answers 415 for bytes that are not of a type the field takes, whatever the Content-Type claims', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    const answer = await handler(new Request('http://test/import', { method: 'POST', body: png, headers: { 'content-type': 'text/csv' } }), params)
    expect([answer.status, (await answer.json()).issues]).toEqual([415, [{ path: 'file', message: 'This file is image/png; choose text/csv, text/plain.' }]])
    const xml = await handler(new Request('http://test/import', { method: 'POST', body: '<a/>', headers: { 'content-type': 'application/xml' } }), params)
    expect([xml.status, (await xml.json()).detail]).toEqual([415, 'Content-Type "application/xml" is not supported here; send text/csv, text/plain, multipart/form-data.'])
    const utf16 = await handler(new Request('http://test/import', { method: 'POST', body: 'a,b', headers: { 'content-type': 'text/csv; charset=utf-16' } }), params)
    expect([utf16.status, (await utf16.json()).detail]).toEqual([415, 'Charset "utf-16" is not supported; send UTF-8.'])
    expect(leftIn(dir)).toEqual([])
  })

  it('still reads multipart and JSON bodies as before: the file in a form field, JSON without one refused by the schema', async () => {
    const form = new FormData()
    form.set('file', new File(['a,b\n'], 'rows.csv', { type: 'text/csv' }))
    const multipart = await handler(new Request('http://test/import', { method: 'POST', body: form }), params)
    expect([multipart.status, await multipart.json()]).toEqual([200, { name: 'rows.csv', type: 'text/csv', text: 'a,b\n', id: 'none' }])
    const json = await handler(new Request('http://test/import', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }), params)
    expect(json.status).toBe(422)
  })

  it('refuses, when it is served, a fileBody that names no file field', () => {
    const wrong = operation({ name: 'wrong', input: z.object({ file: z.string() }), http: { fileBody: 'file' }, handler: () => ({}) })
    expect(() => route(wrong)).toThrow('http.fileBody names "file", which is not a file field of its input')
  })

  it('documents the file body under each media type its field takes', () => {
    const document = openapi({ info: { title: 't', version: '1' }, paths: { '/import': { POST: importRows } } })
    const content = (document.paths!['/import'] as { post: { requestBody: { content: Record<string, unknown> } } }).post.requestBody.content
    expect(Object.keys(content)).toEqual(['multipart/form-data', 'text/csv', 'text/plain'])
    expect(content['text/csv']).toEqual({ schema: { type: 'string', contentMediaType: 'text/csv' } })
  })
})

describe('a streaming handler reading an uploaded file', () => {
  const dir = freshDir()
  const countLines = operation({
    name: 'countLines',
    input: z.object({ file: csvFile }),
    http: { fileBody: 'file' },
    async *handler({ file }, ctx) {
      let lines = 0
      const reader = file.stream().getReader()
      for (let next = await reader.read(); !next.done; next = await reader.read()) {
        for (const byte of next.value) if (byte === 0x0a) yield { lines: ++lines }
        if (ctx.signal.aborted) return
      }
      yield { done: true, lines, message: `${lines} lines` }
    },
    stream: {},
  })
  const handler = route(countLines, { files: { directory: dir }, browserForms: 'redirect' })

  it('reads the file while it streams its items, and the file goes once the stream has ended or was cancelled', async () => {
    const answer = await handler(new Request('http://test/count', { method: 'POST', body: 'a\nb\nc\n', headers: { 'content-type': 'text/plain', accept: 'application/x-ndjson' } }), params)
    expect(leftIn(dir)).not.toEqual([])
    expect((await answer.text()).trim().split('\n').map((line) => JSON.parse(line))).toEqual([{ lines: 1 }, { lines: 2 }, { lines: 3 }, { done: true, lines: 3, message: '3 lines' }])
    await expect.poll(() => leftIn(dir)).toEqual([])

    const cancelled = await handler(new Request('http://test/count', { method: 'POST', body: 'a\n'.repeat(1_000), headers: { 'content-type': 'text/plain', accept: 'application/x-ndjson' } }), params)
    const reader = cancelled.body!.getReader()
    await reader.read()
    await reader.cancel()
    await expect.poll(() => leftIn(dir)).toEqual([])
  })

  it('answers a browser form without JavaScript once the stream has ended: its last item is the outcome', async () => {
    const form = new FormData()
    form.set('file', new File(['a\nb\n'], 'rows.csv', { type: 'text/csv' }))
    const answer = await handler(
      new Request('https://app.test/count', { method: 'POST', body: form, headers: { 'sec-fetch-mode': 'navigate', origin: 'https://app.test', referer: 'https://app.test/import' } }),
      params,
    )
    const cookie = decodeURIComponent(/actionroute-form\.countLines=([^;]*)/.exec(answer.headers.get('set-cookie') ?? '')?.[1] ?? '')
    expect([answer.status, answer.headers.get('location'), JSON.parse(cookie)]).toEqual([303, '/import', { status: 'success', message: '2 lines', data: { done: true, lines: 2, message: '2 lines' } }])
    expect(leftIn(dir)).toEqual([])
  })
})
