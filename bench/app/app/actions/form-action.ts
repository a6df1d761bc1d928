'use server'

import { formAction } from 'actionroute'
import { addUser } from '@/lib/add-user'

// Variant (d): the operation of variant (b) served by actionroute's formAction(), for useActionState.
export const addUserFormAction = formAction(addUser)
