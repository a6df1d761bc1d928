'use server'

import { formAction } from 'actionroute'
import { revalidatePath } from 'next/cache'
import { addUser, deleteUser, renameUser } from '@/server/users/operations'

const refreshList = () => revalidatePath('/')

export const addUserAction = formAction(addUser, { onSuccess: refreshList })
export const renameUserAction = formAction(renameUser, { onSuccess: refreshList })
export const deleteUserAction = formAction(deleteUser, { onSuccess: refreshList })
