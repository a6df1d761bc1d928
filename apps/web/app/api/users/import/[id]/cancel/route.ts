import { routes } from 'actionroute'
import { api } from '@/server/api'

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = routes(api['/api/users/import/{id}/cancel'])
