import { router } from 'actionroute'

// Every /api/ path no other route serves: 404 problem+json for any method, as an API client expects, instead of
// the HTML not-found page. And a route handler does not run Server Actions, while Next runs one posted to the
// not-found page (from another origin that was Next's 500). A proxy matcher on /api/* with a Next-Action `has`
// condition would do the latter, but Next then parses every API query string for it: +130 ms of CPU on a 16 KB one.
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = router({})
