import { routes } from 'actionroute'
import { subscribe } from '../../../lib/operations'

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = routes({ POST: subscribe })
