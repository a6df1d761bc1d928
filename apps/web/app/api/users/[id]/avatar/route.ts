import { routes } from 'actionroute'
import { api } from '@/server/api'

// A form posted here without JavaScript (an avatar larger than a Server Action takes) comes back to its page.
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = routes(api['/api/users/{id}/avatar'], { browserForms: 'redirect' })
