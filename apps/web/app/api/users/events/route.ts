import { routes } from 'actionroute'
import { api } from '@/server/api'

// A stream per subscriber, answered as it happens: never prerendered, never cached.
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = routes(api['/api/users/events'])
