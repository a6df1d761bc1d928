'use client'

import { createContext, use, useOptimistic, type ReactNode } from 'react'
import type { Door, User } from '@/server/db/schema'

/** A row of the list: a saved user, or one being added (shown at once, until the server answers). */
export type ListedUser = User & { pending?: true }

export interface NewUserDraft {
  name: string
  email?: string | undefined
  door: Door
}

interface DirectoryValue {
  users: ListedUser[]
  /** Shows a user being added; call it inside the submission's transition, so it lasts exactly as long. */
  showAdding(draft: NewUserDraft): void
}

const DirectoryContext = createContext<DirectoryValue | null>(null)

let drafts = 0
function draftRow({ name, email, door }: NewUserDraft): ListedUser {
  const now = new Date()
  return { id: `adding-${++drafts}`, name: name.trim(), email: email?.trim() || null, door, createdAt: now, updatedAt: now, avatarEtag: null, pending: true }
}

/**
 * The list of users as the server rendered it, plus users being added through either panel: they
 * appear at once and give way to the server's list when it arrives, or roll back when the server says no.
 * `acceptsNew` is false on a search or an older page, where a new user would not be listed.
 */
export function Directory({ users, acceptsNew, children }: { users: User[]; acceptsNew: boolean; children: ReactNode }) {
  const [listed, add] = useOptimistic<ListedUser[], NewUserDraft>(users, (current, draft) => [draftRow(draft), ...current])
  const showAdding = (draft: NewUserDraft) => {
    // A blank name cannot be saved: the panel will show why, and the list has nothing to show.
    if (acceptsNew && draft.name.trim() !== '') add(draft)
  }
  return <DirectoryContext value={{ users: listed, showAdding }}>{children}</DirectoryContext>
}

export function useDirectory(): DirectoryValue {
  const value = use(DirectoryContext)
  if (!value) throw new Error('useDirectory() must be called inside <Directory>.')
  return value
}
