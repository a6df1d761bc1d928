// actionroute/reference: an interactive API reference page (Swagger UI) served by the app itself, no CDN.
// Its own entry point because it needs the optional peer dependency `swagger-ui-dist`, which Next must
// load from node_modules at run time: list it in next.config's `serverExternalPackages`.
import 'server-only'
export { apiReference } from './http/reference'
export type { ApiReferenceOptions } from './http/reference'
