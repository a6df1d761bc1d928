import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineErrors, openapi, operation, type OpenApiDocument } from '../index'

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
})


/** The operation at `path` and `method`, or a failed test. */
function operationAt(document: OpenApiDocument, path: string, method: 'get' | 'post' | 'delete') {
  const found = document.paths?.[path]?.[method]
  if (!found) throw new Error(`The document has no ${method} ${path}`)
  return found
}
const statusesOf = (document: OpenApiDocument, path: string, method: 'get' | 'post' | 'delete') =>
  Object.keys(operationAt(document, path, method).responses ?? {})

describe('openapi()', () => {
  it('is an OpenAPI 3.1 document with every path and method', () => {
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths ?? {})).toEqual(['/items', '/items/{id}', '/todo'])
    expect(Object.keys(doc.paths?.['/items'] ?? {})).toEqual(['description', 'get', 'post'])
  })

  it('puts GET input in query parameters, with required, defaults and descriptions', () => {
    expect(operationAt(doc, '/items', 'get').parameters).toEqual([
      { name: 'q', in: 'query', required: false, schema: { type: 'string' }, description: 'Part of a title' },
      { name: 'limit', in: 'query', required: false, schema: expect.objectContaining({ type: 'integer', minimum: 1, maximum: 50, default: 10 }) },
    ])
  })

  it('describes bodies as JSON, urlencoded and multipart, and path params from the path', () => {
    const post = operationAt(doc, '/items', 'post')
    const schema = { properties: { title: { type: 'string', minLength: 1 } }, required: ['title'] }
    expect(post.requestBody).toEqual({
      required: true,
      content: {
        'application/json': { schema: expect.objectContaining(schema) },
        'application/x-www-form-urlencoded': { schema: expect.objectContaining(schema) },
        'multipart/form-data': { schema: expect.objectContaining(schema) },
      },
    })
    expect(operationAt(doc, '/items/{id}', 'delete').parameters).toEqual([{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }])
  })

  it('documents the success with its status, Location, and the output schema (dates as date-time strings)', () => {
    expect(operationAt(doc, '/items', 'post').responses?.['201']).toMatchObject({
      headers: { Location: expect.any(Object) },
      content: { 'application/json': { schema: { properties: { due: { type: 'string', format: 'date-time' } } } } },
    })
    expect(operationAt(doc, '/items/{id}', 'delete').responses?.['204']).toEqual({ description: 'No content' })
  })

  it('documents declared and built-in errors as problem+json', () => {
    const responses = operationAt(doc, '/items', 'post').responses ?? {}
    expect(Object.keys(responses)).toEqual(['201', '400', '403', '409', '413', '415', '422', '500', '503'])
    expect(responses['409']).toMatchObject({
      description: '`TAKEN`: Already taken.',
      content: {
        'application/problem+json': {
          schema: { allOf: [{ $ref: '#/components/schemas/Problem' }, { properties: { status: { const: 409 }, code: { enum: ['TAKEN'] } } }] },
        },
      },
    })
    expect(statusesOf(doc, '/items', 'get')).toEqual(['200', '400', '422', '500', '503'])
    expect(statusesOf(doc, '/items/{id}', 'delete')).toContain('404')
    expect(doc.components?.schemas).toHaveProperty('Problem')
  })

  it('keeps operationIds unique when an operation is served at two paths', () => {
    expect(operationAt(doc, '/items', 'post').operationId).toBe('createItem')
    expect(operationAt(doc, '/todo', 'post').operationId).toBe('postTodo')
  })

  it('makes the Location header required, and says what HEAD, OPTIONS and other methods answer', () => {
    expect(operationAt(doc, '/items', 'post').responses?.['201']).toMatchObject({ headers: { Location: { required: true } } })
    expect(doc.paths?.['/items']?.description).toBe(
      'HEAD answers as GET without a body. OPTIONS answers 204 with `Allow: GET, POST, HEAD, OPTIONS`; any other method answers 405 problem+json with the same `Allow`.',
    )
  })

  it('leaves out 422 where no input can fail validation', () => {
    const getById = operation({ name: 'getById', input: z.object({ id: z.string() }), handler: () => null })
    const lookup = openapi({ info: { title: 't', version: '1' }, paths: { '/x/{id}': { GET: getById, DELETE: getById } } })
    expect(statusesOf(lookup, '/x/{id}', 'get')).toEqual(['200', '400', '500', '503'])
    expect(statusesOf(lookup, '/x/{id}', 'delete')).toEqual(['200', '400', '403', '500', '503'])
    const constrained = operation({ name: 'constrained', input: z.object({ id: z.uuid() }), handler: () => null })
    const strict = openapi({ info: { title: 't', version: '1' }, paths: { '/y/{id}': { GET: constrained } } })
    expect(statusesOf(strict, '/y/{id}', 'get')).toContain('422')
  })

  it('shares named schemas as components, and keeps two recursive types apart', () => {
    const user = z.object({ id: z.string(), name: z.string() }).meta({ id: 'Person' })
    interface Folder { name: string; children: Folder[] }
    interface Comment { text: string; replies: Comment[] }
    const folder: z.ZodType<Folder> = z.object({ name: z.string(), get children() { return z.array(folder) } })
    const comment: z.ZodType<Comment> = z.object({ text: z.string(), get replies() { return z.array(comment) } })
    const saveFolder = operation({ name: 'saveFolder', input: z.object({ root: folder }), output: z.object({ owner: user }), handler: () => ({ owner: { id: '1', name: 'A' } }) })
    const saveComment = operation({ name: 'saveComment', input: z.object({ root: comment }), output: z.object({ author: user }), handler: () => ({ author: { id: '1', name: 'A' } }) })
    const both = openapi({ info: { title: 't', version: '1' }, paths: { '/folders': { POST: saveFolder }, '/comments': { POST: saveComment } } })
    const schemas = both.components?.schemas ?? {}
    expect(schemas.Person).toBeDefined()
    expect(JSON.stringify(operationAt(both, '/folders', 'post').responses?.['200'])).toContain('#/components/schemas/Person')
    const bodyOf = (path: string) => JSON.stringify(operationAt(both, path, 'post').requestBody)
    const folderRef = /#\/components\/schemas\/([\w.-]+)/.exec(bodyOf('/folders'))![1]!
    const commentRef = /#\/components\/schemas\/([\w.-]+)/.exec(bodyOf('/comments'))![1]!
    expect(folderRef).not.toBe(commentRef)
    expect(Object.keys(schemas[folderRef]!.properties!)).toEqual(['name', 'children'])
    expect(Object.keys(schemas[commentRef]!.properties!)).toEqual(['text', 'replies'])
  })

  it('refuses two different schemas under one name', () => {
    const a = operation({ name: 'a', input: z.object({}), output: z.object({ x: z.string() }).meta({ id: 'Thing' }), handler: () => ({ x: '' }) })
    const b = operation({ name: 'b', input: z.object({}), output: z.object({ y: z.number() }).meta({ id: 'Thing' }), handler: () => ({ y: 1 }) })
    expect(() => openapi({ info: { title: 't', version: '1' }, paths: { '/a': { GET: a }, '/b': { GET: b } } })).toThrow(
      'Two different schemas are both named "Thing" in the OpenAPI document; give one of them another id.',
    )
  })

  it('has no JSON Schema dialect markers or dangling local refs', () => {
    const text = JSON.stringify(doc)
    expect(text).not.toContain('"$schema"')
    expect(text).not.toContain('#/$defs/')
  })

  it('refuses, with a clear message, a schema that cannot describe itself as JSON Schema', () => {
    const opaque = { '~standard': { version: 1, vendor: 'handmade', validate: (value: unknown) => ({ value }) } } as const
    const op = operation({ name: 'opaqueOp', input: opaque, handler: () => null })
    expect(() => openapi({ info: { title: 't', version: '1' }, paths: { '/o': { POST: op } } })).toThrow(
      'openapi(): the input schema of operation "opaqueOp" (handmade) cannot describe itself as JSON Schema.',
    )
  })
})

describe('openapi() with file fields', () => {
  const upload = operation({
    name: 'uploadAvatar',
    input: z.object({ title: z.string(), avatar: z.file().max(5_000_000).mime(['image/png', 'image/jpeg']), extras: z.array(z.file()).optional() }),
    handler: () => ({}),
  })
  const body = () => openapi({ info: { title: 't', version: '1' }, paths: { '/avatars': { POST: upload } } }).paths?.['/avatars']?.post?.requestBody as {
    content: Record<string, { schema: { properties: Record<string, Record<string, unknown>> }; encoding?: Record<string, { contentType: string }> }>
  }

  it('documents a multipart body only, since no other body can carry a file', () => {
    expect(Object.keys(body().content)).toEqual(['multipart/form-data'])
  })

  it('describes each file as binary with its size limit, and its accepted media types as the part’s encoding', () => {
    const multipart = body().content['multipart/form-data']!
    expect(multipart.schema.properties.avatar).toMatchObject({ type: 'string', format: 'binary', maxLength: 5_000_000 })
    expect(multipart.encoding).toEqual({ avatar: { contentType: 'image/png, image/jpeg' } })
    expect(multipart.schema.properties.extras).toMatchObject({ type: 'array', items: { format: 'binary' } })
  })

  it('documents a file response (http.produces) by its media types, not as JSON', () => {
    const picture = operation({ name: 'picture', input: z.object({ id: z.string() }), http: { produces: ['image/webp', 'image/png'] }, handler: () => new Response() })
    const document = openapi({ info: { title: 't', version: '1' }, paths: { '/pictures/{id}': { GET: picture } } }) as unknown as {
      paths: Record<string, { get: { responses: Record<string, { content: Record<string, unknown> }> } }>
    }
    expect(document.paths['/pictures/{id}']!.get.responses['200']!.content).toEqual({
      'image/webp': { schema: { type: 'string', contentMediaType: 'image/webp' } },
      'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } },
    })
  })

  it('keeps JSON and urlencoded bodies, without the files, when every file field is optional', () => {
    const addPerson = operation({ name: 'addPerson', input: z.object({ name: z.string(), photo: z.file().mime(['image/png']).optional() }), handler: () => ({}) })
    const document = openapi({ info: { title: 't', version: '1' }, paths: { '/people': { POST: addPerson } } }) as unknown as {
      paths: Record<string, { post: { requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } } }>
    }
    const content = document.paths['/people']!.post.requestBody.content
    expect(Object.keys(content)).toEqual(['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'])
    expect(Object.keys(content['application/json']!.schema.properties)).toEqual(['name'])
    expect(Object.keys(content['multipart/form-data']!.schema.properties)).toEqual(['name', 'photo'])
  })
})

describe('openapi() with a streaming operation', () => {
  const tick = z.object({ n: z.number().int() })
  const ticks = operation({
    name: 'ticks',
    input: z.object({ to: z.number().int() }),
    async *handler({ to }) {
      for (let n = 1; n <= to; n++) yield { n }
    },
    // After the handler: its items type the callbacks (TypeScript infers an object's properties in order).
    stream: { item: tick, id: (item) => String(item.n) },
  })
  const streamed = openapi({ info: { title: 'Ticks', version: '1' }, paths: { '/ticks': { GET: ticks } } })

  it('documents server-sent events, each event’s data one item, and NDJSON with the item schema', () => {
    const content = (streamed as unknown as { paths: Record<string, { get: { responses: Record<string, { content: Record<string, { schema: unknown; 'x-itemSchema'?: unknown }> }> } }> }).paths['/ticks']!.get.responses['200']!.content
    expect(Object.keys(content)).toEqual(['text/event-stream', 'application/x-ndjson'])
    const item = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] }
    expect(content['text/event-stream']!.schema).toMatchObject({ type: 'object', properties: { id: { type: 'string' }, data: item }, required: ['data'] })
    expect(content['application/x-ndjson']!['x-itemSchema']).toMatchObject(item)
  })
})
