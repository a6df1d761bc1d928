import { serverActionGuard } from 'actionroute'

// One line of actionroute: Server Action requests Next would answer with a 500 (another origin, a body over the
// limit, a body React cannot decode) are refused with a 4xx before Next sees them.
export const proxy = serverActionGuard()

export const config = {
  matcher: [
    { source: '/((?!api/|_next/).*)', has: [{ type: 'header', key: 'next-action' }] },
    { source: '/((?!api/|_next/).*)', has: [{ type: 'header', key: 'content-type', value: 'multipart/form-data.*' }] },
  ],
}
