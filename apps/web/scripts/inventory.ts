// npm run inventory: every door of every operation this app serves (API routes and Server Actions), with who may
// call it, the policies that apply, its body limit and its CSRF guard. It reads the environment as the server
// does: run it with the API_KEYS (and sign-in settings) of the deployment you want to check.
import { formatInventory, inventory } from 'actionroute'
import * as actions from '../app/actions'
import { api } from '../server/api'
import { ACTION_BODY_LIMIT } from '../server/limits'

console.log(formatInventory(inventory({ paths: api, actions, actionBodyLimit: ACTION_BODY_LIMIT })))
