'use server'

import { formAction } from 'actionroute'
import { subscribe } from '../lib/operations'

export const subscribeAction = formAction(subscribe)
