// The Pages Router's door to the same operation: Next's body parser off, so actionroute streams the body
// through its own limits.
import { pagesApi, routes } from 'actionroute'
import { subscribe } from '../../lib/operations'

export const config = { api: { bodyParser: false } }

export default pagesApi(routes({ POST: subscribe }))
