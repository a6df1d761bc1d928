'use client'

import { idle } from 'actionroute/client'
import { useFormAction } from 'actionroute/react'
import { signInAction, signOutAction } from '@/app/actions'
import { Field } from './field'

/**
 * Shown when API_KEYS is set: writes then need a principal on every door. Signed out, it says so and offers
 * the sign-in form (ADMIN_PASSWORD); signed in, who you are and a way out. Both forms work without JavaScript.
 */
export function SessionBar({ user }: { user: string | undefined }) {
  const [signInState, signIn, signingIn] = useFormAction(signInAction, idle)
  const [, signOut, signingOut] = useFormAction(signOutAction, idle)
  if (user) {
    return (
      <section className="session" aria-label="Session">
        <p>
          Signed in as <strong>{user}</strong>: the forms below can add, rename and delete users.
        </p>
        <form action={signOut}>
          <button type="submit" className="secondary" disabled={signingOut}>
            Sign out
          </button>
        </form>
      </section>
    )
  }
  return (
    <section className="session" aria-label="Session">
      <p>
        Adding, renaming and deleting users needs you to sign in (this server sets <code>API_KEYS</code>; API calls send
        one in <code>X-API-Key</code>).
      </p>
      <form aria-label="Sign in" action={signIn} noValidate className="toolbar">
        <Field name="password" label="Admin password" type="password" autoComplete="current-password" errors={signInState.fieldErrors?.password} />
        <button type="submit" disabled={signingIn} aria-busy={signingIn}>
          {signingIn ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <div role="status" className="result">
        {signInState.status === 'error' && !signInState.fieldErrors?.password ? <p className="error">{signInState.formError}</p> : null}
      </div>
    </section>
  )
}
