import { openapi, type ApiPaths } from 'actionroute'
import { addUser, cancelImport, deleteUser, followUsers, getAvatar, getUser, importUsers, listUsers, setAvatar, updateUser } from './users/operations'

/** Which operation answers which path and method: read by the route files and by the OpenAPI document. */
export const api = {
  '/api/addUser': { POST: addUser },
  '/api/users': { GET: listUsers, POST: addUser },
  '/api/users/events': { GET: followUsers },
  '/api/users/import': { POST: importUsers },
  '/api/users/import/{id}/cancel': { POST: cancelImport },
  '/api/users/{id}': { GET: getUser, PATCH: updateUser, DELETE: deleteUser },
  // POST too: an HTML form can only post (the avatar form without JavaScript).
  '/api/users/{id}/avatar': { GET: getAvatar, PUT: setAvatar, POST: setAvatar },
} satisfies ApiPaths

export const openapiDocument = openapi({
  info: {
    title: 'User Directory API',
    version: '1.0.0',
    description:
      'The HTTP door of the User Directory. Every operation here is also a Server Action in the app. ' +
      'Errors are RFC 9457 problem+json with a stable `code`.',
    license: { name: 'MIT', identifier: 'MIT' },
  },
  // Relative to where the document is served: the same app answers both.
  servers: [{ url: '/', description: 'This User Directory' }],
  // Open by default; with API_KEYS set, each write operation names the schemes it accepts (ApiKey or Session).
  security: [],
  paths: api,
})
