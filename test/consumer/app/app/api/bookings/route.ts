import { routes } from 'actionroute'
import { bookSeats } from '../../../lib/operations'

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = routes({ POST: bookSeats })
