import { operation } from 'actionroute'
import { insertUser } from './db'
import { newUserInput } from './new-user'

// The add-user operation actionroute serves through both doors: route() in app/actionroute, formAction() and action() in app/actions.
export const addUser = operation({
  name: 'addUser',
  input: newUserInput,
  handler: async (input, ctx) => {
    const user = await insertUser(input)
    return { message: `User ${user.name} added via ${ctx.door === 'action' ? 'server action' : 'API route'}`, user }
  },
  http: { status: 201 },
})
