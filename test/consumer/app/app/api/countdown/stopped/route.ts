import { routes } from 'actionroute'
import { countdownStopped } from '../../../../lib/operations'

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = routes({ GET: countdownStopped })
