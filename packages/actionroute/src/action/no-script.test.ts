import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { formAction, formOutcome, idle, operation } from '../index'
import { withActionContext } from '../testing'
import { backTo, parseOutcome } from './no-script'

// Next's cookie store, as an action and a page see it: what the action sets is what the next request reads.
const jar = vi.hoisted(() => new Map<string, { value: string; options: Record<string, unknown> }>())
vi.mock('next/headers', async (original) => ({
  ...(await original<typeof import('next/headers')>()),
  cookies: async () => ({
    set: (name: string, value: string, options: Record<string, unknown>) => jar.set(name, { value, options }),
    get: (name: string) => (jar.has(name) ? { name, value: jar.get(name)!.value } : undefined),
  }),
}))

const subscribe = operation({
  name: 'subscribe',
  input: z.object({ name: z.string().min(2, 'Use at least 2 characters'), note: z.string().optional() }),
  handler: ({ name }) => ({ message: `Subscribed ${name}` }),
})
const submit = formAction(subscribe, { withoutJavaScript: 'redirect' })
const form = (fields: Record<string, string>) => {
  const data = new FormData()
  for (const [name, value] of Object.entries(fields)) data.append(name, value)
  return data
}
const page = 'https://app.example/newsletter?ref=home'

/** Runs the action as Next would for a form posted by the browser itself (no Next-Action header); the redirect it throws. */
async function postedWithoutJavaScript(fields: Record<string, string>, headers: Record<string, string> = { referer: page }) {
  jar.clear()
  const thrown = await withActionContext({ headers }, () => submit(idle, form(fields))).then(
    () => undefined,
    (error: unknown) => error as { digest?: string },
  )
  return { digest: thrown?.digest, cookie: jar.get('actionroute-form.subscribe') }
}

describe("formAction(op, { withoutJavaScript: 'redirect' })", () => {
  it('answers a form sent without JavaScript with a 303 to its page and the outcome in a short-lived cookie', async () => {
    const { digest, cookie } = await postedWithoutJavaScript({ name: 'Ada' })
    // (Next makes it a 303 inside a real action: the consumer app's test sees the status itself.)
    expect(digest).toMatch(/^NEXT_REDIRECT;push;\/newsletter\?ref=home;30[37];$/)
    expect(cookie?.options).toEqual({ httpOnly: true, sameSite: 'lax', path: '/', maxAge: 30, secure: true })
    expect(JSON.parse(cookie!.value)).toEqual({ status: 'success', message: 'Subscribed Ada', data: { message: 'Subscribed Ada' } })
    // The page the browser comes back to reads it as the form's first state.
    expect(await formOutcome(subscribe)).toEqual({ status: 'success', message: 'Subscribed Ada', data: { message: 'Subscribed Ada' } })
  })

  it('carries field errors and the typed values the same way', async () => {
    const { digest } = await postedWithoutJavaScript({ name: 'A', note: 'hi' })
    expect(digest).toMatch(/^NEXT_REDIRECT;push;\/newsletter\?ref=home;/)
    expect(await formOutcome(subscribe)).toEqual({
      status: 'error',
      code: 'VALIDATION_FAILED',
      fieldErrors: { name: ['Use at least 2 characters'] },
      formError: 'Please correct the fields marked below.',
      values: { name: 'A', note: 'hi' },
    })
  })

  it('cuts the typed values, not the errors, when the outcome would not fit in a cookie', async () => {
    const { cookie } = await postedWithoutJavaScript({ name: 'A', note: 'x'.repeat(5_000) })
    expect(encodeURIComponent(cookie!.value).length).toBeLessThanOrEqual(3_000)
    expect(await formOutcome(subscribe)).toMatchObject({ status: 'error', fieldErrors: { name: ['Use at least 2 characters'] }, values: {} })
  })

  it('goes back to / without a Referer, and the cookie is not Secure on http', async () => {
    expect((await postedWithoutJavaScript({ name: 'Ada' }, {})).digest).toMatch(/^NEXT_REDIRECT;push;\/;/)
    expect((await postedWithoutJavaScript({ name: 'Ada' }, { referer: 'http://localhost:3000/a' })).cookie?.options.secure).toBe(false)
  })

  it('answers a call from JavaScript (Next-Action header) in place, with no cookie', async () => {
    jar.clear()
    const state = await withActionContext({ headers: { 'next-action': 'abc', referer: page } }, () => submit(idle, form({ name: 'Ada' })))
    expect(state).toMatchObject({ status: 'success', message: 'Subscribed Ada' })
    expect(jar.size).toBe(0)
  })

  it("answers in place by default ('render'), with or without JavaScript", async () => {
    jar.clear()
    const state = await withActionContext({ headers: { referer: page } }, () => formAction(subscribe)(idle, form({ name: 'Ada' })))
    expect(state).toMatchObject({ status: 'success' })
    expect(jar.size).toBe(0)
  })

  it('formOutcome is idle on any other visit, and for a cookie that is not an outcome', async () => {
    jar.clear()
    expect(await formOutcome(subscribe)).toBe(idle)
    jar.set('actionroute-form.subscribe', { value: '{"status":"error","code":1}', options: {} })
    expect(await formOutcome(subscribe)).toBe(idle)
  })
})

describe('backTo(referer)', () => {
  it.each([
    ['https://app.example/a/b?c=1#frag', '/a/b?c=1'],
    ['https://app.example', '/'],
    ['https://app.example//evil.example/x', '/evil.example/x'],
    ['https://app.example/\\evil.example', '/evil.example'],
    ['not a url', '/'],
  ])('%s → %s', (referer, path) => expect(backTo(referer)).toBe(path))

  it('always names a path on this origin, whatever the Referer says', () => {
    fc.assert(
      fc.property(fc.oneof(fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.string()), (referer) => {
        const path = backTo(referer)
        expect(new URL(path, 'https://app.example').origin).toBe('https://app.example')
        expect(path).toMatch(/^\/(?![/\\])/)
      }),
      { numRuns: 2_000 },
    )
  })
})

describe('parseOutcome(cookie)', () => {
  it('reads back what an action wrote, and nothing else: any other text is undefined, never a throw', () => {
    const state = fc.oneof(
      fc.record({ status: fc.constant('success' as const), message: fc.string(), data: fc.jsonValue() }),
      fc.record({
        status: fc.constant('error' as const),
        code: fc.string(),
        formError: fc.string(),
        values: fc.dictionary(fc.string(), fc.string()),
        fieldErrors: fc.dictionary(fc.string(), fc.array(fc.string())),
      }),
    )
    fc.assert(
      fc.property(state, (written) => {
        expect(parseOutcome(JSON.stringify(written))).toEqual(JSON.parse(JSON.stringify(written)))
      }),
    )
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        const parsed = parseOutcome(text)
        if (parsed !== undefined) expect(['success', 'error']).toContain(parsed.status)
      }),
      { numRuns: 2_000 },
    )
  })
})
