import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { action, apiKeys, authenticate, authenticator, authorize, base, formAction, idle, invalidCredential, memoryStore, openapi, rateLimit, route } from '../index'
import { withActionContext } from '../testing'

const KEY = 'k3y-for-tests-0123456789'
const OTHER = 'another-key-abcdefghijkl'
const sha = (text: string) => createHash('sha256').update(text).digest('hex')

// A session cookie, as an app's sign-in would set it (signed for real in the app; here a fixed token).
const session = authenticator({
  scheme: { name: 'Session', scheme: { type: 'apiKey', in: 'cookie', name: 'session' } },
  hint: 'sign in',
  identify(ctx) {
    const token = ctx.cookies.get('session')
    if (token === undefined) return undefined
    if (token !== 'ada-signed') throw invalidCredential('Your session is not valid: sign in again.')
    return { id: 'user:ada', via: 'session' as const }
  },
})
const authed = base.use(authenticate(apiKeys({ keys: [KEY, `sha256:${sha(OTHER)}`] }), session))
const guarded = authed.operation({
  name: 'addThing',
  input: z.object({ name: z.string() }),
  handler: ({ name }, ctx) => ({ name, by: ctx.locals.principal.id }),
})
const post = (headers: Record<string, string>) =>
  route(guarded)(new Request('http://api.test/things', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"name":"a"}' }), {
    params: Promise.resolve({}),
  })
const viaAction = (headers: Record<string, string>) => withActionContext({ headers }, () => action(guarded)({ name: 'a' }))
const viaForm = (headers: Record<string, string>) => {
  const form = new FormData()
  form.set('name', 'a')
  return withActionContext({ headers }, () => formAction(guarded)(idle, form))
}

describe('authenticate()', () => {
  it('lets a listed key through on either door, given as is or as its SHA-256 digest', async () => {
    expect((await post({ 'x-api-key': KEY })).status).toBe(200)
    expect(await (await post({ 'x-api-key': OTHER })).json()).toEqual({ name: 'a', by: `apiKey:${sha(OTHER).slice(0, 16)}` })
    expect(await viaAction({ 'x-api-key': KEY })).toEqual({ ok: true, data: { name: 'a', by: `apiKey:${sha(KEY).slice(0, 16)}` } })
  })

  it('lets a session through on either door', async () => {
    expect(await (await post({ cookie: 'session=ada-signed' })).json()).toEqual({ name: 'a', by: 'user:ada' })
    expect(await viaAction({ cookie: 'session=ada-signed' })).toEqual({ ok: true, data: { name: 'a', by: 'user:ada' } })
  })

  it.each([
    { why: 'no credential', headers: {} as Record<string, string>, detail: 'Authentication is required: send an API key in the x-api-key header or sign in.' },
    { why: 'a wrong key', headers: { 'x-api-key': 'wrong-key-0123456789' }, detail: 'That API key is not valid.' },
    { why: 'a prefix of a key', headers: { 'x-api-key': KEY.slice(0, -1) }, detail: 'That API key is not valid.' },
    { why: 'the digest instead of the key', headers: { 'x-api-key': `sha256:${sha(OTHER)}` }, detail: 'That API key is not valid.' },
    { why: 'a forged session', headers: { cookie: 'session=mallory' }, detail: 'Your session is not valid: sign in again.' },
  ])('refuses $why the same way on every door: 401 problem+json, the action’s error, the form’s error state', async ({ headers, detail }) => {
    const response = await post(headers)
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ code: 'UNAUTHORIZED', status: 401, detail })
    expect(await viaAction(headers)).toEqual({ ok: false, error: { code: 'UNAUTHORIZED', status: 401, message: detail, issues: [] } })
    expect(await viaForm(headers)).toMatchObject({ status: 'error', code: 'UNAUTHORIZED', formError: detail })
  })

  it('challenges with WWW-Authenticate for the schemes that have one', async () => {
    expect((await post({})).headers.get('www-authenticate')).toBe('ApiKey header="x-api-key"')
  })

  it('refuses weak or missing configuration when it is made', () => {
    expect(() => apiKeys({ keys: [] })).toThrow(/at least one key/)
    expect(() => apiKeys({ keys: ['short'] })).toThrow(/at least 16 characters/)
    expect(() => authenticate()).toThrow(/at least one way/)
  })

  it('cannot be both public and authenticated', () => {
    expect(() => base.public().use(authenticate(session))).toThrow(/either public or needs a principal/)
    expect(() => authed.public()).toThrow(/either public or needs a principal/)
    expect([base.access, base.public().access, authed.access, guarded.access]).toEqual(['undecided', 'public', 'authenticated', 'authenticated'])
  })

  it('documents the schemes as alternatives, the 401 (and a rate limit’s 429) in OpenAPI', () => {
    const limited = authed.use(rateLimit({ limit: 1, window: 60, store: memoryStore() })).operation({ name: 'limitedThing', input: z.object({}), handler: () => ({}) })
    const open = base.public().operation({ name: 'listThings', input: z.object({}), handler: () => [] })
    const doc = openapi({ info: { title: 't', version: '1' }, paths: { '/things': { POST: limited, GET: open } } })
    expect(doc.components?.securitySchemes).toEqual({
      ApiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'An API key issued for this API.' },
      Session: { type: 'apiKey', in: 'cookie', name: 'session' },
    })
    const post = doc.paths?.['/things']?.post
    expect(post?.security).toEqual([{ ApiKey: [] }, { Session: [] }])
    expect(Object.keys(post?.responses ?? {})).toEqual(expect.arrayContaining(['401', '429']))
    // A public operation says it needs nothing, so a root-level security cannot reach it.
    expect(doc.paths?.['/things']?.get?.security).toEqual([])
  })
})

describe('authenticate() twice', () => {
  it('asks for one way of each, in OpenAPI: every combination', () => {
    const both = base.use(authenticate(apiKeys({ keys: [KEY] }))).use(authenticate(session)).operation({ name: 'both', input: z.object({}), handler: () => ({}) })
    const doc = openapi({ info: { title: 't', version: '1' }, paths: { '/both': { POST: both } } })
    expect(doc.paths?.['/both']?.post?.security).toEqual([{ ApiKey: [], Session: [] }])
  })
})

describe('authorize()', () => {
  const adminsOnly = authed.use(authorize((principal) => principal.via === 'session', 'Only people signed in may do this.'))
  const remove = adminsOnly.operation({ name: 'removeThing', input: z.object({ name: z.string() }), handler: ({ name }) => ({ removed: name }) })
  const call = (headers: Record<string, string>) =>
    route(remove)(new Request('http://api.test/things', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"name":"a"}' }), {
      params: Promise.resolve({}),
    })

  it('refuses a principal it does not allow with 403 on both doors, and lets the others through', async () => {
    const refused = await call({ 'x-api-key': KEY })
    expect([refused.status, await refused.json()]).toEqual([403, expect.objectContaining({ code: 'FORBIDDEN', detail: 'Only people signed in may do this.' })])
    expect(await withActionContext({ headers: { 'x-api-key': KEY } }, () => action(remove)({ name: 'a' }))).toEqual({
      ok: false,
      error: { code: 'FORBIDDEN', status: 403, message: 'Only people signed in may do this.', issues: [] },
    })
    expect((await call({ cookie: 'session=ada-signed' })).status).toBe(200)
    expect((await call({})).status).toBe(401)
  })
})
