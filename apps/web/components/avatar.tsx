'use client'

import { idle } from 'actionroute/client'
import { useFormAction } from 'actionroute/react'
import { setAvatarAction } from '@/app/actions'
import { ACTION_BODY_LIMIT } from '@/server/limits'
import type { ListedUser } from './directory'

/** What the file pickers offer: the types the server takes (it reads the type from the bytes). */
export const AVATAR_ACCEPT = 'image/png,image/jpeg,image/webp'

/** The user's avatar at 32 × 32 (the stored 256 × 256, versioned so the browser keeps it), or their initial. */
export function Avatar({ user }: { user: Pick<ListedUser, 'id' | 'name' | 'avatarEtag'> }) {
  if (!user.avatarEtag) {
    // The initial is drawn by CSS (attr(data-initial)): decoration, not part of the row's text.
    return <span className="avatar avatar-initial" data-initial={[...user.name.trim()][0]?.toUpperCase() ?? '?'} aria-hidden="true" />
  }
  const version = user.avatarEtag.slice(1, -1)
  // eslint-disable-next-line @next/next/no-img-element -- already a 256 × 256 WebP, served with its own cache headers
  return <img className="avatar" src={`/api/users/${user.id}/avatar?v=${encodeURIComponent(version)}`} width={32} height={32} alt="" loading="lazy" />
}

/**
 * Sets a user's avatar through the Server Action (`setAvatarAction`), JavaScript on or off. A Server Action takes
 * 256 KB here and a photo is often more: with JavaScript, a larger image goes to the API route instead (streamed, up
 * to 5 MB) and its answer shows here all the same; without, a second button posts the form to the route, which
 * answers the browser with a 303 back to this page, the outcome shown above the list (`formOutcome(setAvatar)`).
 */
export function AvatarForm({ id, name }: { id: string; name: string }) {
  const [state, submit, pending] = useFormAction(setAvatarAction, idle, {
    route: { path: '/api/users/{id}/avatar', method: 'PUT' },
    actionBodyLimit: ACTION_BODY_LIMIT,
    name: `avatar-${id}`,
  })
  // Open with an answer to show: after a post without JavaScript, the page comes back with it.
  return (
    <details open={state.status !== 'idle' || undefined}>
      <summary>Avatar</summary>
      <form action={submit} aria-label={`Avatar for ${name}`} noValidate>
        <input type="hidden" name="id" value={id} />
        <div className="field">
          <label htmlFor={`avatar-${id}`}>Image for {name}</label>
          <input id={`avatar-${id}`} name="avatar" type="file" accept={AVATAR_ACCEPT} required aria-describedby={`avatar-hint-${id}`} />
          <p className="hint" id={`avatar-hint-${id}`}>
            PNG, JPEG or WebP, up to 5 MB
          </p>
        </div>
        <button type="submit" disabled={pending} aria-busy={pending}>
          {pending ? 'Uploading…' : 'Upload'}
        </button>
        <noscript>
          <button type="submit" className="secondary" formAction={`/api/users/${id}/avatar`} formMethod="post" formEncType="multipart/form-data">
            Upload over 256 KB (API route)
          </button>
        </noscript>
        <div role="status">
          {state.status === 'success' ? <p className="success">{state.message}</p> : null}
          {state.status === 'error' ? <p className="field-error">{state.fieldErrors?.avatar?.[0] ?? state.formError}</p> : null}
        </div>
      </form>
    </details>
  )
}
