import { routes } from 'actionroute'
import { api } from '@/server/api'

// A CSV as the body (text/csv) or as a multipart file, streamed to disk as it arrives; the import's progress
// streams back as server-sent events. A form posted here without JavaScript comes back to its page with the summary.
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = routes(api['/api/users/import'], { browserForms: 'redirect' })
