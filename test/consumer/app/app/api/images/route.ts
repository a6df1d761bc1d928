import { routes } from 'actionroute'
import { uploadImage } from '../../../lib/operations'

// Multipart, streamed: the file into a directory of its own under `directory` (the OS's temporary directory when
// UPLOADS_DIR is not set), removed when the call ends, however it ends.
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = routes({ POST: uploadImage }, { files: { directory: process.env.UPLOADS_DIR } })
