import { routes } from 'actionroute'
import { countdown } from '../../../lib/operations'

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = routes({ GET: countdown })
