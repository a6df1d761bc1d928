import { routes } from 'actionroute'
import { addUser, listUsers } from '@/server/users/operations'

export const { GET, POST, PUT, PATCH, DELETE } = routes({ GET: listUsers, POST: addUser })
