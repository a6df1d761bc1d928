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
 * Sets a user's avatar: a plain form posted to the API route, with JavaScript or without. A Server Action takes
 * 256 KB here; a photo is often more, so the route takes it (up to 5 MB, streamed) and answers the browser with a
 * 303 back to this page, the outcome shown above the list (`formOutcome(setAvatar)`).
 */
export function AvatarForm({ id, name }: { id: string; name: string }) {
  return (
    <form action={`/api/users/${id}/avatar`} method="post" encType="multipart/form-data" aria-label={`Avatar for ${name}`}>
      <div className="field">
        <label htmlFor={`avatar-${id}`}>Image for {name}</label>
        <input id={`avatar-${id}`} name="avatar" type="file" accept={AVATAR_ACCEPT} required aria-describedby={`avatar-hint-${id}`} />
        <p className="hint" id={`avatar-hint-${id}`}>
          PNG, JPEG or WebP, up to 5 MB
        </p>
      </div>
      <button type="submit">Upload</button>
    </form>
  )
}
