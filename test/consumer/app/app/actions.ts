'use server'

import { formAction } from 'actionroute'
import { subscribe } from '../lib/operations'

// create-next-app turns cacheComponents on, where Next 16.4-16.5 answers a form sent without JavaScript with a
// blank page: 'redirect' sends the browser back to the page instead, the outcome read there by formOutcome().
export const subscribeAction = formAction(subscribe, { withoutJavaScript: 'redirect' })

// The same operation as Next serves it by default: /plain shows (and the consumer test pins) Next's blank page.
export const subscribeRenderedAction = formAction(subscribe)
