import { openapi } from 'actionroute'
import { bookSeats, createTag, subscribe } from '../../../lib/operations'

const document = openapi({
  info: { title: 'actionroute consumer', version: '1.0.0' },
  paths: {
    '/api/subscribe': { POST: subscribe },
    '/api/tags': { POST: createTag },
    '/api/bookings': { POST: bookSeats },
  },
})

export const GET = () => Response.json(document)
