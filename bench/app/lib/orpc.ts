import { os } from '@orpc/server'
import { insertUser } from './db'
import { newUserInput } from './new-user'

// The add-user procedure in oRPC, served as POST /orpc/users by its OpenAPIHandler (app/orpc).
export const router = {
  addUser: os
    .route({ method: 'POST', path: '/users', successStatus: 201 })
    .input(newUserInput)
    .handler(async ({ input }) => {
      const user = await insertUser(input)
      return { message: `User ${user.name} added via API route`, user }
    }),
}
