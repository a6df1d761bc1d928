import { redirect } from '#next/navigation'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { OperationError, action, defineErrors, formAction, idle, operation, route, trustProxy } from '../index'
import { withActionContext } from '../testing'

const signUp = operation({
  name: 'signUp',
  errors: defineErrors({ EMAIL_TAKEN: { status: 409, message: 'That email is taken.' } }),
  input: z.object({ email: z.email('Enter an email'), password: z.string().min(8, 'At least 8 characters') }),
  handler: ({ email }, ctx) => {
    if (email === 'taken@example.com') {
      throw new OperationError('EMAIL_TAKEN', 'That email is taken.', { status: 409, issues: [{ path: 'email', message: 'Already used' }] })
    }
    if (email === 'boom@example.com') throw new Error('secret detail')
    if (email === 'away@example.com') redirect('/welcome')
    return { message: `Welcome ${email}`, ip: ctx.ip, door: ctx.door }
  },
})

const form = (fields: Record<string, string>) => {
  const data = new FormData()
  for (const [name, value] of Object.entries(fields)) data.append(name, value)
  return data
}
// Two proxies in front (a CDN, then a load balancer), each appending the address it saw.
const inRequest = <T,>(fn: () => Promise<T>) => withActionContext({ headers: { 'x-forwarded-for': '198.51.100.1, 10.0.0.1' } }, fn)
beforeAll(() => trustProxy({ hops: 2 }))
afterAll(() => trustProxy(undefined))

describe('formAction()', () => {
  const submit = formAction(signUp)

  it('answers success with the message and the data, and sees the action context', async () => {
    const state = await inRequest(() => submit(idle, form({ email: 'ada@example.com', password: 'long enough' })))
    expect(state).toEqual({
      status: 'success',
      message: 'Welcome ada@example.com',
      data: { message: 'Welcome ada@example.com', ip: '198.51.100.1', door: 'action' },
    })
  })

  it('answers field errors and echoes the values, minus the password', async () => {
    const state = await inRequest(() => submit(idle, form({ email: 'nope', password: 'short' })))
    expect(state).toEqual({
      status: 'error',
      code: 'VALIDATION_FAILED',
      fieldErrors: { email: ['Enter an email'], password: ['At least 8 characters'] },
      formError: 'Please correct the fields marked below.',
      values: { email: 'nope' },
    })
  })

  it('renders typed errors as field errors, with their own message as the form error (it was the generic one)', async () => {
    const state = await inRequest(() => submit(idle, form({ email: 'taken@example.com', password: 'long enough' })))
    expect(state).toMatchObject({ status: 'error', code: 'EMAIL_TAKEN', fieldErrors: { email: ['Already used'] }, formError: 'That email is taken.' })
  })

  it('turns an unexpected error into a form error with a reference, never the details', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const state = await inRequest(() => submit(idle, form({ email: 'boom@example.com', password: 'long enough' })))
    expect(state.status).toBe('error')
    expect(state.code).toBe('INTERNAL')
    expect(state.formError).toMatch(/reference [0-9a-f-]{36}/)
    expect(JSON.stringify(state)).not.toContain('secret detail')
    log.mockRestore()
  })

  it("lets Next's redirect() through", async () => {
    await expect(inRequest(() => submit(idle, form({ email: 'away@example.com', password: 'long enough' })))).rejects.toMatchObject({
      digest: expect.stringContaining('NEXT_REDIRECT'),
    })
  })

  it('answers success when onSuccess fails after the work is done, and logs the failure with an id', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const failingHook = formAction(signUp, {
      onSuccess: () => {
        throw new Error('cache unavailable')
      },
    })
    const state = await inRequest(() => failingHook(idle, form({ email: 'ada@example.com', password: 'long enough' })))
    expect(state).toMatchObject({ status: 'success', message: 'Welcome ada@example.com' })
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/unexpected error [0-9a-f-]{36} in signUp onSuccess/), expect.any(Error))
    log.mockRestore()
  })

  it.each([
    { name: 'nothing', args: [] },
    { name: 'a string', args: [idle, 'name=Ada'] },
    { name: 'a plain object', args: [idle, { email: 'ada@example.com', password: 'long enough' }] },
    { name: 'an array', args: [idle, [['email', 'ada@example.com']]] },
    { name: 'null', args: [null, null] },
  ])('answers a clean error, not a crash, when called with $name instead of a FormData', async ({ args }) => {
    const call = submit as unknown as (...args: unknown[]) => ReturnType<typeof submit>
    expect(await inRequest(() => call(...args))).toEqual({
      status: 'error',
      code: 'BAD_REQUEST',
      formError: 'This action takes a form submission (FormData); nothing else was sent to it.',
      values: {},
    })
  })

  it('works as a plain <form action>, called with the FormData alone', async () => {
    const plain = submit as unknown as (formData: FormData) => ReturnType<typeof submit>
    expect(await inRequest(() => plain(form({ email: 'ada@example.com', password: 'long enough' })))).toMatchObject({ status: 'success' })
  })

  it('answers fields past the form limits as a form error, keeping what was typed', async () => {
    const fields = form({ email: 'ada@example.com', password: 'long enough' })
    fields.append('x'.repeat(2000), 'y')
    expect(await inRequest(() => submit(idle, fields))).toEqual({
      status: 'error',
      code: 'BAD_REQUEST',
      formError: 'A field name is 2000 characters long; the limit is 1000.',
      values: { email: 'ada@example.com', ['x'.repeat(2000)]: 'y' },
    })
  })

  it('shows an issue about the whole input ("passwords do not match") as the form error, on both doors', async () => {
    const changePassword = operation({
      name: 'changePassword',
      input: z
        .object({ password: z.string().min(8, 'At least 8 characters'), confirm: z.string() })
        .refine((input) => input.password === input.confirm, 'Passwords do not match'),
      handler: () => ({ message: 'Changed' }),
    })
    const state = await inRequest(() => formAction(changePassword)(idle, form({ password: 'long enough', confirm: 'different' })))
    expect(state).toEqual({ status: 'error', code: 'VALIDATION_FAILED', formError: 'Passwords do not match', values: { confirm: 'different' } })
    const response = await route(changePassword)(
      new Request('http://test/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"password":"long enough","confirm":"x"}' }),
      { params: Promise.resolve({}) },
    )
    expect(await response.json()).toMatchObject({ status: 422, detail: 'Passwords do not match', issues: [{ path: '', message: 'Passwords do not match' }] })
  })

  it('runs onSuccess only on success', async () => {
    const onSuccess = vi.fn()
    const withHook = formAction(signUp, { onSuccess })
    await inRequest(() => withHook(idle, form({ email: 'nope', password: 'x' })))
    expect(onSuccess).not.toHaveBeenCalled()
    await inRequest(() => withHook(idle, form({ email: 'ada@example.com', password: 'long enough' })))
    expect(onSuccess).toHaveBeenCalledWith(expect.objectContaining({ message: 'Welcome ada@example.com' }))
  })
})

describe('action()', () => {
  const call = action(signUp)

  it('returns { ok: true, data } or a plain, serializable error value', async () => {
    expect(await inRequest(() => call({ email: 'ada@example.com', password: 'long enough' }))).toMatchObject({
      ok: true,
      data: { message: 'Welcome ada@example.com' },
    })
    const failed = await inRequest(() => call({ email: 'taken@example.com', password: 'long enough' }))
    expect(failed).toEqual({
      ok: false,
      error: { code: 'EMAIL_TAKEN', status: 409, message: 'That email is taken.', issues: [{ path: 'email', message: 'Already used' }] },
    })
    expect(JSON.parse(JSON.stringify(failed))).toEqual(failed)
  })
})

describe('formAction({ authInterrupts })', () => {
  const guarded = operation({
    name: 'guarded',
    errors: defineErrors({ UNAUTHORIZED: { status: 401, message: 'Sign in.' }, FORBIDDEN: { status: 403, message: 'Members only.' }, NOT_FOUND: { status: 404, message: 'No such member.' } }),
    input: z.object({ who: z.string() }),
    handler: ({ who }) => {
      if (who === 'nobody') throw new OperationError('UNAUTHORIZED', 'Sign in first.')
      if (who === 'guest') throw new OperationError('FORBIDDEN', 'Members only.')
      if (who === 'ghost') throw new OperationError('NOT_FOUND', 'No such member.')
      return { who }
    },
  })
  const interrupted = formAction(guarded, { authInterrupts: true })
  const digestOf = async (promise: Promise<unknown>) => (await promise.then(() => 'no error', (error: { digest?: string }) => error.digest))

  it('turns 401 and 403 into Next’s unauthorized() and forbidden() when next.config enables them', async () => {
    vi.stubEnv('__NEXT_EXPERIMENTAL_AUTH_INTERRUPTS', 'true')
    try {
      expect(await digestOf(inRequest(() => interrupted(idle, form({ who: 'nobody' }))))).toBe('NEXT_HTTP_ERROR_FALLBACK;401')
      expect(await digestOf(inRequest(() => interrupted(idle, form({ who: 'guest' }))))).toBe('NEXT_HTTP_ERROR_FALLBACK;403')
      // Other errors and successes answer the form as before.
      expect(await inRequest(() => interrupted(idle, form({ who: 'ghost' })))).toMatchObject({ status: 'error', code: 'NOT_FOUND' })
      expect(await inRequest(() => interrupted(idle, form({ who: 'member' })))).toMatchObject({ status: 'success' })
    } finally {
      vi.unstubAllEnvs()
    }
  })

  it('answers the error state, with one warning, when next.config does not enable them', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      for (let i = 0; i < 2; i++) {
        expect(await inRequest(() => interrupted(idle, form({ who: 'nobody' })))).toMatchObject({ status: 'error', code: 'UNAUTHORIZED', formError: 'Sign in first.' })
      }
      expect(warn.mock.calls.map((call) => String(call[0]))).toEqual([expect.stringContaining('experimental.authInterrupts')])
    } finally {
      warn.mockRestore()
    }
  })

  it('leaves the route door to answer problem+json, and formAction without the option to answer the form', async () => {
    vi.stubEnv('__NEXT_EXPERIMENTAL_AUTH_INTERRUPTS', 'true')
    try {
      const response = await route(guarded)(
        new Request('http://test/guarded', { method: 'POST', body: '{"who":"guest"}', headers: { 'content-type': 'application/json' } }),
        { params: Promise.resolve({}) },
      )
      expect([response.status, response.headers.get('content-type'), ((await response.json()) as { code: string }).code]).toEqual([
        403,
        'application/problem+json',
        'FORBIDDEN',
      ])
      expect(await inRequest(() => formAction(guarded)(idle, form({ who: 'guest' })))).toMatchObject({ status: 'error', code: 'FORBIDDEN' })
    } finally {
      vi.unstubAllEnvs()
    }
  })
})
