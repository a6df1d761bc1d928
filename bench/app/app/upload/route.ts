import { operation, route } from 'actionroute'
import { z } from 'zod'

// The upload benchmark's door (bench/uploads.mjs): one multipart file of up to 200 MB, streamed by route() into
// its default sink, temporaryFiles() (in BENCH_UPLOAD_DIR when set, the directory the bare baseline writes to),
// and removed when the call ends. The handler only reports what arrived: the measurement is the door, not the work.
const upload = operation({
  name: 'upload',
  input: z.object({ file: z.file().max(200_000_000) }),
  handler: async ({ file }) => ({ size: file.size }),
})

export const POST = route(upload, { files: { directory: process.env.BENCH_UPLOAD_DIR || undefined } })
