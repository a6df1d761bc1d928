import { ActionError } from '../core/errors'
import type { HttpMethod, Operation } from '../core/operation'
import { problemResponse } from './problem'
import { routes, type RouteHandler, type RouteOptions, type Routes } from './route'

/** Paths to operations by method: one table feeds `router()` (or `routes()`) and the OpenAPI document. */
export type ApiPaths = Record<string, Partial<Record<HttpMethod, Operation>>>

interface Entry {
  /** The template's segments; `{name}` ones capture. */
  segments: string[]
  handlers: Routes
}

/** `/api/users/{id}` → the params of a matching path, or null. Literal segments compare exactly. */
function match(segments: string[], entry: Entry): Record<string, string> | null {
  if (segments.length !== entry.segments.length) return null
  const params: Record<string, string> = {}
  for (const [index, part] of entry.segments.entries()) {
    const segment = segments[index]!
    if (part.startsWith('{') && part.endsWith('}')) params[part.slice(1, -1)] = segment
    else if (part !== segment) return null
  }
  return params
}

function decodedSegments(pathname: string): string[] {
  return pathname
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      try {
        return decodeURIComponent(segment)
      } catch {
        throw new ActionError('BAD_REQUEST', 'The path holds a malformed percent-escape.')
      }
    })
}

/**
 * Serves a whole paths table from one catch-all route file, so the table is the only place a path
 * is written: `app/api/[...path]/route.ts` → `export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = router(api)`.
 * Each path answers as `routes()` would (405 + `Allow`, OPTIONS, HEAD); a path not in the table answers 404.
 */
export function router(paths: ApiPaths, options: RouteOptions = {}): Routes {
  const isParam = (segment: string) => segment.startsWith('{')
  // The most literal path wins: /x/archived before /x/{id}, whatever the table's order.
  const entries: Entry[] = Object.entries(paths)
    .map(([path, operations]) => ({ segments: path.split('/').filter(Boolean), handlers: routes(operations, options) }))
    .sort((a, b) => a.segments.filter(isParam).length - b.segments.filter(isParam).length)
  const dispatch =
    (method: keyof Routes): RouteHandler =>
    async (request) => {
      let segments: string[]
      try {
        segments = decodedSegments(new URL(request.url).pathname)
      } catch (error) {
        return problemResponse(error as ActionError)
      }
      for (const entry of entries) {
        const params = match(segments, entry)
        if (params) return entry.handlers[method](request, { params: Promise.resolve(params) })
      }
      return problemResponse(new ActionError('NOT_FOUND', `Nothing is served at ${new URL(request.url).pathname}.`))
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
