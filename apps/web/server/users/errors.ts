import { defineErrors } from 'actionroute'

export const userErrors = defineErrors({
  NOT_FOUND: { status: 404, message: 'No user with this id.' },
  EMAIL_TAKEN: { status: 409, message: 'A user with this email already exists.' },
})
