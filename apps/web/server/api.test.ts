import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { api } from './api'

// The paths table is where a path is written once. Next routes by files, so this keeps the two in
// step: every path in the table has its route file, serving it with routes(), and no route file
// under app/api serves operations the table does not list.

const apiDir = path.resolve(import.meta.dirname, '../app/api')
/** Route files that are not operations: the document, its reference page, and the 404 for every other API path. */
const NOT_OPERATIONS = ['/api/openapi.json', '/api/docs/[[...asset]]', '/api/[...unknown]']

function routeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return routeFiles(full)
    return entry.name === 'route.ts' ? [full] : []
  })
}

/** app/api/users/[id]/route.ts → /api/users/{id} */
const pathOf = (file: string) => `/api/${path.relative(apiDir, path.dirname(file)).split(path.sep).join('/')}`.replace(/\/$/, '')
const template = (route: string) => route.replace(/\[([^\].]+)\]/g, '{$1}')

const files = routeFiles(apiDir).map((file) => ({ file, route: pathOf(file) }))
const operationFiles = files.filter(({ route }) => !NOT_OPERATIONS.includes(route))

describe('the paths table and the route files', () => {
  it('agree on the paths', () => {
    expect(operationFiles.map(({ route }) => template(route)).sort()).toEqual(Object.keys(api).sort())
  })

  it.each(operationFiles)('$route serves its own entry of the table, every method', async ({ file, route }) => {
    // The table's entry for this path, with options or without.
    expect(readFileSync(file, 'utf8')).toMatch(new RegExp(`= routes\\(api\\['${template(route).replace(/[{}]/g, '\\$&')}'\\](, \\{[^}]*\\})?\\)`))
    const exported = Object.keys(await import(file)).sort()
    expect(exported).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'])
  })

  it('answers 404 problem+json on every method at any other /api/ path (a catch-all, so Next runs no Server Action there)', async () => {
    const catchAll = (await import(path.join(apiDir, '[...unknown]/route.ts'))) as Record<string, (request: Request) => Promise<Response>>
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const response = await catchAll[method]!(new Request('http://test/api/nothing/here', { method }))
      expect([method, response.status, response.headers.get('content-type')]).toEqual([method, 404, 'application/problem+json'])
    }
  })
})
