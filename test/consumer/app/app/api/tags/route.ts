import { routes } from 'actionroute'
import { createTag } from '../../../lib/operations'

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = routes({ POST: createTag })
