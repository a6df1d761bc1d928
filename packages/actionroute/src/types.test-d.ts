import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import {
  action,
  apiKeys,
  authenticate,
  authorize,
  base,
  rateLimit,
  type Middleware,
  type NoErrors,
  defineErrors,
  formAction,
  middleware,
  openapi,
  type ActionResult,
  type DoorErrorCode,
  type Context,
  type ErrorCodesOf,
  type FieldsOf,
  type FormStateOf,
} from './index'
import { idle, type IdleState } from './client'

// These pin the inference a user relies on: a change that breaks it fails `npm test`.

const errors = defineErrors({ EMAIL_TAKEN: { status: 409, message: 'Taken.' } })
const signedIn = defineErrors({ UNAUTHORIZED: { status: 401, message: 'Sign in.' } })
const auth = middleware(
  async (ctx, next) => {
    if (!ctx.cookies.get('session')) throw signedIn.UNAUTHORIZED()
    return next({ user: { id: '1' } })
  },
  { errors: signedIn },
)
const addUser = base.use(auth).operation({
  name: 'addUser',
  input: z.object({ name: z.string(), email: z.email().optional(), address: z.object({ city: z.string() }).optional() }),
  errors: { EMAIL_TAKEN: errors.EMAIL_TAKEN },
  handler: async (input, ctx) => {
    expectTypeOf(input).toEqualTypeOf<{ name: string; email?: string | undefined; address?: { city: string } | undefined }>()
    expectTypeOf(ctx.locals.user).toEqualTypeOf<{ id: string }>()
    expectTypeOf(ctx).toExtend<Context>()
    return { message: `Added ${input.name}`, id: 1 }
  },
})

describe('middleware and bases', () => {
  // Needs a user: its ctx says so.
  const admin = middleware(async (ctx: Context<{ user: { id: string } }>, next) => next({ admin: ctx.locals.user.id === '1' }))

  it('types what a middleware needs and adds', () => {
    expectTypeOf(auth).toEqualTypeOf<Middleware<object, { user: { id: string } }, typeof signedIn>>()
    expectTypeOf(admin).toEqualTypeOf<Middleware<{ user: { id: string } }, { admin: boolean }, NoErrors>>()
  })

  it('refuses a middleware whose needs the base does not meet', () => {
    // @ts-expect-error: nothing before it adds `user`
    base.use(admin)
    base.use(auth).use(admin).operation({
      name: 'x',
      input: z.object({}),
      handler: (_input, ctx) => {
        expectTypeOf(ctx.locals).toEqualTypeOf<Readonly<{ user: { id: string } } & { admin: boolean }>>()
        // @ts-expect-error: locals are read-only, and request fields are not among them
        ctx.locals.user = { id: '2' }
      },
    })
  })

  it('gives an inline middleware the base’s locals, and takes what it adds', () => {
    base.use(auth).use(async (ctx, next) => next({ name: `user ${ctx.locals.user.id}` })).operation({
      name: 'y',
      input: z.object({}),
      handler: (_input, ctx) => expectTypeOf(ctx.locals.name).toEqualTypeOf<string>(),
    })
  })

  it('adds only what every path of a middleware adds', () => {
    const maybe = middleware(async (ctx, next) => (ctx.door === 'route' ? next({ user: { id: '1' } }) : next()))
    base.use(maybe).operation({
      name: 'z',
      input: z.object({}),
      // @ts-expect-error: the action door's path adds no user
      handler: (_input, ctx) => ctx.locals.user.id,
    })
  })

  it('joins the middleware’s declared codes to the operation’s, and types the principal authenticate() adds', () => {
    const keyed = base.use(authenticate(apiKeys({ keys: ['0123456789abcdef'] }))).use(rateLimit({ limit: 1, window: 1 }))
    const op = keyed.operation({
      name: 'w',
      input: z.object({}),
      handler: (_input, ctx) => expectTypeOf(ctx.locals.principal).toEqualTypeOf<{ id: string; via: 'apiKey' }>(),
    })
    expectTypeOf<ErrorCodesOf<typeof op>>().toEqualTypeOf<DoorErrorCode | 'UNAUTHORIZED' | 'RATE_LIMITED'>()
    expectTypeOf(op.errors.RATE_LIMITED.code).toEqualTypeOf<'RATE_LIMITED'>()
    // @ts-expect-error: an API key is a way to authenticate, not a middleware
    base.use(apiKeys({ keys: ['0123456789abcdef'] }))
    // @ts-expect-error: authorize() needs the principal authenticate() adds
    base.use(authorize(() => true))
    const admins = keyed.use(authorize((principal) => principal.via === 'apiKey'))
    const remove = admins.operation({ name: 'v', input: z.object({}), handler: () => ({}) })
    expectTypeOf<ErrorCodesOf<typeof remove>>().toEqualTypeOf<DoorErrorCode | 'UNAUTHORIZED' | 'RATE_LIMITED' | 'FORBIDDEN'>()
    expectTypeOf(remove.errors.FORBIDDEN.code).toEqualTypeOf<'FORBIDDEN'>()
  })
})

describe('operation()', () => {
  it('types the error codes as the doors’ own, the middleware’s and the declared ones', () => {
    expectTypeOf<ErrorCodesOf<typeof addUser>>().toEqualTypeOf<DoorErrorCode | 'UNAUTHORIZED' | 'EMAIL_TAKEN'>()
    expectTypeOf(errors.EMAIL_TAKEN.code).toEqualTypeOf<'EMAIL_TAKEN'>()
  })

  it('types the field paths of the input', () => {
    expectTypeOf<FieldsOf<typeof addUser>>().toEqualTypeOf<'name' | 'email' | 'address' | 'address.city'>()
  })
})

describe('formAction()', () => {
  const submit = formAction(addUser)

  it('takes and returns the operation’s form state, which idle starts', () => {
    expectTypeOf(submit).parameter(0).toEqualTypeOf<FormStateOf<typeof addUser>>()
    expectTypeOf(idle).toExtend<FormStateOf<typeof addUser>>()
    expectTypeOf<IdleState>().toExtend<Parameters<typeof submit>[0]>()
  })

  it('narrows on status: data on success, a typed code and keyed fields on error', async () => {
    const state = await submit(idle, new FormData())
    if (state.status === 'success') expectTypeOf(state.data).toEqualTypeOf<{ message: string; id: number }>()
    if (state.status === 'error') {
      expectTypeOf(state.code).toEqualTypeOf<DoorErrorCode | 'UNAUTHORIZED' | 'EMAIL_TAKEN'>()
      expectTypeOf(state.fieldErrors).toEqualTypeOf<Partial<Record<'name' | 'email' | 'address' | 'address.city', string[]>> | undefined>()
      expectTypeOf(state.values.name).toEqualTypeOf<string | undefined>()
      expectTypeOf(state.formError).toEqualTypeOf<string>()
    }
    // Read without narrowing, as a form does for its inputs' defaultValue.
    expectTypeOf(state.values?.email).toEqualTypeOf<string | undefined>()
  })

  it('types onSuccess and message with the output', () => {
    formAction(addUser, {
      onSuccess: (data) => {
        expectTypeOf(data).toEqualTypeOf<{ message: string; id: number }>()
      },
    })
  })
})

describe('action()', () => {
  const call = action(addUser)

  it('takes the schema’s input and answers a result with typed codes', () => {
    expectTypeOf(call).parameter(0).toEqualTypeOf<{ name: string; email?: string | undefined; address?: { city: string } | undefined }>()
    expectTypeOf(call).returns.resolves.toEqualTypeOf<ActionResult<{ message: string; id: number }, DoorErrorCode | 'UNAUTHORIZED' | 'EMAIL_TAKEN'>>()
  })
})

describe('openapi()', () => {
  it('returns a typed OpenAPI 3.1 document', () => {
    const doc = openapi({ info: { title: 't', version: '1' }, paths: { '/users': { POST: addUser } } })
    expectTypeOf(doc.openapi).toEqualTypeOf<string>()
    expectTypeOf(doc.paths?.['/users']?.post?.operationId).toEqualTypeOf<string | undefined>()
  })
})
