import { routes } from 'actionroute'
import { deleteUser, getUser, updateUser } from '@/server/users/operations'

export const { GET, POST, PUT, PATCH, DELETE } = routes({ GET: getUser, PATCH: updateUser, DELETE: deleteUser })
