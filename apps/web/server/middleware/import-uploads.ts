import { middleware, OperationError } from 'actionroute'

/** Import files read at once in one process: each may put 256 MB on disk while it arrives. */
export const MAX_IMPORT_UPLOADS = 4
let uploading = 0

/**
 * Bounds the import files this process receives at once, counted before the body is read (so before any middleware
 * that reads it, idempotency's fingerprint included) until the import has started or been refused: past
 * MAX_IMPORT_UPLOADS, 503 with Retry-After, having read nothing. Without it, concurrent uploads could fill the disk.
 */
export const importUploads = middleware(
  async function importUploads(_ctx, next) {
    if (uploading >= MAX_IMPORT_UPLOADS) {
      throw new OperationError('SERVICE_UNAVAILABLE', `This server is receiving ${MAX_IMPORT_UPLOADS} import files already: try again in a minute.`, {
        status: 503,
        headers: { 'retry-after': '60' },
      })
    }
    uploading++
    try {
      return await next()
    } finally {
      uploading--
    }
  },
  { name: 'importUploads', policy: { kind: 'concurrency', summary: `${MAX_IMPORT_UPLOADS} files read at once per instance` } },
)
