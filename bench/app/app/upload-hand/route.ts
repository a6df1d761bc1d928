import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { stat, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'

// The upload benchmark's reference (bench/uploads.mjs): a Route Handler written by hand that pipes the raw request
// body to a file in BENCH_UPLOAD_DIR, as the bare node:http server does, inside Next. No multipart parsing: what it
// costs beside the bare server is Next's; what route() costs beside it is actionroute's.
export async function POST(request: Request) {
  if (!request.body) return Response.json({ size: 0 })
  const file = path.join(process.env.BENCH_UPLOAD_DIR || tmpdir(), `hand-${randomUUID()}`)
  try {
    await pipeline(Readable.fromWeb(request.body as NodeReadableStream<Uint8Array>), createWriteStream(file, { flags: 'wx', mode: 0o600 }))
    const { size } = await stat(file)
    return Response.json({ size })
  } finally {
    await unlink(file).catch(() => {})
  }
}
