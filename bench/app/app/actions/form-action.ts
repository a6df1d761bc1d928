'use server'

import { formAction } from 'actionroute'
import { addUser } from '@/lib/add-user'

// The operation app/actionroute serves with route(), served by actionroute's formAction() for useActionState.
export const addUserFormAction = formAction(addUser)
