import { routes } from 'actionroute'
import { api } from '@/server/api'

export const { GET, POST, PUT, PATCH, DELETE } = routes(api['/api/users'])
