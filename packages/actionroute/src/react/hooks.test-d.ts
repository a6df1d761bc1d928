import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { action, defineErrors, formAction, operation, type DoorErrorCode } from '../index'
import { idle, resultState, type ActionErrorValue, type ErrorState } from '../client'
import { useAction, useFormAction, useOptimisticAction, type CallErrorCode, type UseActionFor } from '../react'

// The hooks' inference, pinned: type-checked only, never run (hooks need a React renderer).

const errors = defineErrors({ NOT_FOUND: { status: 404, message: 'No such item.' } })
const rename = operation({
  name: 'rename',
  input: z.object({ id: z.string(), name: z.string() }),
  errors,
  handler: ({ id, name }) => ({ message: `Renamed ${id}`, item: { id, name, at: new Date() } }),
})
const renameDirect = action(rename)
const renameForm = formAction(rename)
type Codes = DoorErrorCode | 'NOT_FOUND'

describe('useAction()', () => {
  it('types input, data and error codes from the action', () => {
    function Component() {
      const call = useAction(renameDirect, {
        onSuccess: (data, input) => {
          expectTypeOf(data.item.at).toEqualTypeOf<Date>()
          expectTypeOf(input).toEqualTypeOf<{ id: string; name: string }>()
        },
        onError: (error) => expectTypeOf(error.code).toEqualTypeOf<Codes | CallErrorCode>(),
      })
      expectTypeOf(call.execute).parameter(0).toEqualTypeOf<{ id: string; name: string }>()
      expectTypeOf(call.data).toEqualTypeOf<{ message: string; item: { id: string; name: string; at: Date } } | undefined>()
      expectTypeOf(call.error).toEqualTypeOf<ActionErrorValue<Codes | CallErrorCode> | undefined>()
      expectTypeOf(call.status).toEqualTypeOf<'idle' | 'pending' | 'success' | 'error'>()
      expectTypeOf(call).toEqualTypeOf<UseActionFor<typeof renameDirect>>()
      // @ts-expect-error: the input is checked
      call.execute({ id: '1' })
    }
    expectTypeOf(Component).toBeFunction()
  })

  it('types the optimistic state from `state`, and `update` from the input', () => {
    function Component() {
      const call = useOptimisticAction(renameDirect, {
        state: ['a', 'b'],
        update: (names, input) => {
          expectTypeOf(input.name).toBeString()
          return [...names, input.name]
        },
      })
      expectTypeOf(call.optimistic).toEqualTypeOf<string[]>()
    }
    expectTypeOf(Component).toBeFunction()
  })
})

describe('useFormAction()', () => {
  it('answers the operation’s form state, or a stale-page error', () => {
    function Component() {
      const [state, dispatch, pending] = useFormAction(renameForm, idle, { route: '/api/items/{id}', onSubmit: (form) => expectTypeOf(form).toEqualTypeOf<FormData>() })
      expectTypeOf(dispatch).toEqualTypeOf<(formData: FormData) => void>()
      expectTypeOf(pending).toBeBoolean()
      if (state.status === 'error') expectTypeOf(state.code).toEqualTypeOf<Codes | CallErrorCode>()
      if (state.status === 'success') expectTypeOf(state.data.item.name).toBeString()
      expectTypeOf(state.values?.name).toEqualTypeOf<string | undefined>()
    }
    expectTypeOf(Component).toBeFunction()
  })
})

describe('resultState()', () => {
  it('turns a direct result into the form envelope with the same codes', async () => {
    const state = resultState(await renameDirect({ id: '1', name: 'x' }))
    if (state.status === 'error') expectTypeOf(state).toEqualTypeOf<ErrorState<Codes>>()
    else expectTypeOf(state.data.message).toBeString()
  })
})
