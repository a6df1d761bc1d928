import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import {
  action,
  defineErrors,
  formAction,
  middleware,
  openapi,
  operation,
  type ActionResult,
  type BuiltInErrorCode,
  type Context,
  type ErrorCodesOf,
  type FieldsOf,
  type FormStateOf,
} from './index'
import { idle, type IdleState } from './client'

// These pin the inference a user relies on: a change that breaks it fails `npm test`.

const errors = defineErrors({ EMAIL_TAKEN: { status: 409, message: 'Taken.' } })
const auth = middleware<{ user: { id: string } }>(async (_ctx, next) => next({ user: { id: '1' } }))
const addUser = operation({
  name: 'addUser',
  input: z.object({ name: z.string(), email: z.email().optional(), address: z.object({ city: z.string() }).optional() }),
  errors: { EMAIL_TAKEN: errors.EMAIL_TAKEN },
  use: [auth],
  handler: async (input, ctx) => {
    expectTypeOf(input).toEqualTypeOf<{ name: string; email?: string | undefined; address?: { city: string } | undefined }>()
    expectTypeOf(ctx.user).toEqualTypeOf<{ id: string }>()
    expectTypeOf(ctx).toExtend<Context>()
    return { message: `Added ${input.name}`, id: 1 }
  },
})

describe('operation()', () => {
  it('types the error codes as the built-in ones and the declared ones', () => {
    expectTypeOf<ErrorCodesOf<typeof addUser>>().toEqualTypeOf<BuiltInErrorCode | 'EMAIL_TAKEN'>()
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
      expectTypeOf(state.code).toEqualTypeOf<BuiltInErrorCode | 'EMAIL_TAKEN'>()
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
    expectTypeOf(call).returns.resolves.toEqualTypeOf<ActionResult<{ message: string; id: number }, BuiltInErrorCode | 'EMAIL_TAKEN'>>()
  })
})

describe('openapi()', () => {
  it('returns a typed OpenAPI 3.1 document', () => {
    const doc = openapi({ info: { title: 't', version: '1' }, paths: { '/users': { POST: addUser } } })
    expectTypeOf(doc.openapi).toEqualTypeOf<string>()
    expectTypeOf(doc.paths?.['/users']?.post?.operationId).toEqualTypeOf<string | undefined>()
  })
})
