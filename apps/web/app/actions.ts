'use server'

import { action, formAction } from 'actionroute'
import { addUser, deleteUser, renameUser } from '@/server/users/operations'

// The list refreshes through each operation's `revalidate`, on whichever door it is called.
export const addUserAction = formAction(addUser)
export const renameUserAction = formAction(renameUser)
export const deleteUserAction = formAction(deleteUser)

// Called with a typed input by the rename form once JavaScript runs (it shows the new name at once).
export const renameUserDirect = action(renameUser)
