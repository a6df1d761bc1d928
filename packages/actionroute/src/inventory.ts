import { SERVES, type Serves } from './action/action'
import type { Access, HttpMethod, Operation } from './core/operation'
import { DEFAULT_BODY_LIMIT } from './http/body'
import { fileRulesFor } from './input/files'
import { fileAllowance } from './input/multipart'
import type { ApiPaths } from './http/router'

export interface InventoryOptions {
  /** The API table (path → method → operation), the one `router()` / `routes()` and `openapi()` read. */
  paths?: ApiPaths
  /** The exports of your `'use server'` modules: `import * as actions from '@/app/actions'`. */
  actions?: Record<string, unknown>
  /** The largest Server Action body Next accepts: next.config's `serverActions.bodySizeLimit` (1 MB by default). */
  actionBodyLimit?: number
  /** The route door's body limit, when `route()` / `routes()` are given one; `DEFAULT_BODY_LIMIT` otherwise. */
  routeBodyLimit?: number
}

/** One door of one operation, as a caller reaches it. */
export interface ExposedDoor {
  operation: string
  door: 'route' | 'action'
  /** `POST /api/users` on the route door; the export's name on the action door, e.g. `addUserAction (form)`. */
  at: string
  /** Its auth decision: `public`, `authenticated`, or `undecided` (a hole until decided). */
  access: Access
  /** The ways a caller can authenticate, by security scheme name (any one is enough). */
  authenticatedBy: string[]
  /** The other policies its middleware apply (rate limits, idempotency), each in a few words. */
  policies: string[]
  /** The largest body accepted, in bytes; 0 for a route that reads the query string. */
  bodyLimit: number
  /** Route door: the bytes of files it streams to disk on top of `bodyLimit` (its file fields' limits); else 0. */
  fileLimit: number
  /** What stops another site from making a browser call it. */
  csrf: string
}

const READS_QUERY = new Set<HttpMethod>(['GET', 'DELETE'])

function facts(op: Operation): Pick<ExposedDoor, 'operation' | 'access' | 'authenticatedBy' | 'policies'> {
  return {
    operation: op.name,
    access: op.access,
    authenticatedBy: op.use.flatMap((layer) => layer.authenticates?.map((scheme) => scheme.name) ?? []),
    policies: op.use.flatMap((layer) => (layer.policy ? [`${layer.policy.kind}: ${layer.policy.summary}`] : [])),
  }
}

const servesOf = (value: unknown): Serves | undefined =>
  typeof value === 'function' ? ((value as unknown as Record<symbol, Serves | undefined>)[SERVES] ?? undefined) : undefined

/**
 * Every door of every operation: each route path and method, each Server Action export, with its auth
 * decision, the policies its middleware apply, its body limit and its CSRF guard. Runs anywhere Node
 * runs (a script, a test): `formatInventory(inventory({ paths: api, actions }))` prints it as a table.
 */
export function inventory({ paths = {}, actions = {}, actionBodyLimit = 1024 * 1024, routeBodyLimit = DEFAULT_BODY_LIMIT }: InventoryOptions): ExposedDoor[] {
  const doors: ExposedDoor[] = []
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods) as [HttpMethod, Operation | undefined][]) {
      if (!op) continue
      const readsQuery = READS_QUERY.has(method)
      doors.push({
        ...facts(op),
        door: 'route',
        at: `${method} ${path}`,
        bodyLimit: readsQuery ? 0 : routeBodyLimit,
        fileLimit: readsQuery ? 0 : filesOf(op),
        csrf: method === 'GET' ? 'a read: none needed' : 'cross-site forms refused (Origin, Sec-Fetch-Site)',
      })
    }
  }
  for (const [name, value] of Object.entries(actions)) {
    const serves = servesOf(value)
    if (!serves) continue
    doors.push({ ...facts(serves.operation), door: 'action', at: `${name} (${serves.kind})`, bodyLimit: actionBodyLimit, fileLimit: 0, csrf: "Next's Origin check" })
  }
  return doors
}

/** The file bytes a route door takes for `op`: its file fields' allowance (none without file fields). */
function filesOf(op: Operation): number {
  const rules = fileRulesFor(op.input)
  return rules && rules.size === 0 ? 0 : fileAllowance(rules)
}

const size = (bytes: number) => (bytes === 0 ? 'query' : bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MB` : `${Math.round(bytes / 1024)} KB`)

/** The inventory as a plain-text table, one door a line, for a terminal or a README. */
export function formatInventory(doors: readonly ExposedDoor[]): string {
  const header = ['operation', 'door', 'at', 'auth', 'policies', 'body', 'csrf']
  const rows = doors.map((door) => [
    door.operation,
    door.door,
    door.at,
    door.access === 'authenticated' ? `authenticated (${door.authenticatedBy.join(' or ')})` : door.access === 'undecided' ? 'UNDECIDED' : 'public',
    door.policies.join('; ') || '-',
    door.fileLimit > 0 ? `${size(door.bodyLimit)} + ${size(door.fileLimit)} files` : size(door.bodyLimit),
    door.csrf,
  ])
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)))
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n')
}
