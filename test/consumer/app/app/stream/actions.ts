'use server'

import { action } from 'actionroute'
import { countdown } from '../../lib/operations'

// The stream through the action door: React streams the frames to the page.
export const countdownAction = action(countdown)
