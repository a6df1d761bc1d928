import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { OperationError } from '../core/errors'
import { boundaryOf, MultipartParser, readMultipart } from './multipart'

type Entry = [name: string, value: string | { file: Uint8Array; filename: string; type: string }]

/** A body as a browser (here undici, which follows the same standard) encodes it, and its Content-Type. */
async function encode(entries: Entry[]): Promise<{ body: Uint8Array; contentType: string }> {
  const form = new FormData()
  for (const [name, value] of entries) {
    if (typeof value === 'string') form.append(name, value)
    else form.append(name, new File([new Uint8Array(value.file)], value.filename, { type: value.type }))
  }
  const request = new Request('http://test/', { method: 'POST', body: form })
  return { body: new Uint8Array(await request.arrayBuffer()), contentType: request.headers.get('content-type')! }
}

/** Parses `body` pushed in the chunks `cuts` make. */
function parse(body: Uint8Array, contentType: string, cuts: number[] = [], limits = {}): FormData {
  const parser = new MultipartParser(boundaryOf(contentType), limits)
  let from = 0
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    parser.push(body.subarray(from, Math.max(from, cut)))
    from = Math.max(from, cut)
  }
  parser.push(body.subarray(from))
  return parser.end()
}

async function entriesOf(form: FormData): Promise<unknown[]> {
  const entries: unknown[] = []
  for (const [name, value] of form) {
    entries.push(typeof value === 'string' ? [name, value] : [name, value.name, value.type, [...new Uint8Array(await value.arrayBuffer())]])
  }
  return entries
}

const raw = (text: string) => new TextEncoder().encode(text)
const part = (name: string, value: string) => `--b\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`
const TYPE = 'multipart/form-data; boundary=b'

function refusal(run: () => unknown): { code: string; status: number; message: string } | undefined {
  try {
    run()
    return undefined
  } catch (error) {
    if (!(error instanceof OperationError)) throw error
    return { code: error.code, status: error.status, message: error.message }
  }
}

// Names and values a browser sends as they are: it writes `"`, CR and LF in names as %22, %0D, %0A, and
// turns every line break in a value into CRLF, which a parser cannot undo.
const name = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((text) => !/["\r\n]/.test(text))
const text = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((value) => !/[\r\n]/.test(value))
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  // Bytes that look like a delimiter, or most of one.
  fc.constantFrom('\r\n--', '\r\n-', '--', '\r\n\r\n', '\r').map(raw),
)
// undici leaves `filename` out for an empty name (a browser writes `filename=""`), so names here are not empty.
const file = fc.record({ file: bytes, filename: name.filter(Boolean), type: fc.constantFrom('', 'text/plain', 'image/png') })
const entries = fc.array(fc.tuple(name, fc.oneof(text, file)), { maxLength: 8 })

describe('MultipartParser', () => {
  it('reads what a browser sends, whatever the chunks, exactly as the standard parser does', async () => {
    await fc.assert(
      fc.asyncProperty(entries, fc.array(fc.nat(), { maxLength: 6 }), async (sent, cutsAt) => {
        const { body, contentType } = await encode(sent)
        const cuts = cutsAt.map((cut) => cut % (body.length + 1))
        const ours = await entriesOf(parse(body, contentType, cuts))
        const standard = await entriesOf(await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData())
        expect(ours).toEqual(standard)
      }),
      { numRuns: 1000 },
    )
  })

  it('reads a body split at every byte', async () => {
    const { body, contentType } = await encode([['name', 'Ada'], ['avatar', { file: raw('\r\n--x\r\n'), filename: 'a.png', type: 'image/png' }]])
    for (let cut = 0; cut <= body.length; cut++) {
      expect(await entriesOf(parse(body, contentType, [cut, cut + 1, cut + 3]))).toEqual([
        ['name', 'Ada'],
        ['avatar', 'a.png', 'image/png', [...raw('\r\n--x\r\n')]],
      ])
    }
  })

  it('answers every byte string with a form or a 4xx OperationError, nothing else', () => {
    const hostile = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      // A valid body with bytes changed, dropped or added.
      fc.tuple(fc.constantFrom(part('a', 'x') + part('b', 'y') + '--b--\r\n'), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([valid, at, noise]) => {
        const bytes = raw(valid)
        const cut = at % bytes.length
        return new Uint8Array([...bytes.subarray(0, cut), ...noise, ...bytes.subarray(cut + (at % 3))])
      }),
    )
    fc.assert(
      fc.property(hostile, fc.array(fc.nat(), { maxLength: 4 }), (body, cuts) => {
        const outcome = refusal(() => parse(body, TYPE, cuts.map((cut) => cut % (body.length + 1))))
        if (outcome) expect(outcome.status).toBeGreaterThanOrEqual(400)
        if (outcome) expect(outcome.status).toBeLessThan(500)
      }),
      { numRuns: 2000 },
    )
  })

  it('refuses bytes that are not UTF-8 in a value, a name or a file name, where the standard parser puts U+FFFD', async () => {
    const bodies = [
      Buffer.concat([raw('--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nA'), Buffer.from([0xff, 0xfe]), raw('\r\n--b--\r\n')]),
      Buffer.concat([raw('--b\r\nContent-Disposition: form-data; name="n'), Buffer.from([0xc3]), raw('"\r\n\r\nx\r\n--b--\r\n')]),
      Buffer.concat([raw('--b\r\nContent-Disposition: form-data; name="f"; filename="'), Buffer.from([0xed, 0xa0, 0x80]), raw('"\r\n\r\nx\r\n--b--\r\n')]),
    ]
    for (const body of bodies) {
      expect(refusal(() => parse(body, TYPE))).toMatchObject({ status: 400, message: expect.stringContaining('not valid UTF-8') })
      const standard = [...(await new Response(body, { headers: { 'content-type': TYPE } }).formData())].flat().map((value) => (typeof value === 'string' ? value : value.name))
      expect(standard.join('')).toContain('\uFFFD')
    }
  })

  it('keeps bytes in a file part as they are: a file need not be text', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00, 0x0d, 0x0a])
    const body = Buffer.concat([raw('--b\r\nContent-Disposition: form-data; name="f"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n'), png, raw('\r\n--b--\r\n')])
    expect(await entriesOf(parse(body, TYPE))).toEqual([['f', 'a.png', 'image/png', [...png]]])
  })

  it.each([
    ['a part without a name', '--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n', 'has no name'],
    ['a part without Content-Disposition', '--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n', 'no Content-Disposition'],
    ['a part that is not form-data', '--b\r\nContent-Disposition: attachment; name="a"\r\n\r\nx\r\n--b--\r\n', 'not form-data'],
    ['a part without headers', '--b\r\n\r\nx\r\n--b--\r\n', 'no headers'],
    ['a header line without a colon', '--b\r\nContent-Disposition form-data\r\n\r\nx\r\n--b--\r\n', 'not "Name: value"'],
    ['an unclosed quote', '--b\r\nContent-Disposition: form-data; name="a\r\n\r\nx\r\n--b--\r\n', 'no closing quote'],
    ['a name given twice', '--b\r\nContent-Disposition: form-data; name="a"; name="b"\r\n\r\nx\r\n--b--\r\n', 'twice'],
    ['a body cut short', part('a', 'x'), 'ends before its closing boundary'],
    ['a body without a boundary', 'name=Ada', 'no boundary was found'],
    ['a boundary followed by junk', '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--bjunk', 'neither'],
    ['base64 transfer encoding', '--b\r\nContent-Disposition: form-data; name="a"\r\nContent-Transfer-Encoding: base64\r\n\r\neA==\r\n--b--\r\n', 'not supported'],
  ])('refuses %s with a 400 that says why', (_, body, reason) => {
    expect(refusal(() => parse(raw(body), TYPE))).toMatchObject({ status: 400, code: 'BAD_REQUEST', message: expect.stringContaining(reason) })
  })

  it('refuses a field in another charset with 415, where a looser parser would decode it as UTF-8', () => {
    const body = '--b\r\nContent-Disposition: form-data; name="a"\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nx\r\n--b--\r\n'
    expect(refusal(() => parse(raw(body), TYPE))).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' })
  })

  it('refuses a name past its limit, and a header block too long to hold one, instead of truncating it', () => {
    expect(refusal(() => parse(raw(part('a'.repeat(1001), 'x') + '--b--\r\n'), TYPE))).toMatchObject({ status: 400, message: expect.stringContaining('1001 characters') })
    const huge = `--b\r\nContent-Disposition: form-data; name="a"\r\nX-Padding: ${'p'.repeat(20_000)}\r\n\r\nx\r\n--b--\r\n`
    expect(refusal(() => parse(raw(huge), TYPE))).toMatchObject({ status: 400, message: expect.stringContaining('headers are over') })
  })

  it('ignores a preamble and an epilogue, as RFC 2046 says, reads quoted boundaries, and keeps names as browsers write them', async () => {
    const body = 'preamble\r\n--b c\r\nContent-Disposition: form-data; name="say %22hi%22"; filename="a\\b.txt"\r\n\r\nx\r\n--b c--\r\nepilogue'
    expect(await entriesOf(parse(raw(body), 'multipart/form-data; boundary="b c"'))).toEqual([['say %22hi%22', 'a\\b.txt', 'application/octet-stream', [120]]])
  })

  it('reads an empty body as an empty form', () => {
    expect([...parse(new Uint8Array(), TYPE)]).toEqual([])
  })

  it('refuses a Content-Type without a usable boundary', () => {
    for (const type of ['multipart/form-data', 'multipart/form-data; boundary=', `multipart/form-data; boundary=${'x'.repeat(71)}`]) {
      expect(refusal(() => boundaryOf(type))).toMatchObject({ status: 400 })
    }
  })
})

describe('readMultipart', () => {
  /** A streamed request of `parts` tiny parts, counting the chunks pulled from it. */
  function streamed(parts: number, partsPerChunk = 100) {
    const stats = { pulled: 0, cancelled: false }
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        stats.pulled++
        if (sent >= parts) return controller.enqueue(raw('--b--\r\n')), controller.close()
        controller.enqueue(raw(`--b\r\nContent-Disposition: form-data; name="x"; filename="f"\r\n\r\n1\r\n`.repeat(partsPerChunk)))
        sent += partsPerChunk
      },
      cancel() {
        stats.cancelled = true
      },
    })
    const request = new Request('http://test/', { method: 'POST', body, headers: { 'content-type': TYPE }, duplex: 'half' } as RequestInit)
    return { request, stats }
  }

  it('stops reading at the first part past maxParts: the limit stops the work, not only the answer', async () => {
    const { request, stats } = streamed(50_000)
    await expect(readMultipart(request, { maxParts: 1_000, limit: 100 * 1024 * 1024 })).rejects.toMatchObject({ status: 400, message: 'The form has more than 1000 fields.' })
    expect(stats.pulled).toBeLessThanOrEqual(12)
    expect(stats.cancelled).toBe(true)
  })

  it('stops reading as soon as the body passes the byte limit', async () => {
    const { request, stats } = streamed(50_000)
    await expect(readMultipart(request, { maxParts: 100_000, limit: 64 * 1024 })).rejects.toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' })
    expect(stats.pulled).toBeLessThanOrEqual(15)
    expect(stats.cancelled).toBe(true)
  })

  it('reads a streamed body whole when it is within its limits', async () => {
    const { request } = streamed(300)
    expect([...(await readMultipart(request))]).toHaveLength(300)
  })
})
