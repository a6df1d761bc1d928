'use server'

import { action } from 'actionroute'
import { addUser } from '@/lib/add-user'

// The same operation served by actionroute's action(), called with an object (`{ name }`) as next-safe-action's is.
export const addUserAction = action(addUser)
