import { OperationError } from '../core/errors'
import type { HttpMethod, Operation } from '../core/operation'
import { problemResponse } from './problem'
import { routes, type RouteHandler, type RouteOptions, type Routes } from './route'
import { cors } from './cors'

/** Paths to operations by method: one table feeds `router()` (or `routes()`) and the OpenAPI document. */
export type ApiPaths = Record<string, Partial<Record<HttpMethod, Operation>>>

interface Entry {
  /** The template's segments; `{name}` ones capture. */
  segments: string[]
  handlers: Routes
}

const isParam = (segment: string) => segment.startsWith('{') && segment.endsWith('}')

/** `/api/users/{id}` → the params of a matching path, or null. Literal segments compare exactly. */
function match(segments: string[], entry: Entry): Record<string, string> | null {
  if (segments.length !== entry.segments.length) return null
  const params: Record<string, string> = {}
  for (const [index, part] of entry.segments.entries()) {
    const segment = segments[index]!
    if (isParam(part)) params[part.slice(1, -1)] = segment
    else if (part !== segment) return null
  }
  return params
}

/**
 * The most literal path first, whatever the table's order: segment by segment from the left, a literal before a
 * parameter, so `/x/archived` comes before `/x/{id}`, and `/a/b/{y}` before `/a/{x}/c` (both match `/a/b/c`).
 */
function byLiteralness(a: Entry, b: Entry): number {
  const length = Math.min(a.segments.length, b.segments.length)
  for (let index = 0; index < length; index++) {
    const difference = Number(isParam(a.segments[index]!)) - Number(isParam(b.segments[index]!))
    if (difference !== 0) return difference
  }
  return a.segments.length - b.segments.length
}

function decodedSegments(pathname: string): string[] {
  return pathname
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      try {
        return decodeURIComponent(segment)
      } catch {
        throw new OperationError('BAD_REQUEST', 'The path holds a malformed percent-escape.')
      }
    })
}

/**
 * Serves a whole paths table from one catch-all route file, so the table is the only place a path
 * is written: `app/api/[...path]/route.ts` → `export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = router(api)`.
 * Each path answers as `routes()` would (405 + `Allow`, OPTIONS, HEAD); a path not in the table answers 404.
 * Where two templates match one path, the more literal wins (see `byLiteralness`); two that match the same
 * paths (`/x/{a}` and `/x/{b}`) are a TypeError when the router is made.
 */
export function router(paths: ApiPaths, options: RouteOptions = {}): Routes {
  const entries: Entry[] = Object.entries(paths)
    .map(([path, operations]) => ({ segments: path.split('/').filter(Boolean), handlers: routes(operations, options) }))
    .sort(byLiteralness)
  const shapes = new Map<string, string>()
  for (const { segments } of entries) {
    const shape = segments.map((segment) => (isParam(segment) ? '{}' : segment)).join('/')
    const other = shapes.get(shape)
    if (other !== undefined) throw new TypeError(`router: /${other} and /${segments.join('/')} match the same paths; keep one.`)
    shapes.set(shape, segments.join('/'))
  }
  // The answers the router gives itself (400, 404) carry the CORS headers the routes' answers do.
  const policy = cors(options.cors)
  const dispatch =
    (method: keyof Routes): RouteHandler =>
    async (request) => {
      let segments: string[]
      try {
        segments = decodedSegments(new URL(request.url).pathname)
      } catch (error) {
        return problemResponse(error as OperationError, policy?.headersFor(request))
      }
      for (const entry of entries) {
        const params = match(segments, entry)
        if (params) return entry.handlers[method](request, { params: Promise.resolve(params) })
      }
      return problemResponse(new OperationError('NOT_FOUND', `Nothing is served at ${new URL(request.url).pathname}.`), policy?.headersFor(request))
    }
  return {
    GET: dispatch('GET'),
    HEAD: dispatch('HEAD'),
    POST: dispatch('POST'),
    PUT: dispatch('PUT'),
    PATCH: dispatch('PATCH'),
    DELETE: dispatch('DELETE'),
    OPTIONS: dispatch('OPTIONS'),
  }
}
