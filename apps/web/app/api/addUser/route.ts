import { routes } from 'actionroute'
import { addUser } from '@/server/users/operations'

export const { GET, POST, PUT, PATCH, DELETE } = routes({ POST: addUser })
