import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { action, apiKeys, memoryStore, openapi, operation, rateLimit, route } from '../index'
import { withActionContext } from '../testing'

const KEY = 'k3y-for-tests-0123456789'
const OTHER = 'another-key-abcdefghijkl'
const sha = (text: string) => createHash('sha256').update(text).digest('hex')

const guarded = operation({
  name: 'addThing',
  input: z.object({ name: z.string() }),
  use: [apiKeys({ keys: [KEY, `sha256:${sha(OTHER)}`] })],
  handler: ({ name }) => ({ name }),
})
const post = (headers: Record<string, string>) =>
  route(guarded)(new Request('http://api.test/things', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"name":"a"}' }), {
    params: Promise.resolve({}),
  })

describe('apiKeys()', () => {
  it('lets a listed key through, given as is or as its SHA-256 digest', async () => {
    expect((await post({ 'x-api-key': KEY })).status).toBe(200)
    expect((await post({ 'x-api-key': OTHER })).status).toBe(200)
  })

  it.each([
    { why: 'no key', headers: {} as Record<string, string>, detail: 'This operation needs an API key in the x-api-key header.' },
    { why: 'a wrong key', headers: { 'x-api-key': 'wrong-key-0123456789' }, detail: 'That API key is not valid.' },
    { why: 'a prefix of a key', headers: { 'x-api-key': KEY.slice(0, -1) }, detail: 'That API key is not valid.' },
    { why: 'the digest instead of the key', headers: { 'x-api-key': `sha256:${sha(OTHER)}` }, detail: 'That API key is not valid.' },
  ])('answers 401 problem+json for $why', async ({ headers, detail }) => {
    const response = await post(headers)
    expect([response.status, response.headers.get('www-authenticate')]).toEqual([401, 'ApiKey header="x-api-key"'])
    expect(await response.json()).toMatchObject({ code: 'UNAUTHORIZED', detail })
  })

  it('leaves the action door to Next’s origin check by default', async () => {
    expect(await withActionContext({}, () => action(guarded)({ name: 'a' }))).toEqual({ ok: true, data: { name: 'a' } })
  })

  it('refuses weak or missing configuration when the middleware is made', () => {
    expect(() => apiKeys({ keys: [] })).toThrow(/at least one key/)
    expect(() => apiKeys({ keys: ['short'] })).toThrow(/at least 16 characters/)
  })

  it('documents the scheme, the operation’s security and the 401 (and a rate limit’s 429) in OpenAPI', () => {
    const limited = operation({ ...guarded, name: 'limitedThing', use: [apiKeys({ keys: [KEY] }), rateLimit({ limit: 1, window: 60, store: memoryStore() })] })
    const open = operation({ name: 'listThings', input: z.object({}), handler: () => [] })
    const doc = openapi({ info: { title: 't', version: '1' }, paths: { '/things': { POST: limited, GET: open } } })
    expect(doc.components?.securitySchemes).toEqual({ ApiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'An API key issued for this API.' } })
    const post = doc.paths?.['/things']?.post
    expect(post?.security).toEqual([{ ApiKey: [] }])
    expect(Object.keys(post?.responses ?? {})).toEqual(expect.arrayContaining(['401', '429']))
    expect(doc.paths?.['/things']?.get?.security).toBeUndefined()
  })
})
