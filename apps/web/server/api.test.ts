import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { api } from './api'

// The paths table is where a path is written once. Next routes by files, so this keeps the two in
// step: every path in the table has its route file, serving it with routes(), and no route file
// under app/api serves operations the table does not list.

const apiDir = path.resolve(import.meta.dirname, '../app/api')
/** Route files that are not operations: the document and its reference page. */
const NOT_OPERATIONS = ['/api/openapi.json', '/api/docs/[[...asset]]']

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
    expect(readFileSync(file, 'utf8')).toContain(`= routes(api['${template(route)}'])`)
    const exported = Object.keys(await import(file)).sort()
    expect(exported).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'])
  })
})
