import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineErrors, openapi, operation } from '../src'

const errors = defineErrors({ NOT_FOUND: { status: 404, message: 'No such item.' }, TAKEN: { status: 409, message: 'Already taken.' } })
const item = z.object({ id: z.string(), title: z.string(), due: z.date().optional() })
const listItems = operation({
  name: 'listItems',
  summary: 'List items',
  tags: ['items'],
  input: z.object({ q: z.string().optional().describe('Part of a title'), limit: z.number().int().min(1).max(50).default(10) }),
  output: z.object({ items: z.array(item) }),
  handler: () => ({ items: [] }),
})
const createItem = operation({
  name: 'createItem',
  input: z.object({ title: z.string().min(1) }),
  output: item,
  errors: { TAKEN: errors.TAKEN },
  handler: ({ title }) => ({ id: '1', title }),
  http: { status: 201, location: ({ id }) => `/items/${id}` },
})
const deleteItem = operation({
  name: 'deleteItem',
  input: z.object({ id: z.string() }),
  errors: { NOT_FOUND: errors.NOT_FOUND },
  handler: () => null,
  http: { status: 204 },
})

const doc = openapi({
  info: { title: 'Items', version: '1' },
  paths: { '/items': { GET: listItems, POST: createItem }, '/items/{id}': { DELETE: deleteItem }, '/todo': { POST: createItem } },
}) as {
  openapi: string
  paths: Record<string, Record<string, Record<string, unknown> & { responses: Record<string, Record<string, unknown>> }>>
  components: { schemas: Record<string, unknown> }
}

describe('openapi()', () => {
  it('is an OpenAPI 3.1 document with every path and method', () => {
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toEqual(['/items', '/items/{id}', '/todo'])
    expect(Object.keys(doc.paths['/items']!)).toEqual(['get', 'post'])
  })

  it('puts GET input in query parameters, with required, defaults and descriptions', () => {
    expect(doc.paths['/items']!.get!.parameters).toEqual([
      { name: 'q', in: 'query', required: false, schema: { type: 'string' }, description: 'Part of a title' },
      { name: 'limit', in: 'query', required: false, schema: expect.objectContaining({ type: 'integer', minimum: 1, maximum: 50, default: 10 }) },
    ])
  })

  it('describes bodies as JSON, urlencoded and multipart, and path params from the path', () => {
    const post = doc.paths['/items']!.post!
    const body = post.requestBody as { required: boolean; content: Record<string, { schema: unknown }> }
    expect(body.required).toBe(true)
    expect(Object.keys(body.content)).toEqual(['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'])
    expect(body.content['application/json']!.schema).toMatchObject({ properties: { title: { type: 'string', minLength: 1 } }, required: ['title'] })
    expect(doc.paths['/items/{id}']!.delete!.parameters).toEqual([{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }])
  })

  it('documents the success with its status, Location, and the output schema (dates as date-time strings)', () => {
    const created = doc.paths['/items']!.post!.responses['201']!
    expect(created.headers).toHaveProperty('Location')
    expect(created.content).toMatchObject({
      'application/json': { schema: { properties: { due: { type: 'string', format: 'date-time' } } } },
    })
    expect(doc.paths['/items/{id}']!.delete!.responses['204']).toEqual({ description: 'No content' })
  })

  it('documents declared and built-in errors as problem+json', () => {
    const responses = doc.paths['/items']!.post!.responses
    expect(Object.keys(responses)).toEqual(['201', '400', '409', '413', '415', '422', '500'])
    expect(responses['409']).toMatchObject({
      description: '`TAKEN`: Already taken.',
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    })
    expect(Object.keys(doc.paths['/items']!.get!.responses)).toEqual(['200', '422', '500'])
    expect(Object.keys(doc.paths['/items/{id}']!.delete!.responses)).toContain('404')
    expect(doc.components.schemas).toHaveProperty('Problem')
  })

  it('keeps operationIds unique when an operation is served at two paths', () => {
    expect(doc.paths['/items']!.post!.operationId).toBe('createItem')
    expect(doc.paths['/todo']!.post!.operationId).toBe('createItem2')
  })

  it('has no JSON Schema dialect markers or dangling local refs', () => {
    const text = JSON.stringify(doc)
    expect(text).not.toContain('"$schema"')
    expect(text).not.toContain('#/$defs/')
  })
})
