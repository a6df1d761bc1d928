'use server'

import { action, formAction } from 'actionroute'
import { signIn, signOut } from '@/server/auth/operations'
import { addUser, cancelImport, deleteUser, importUsers, renameUser, setAvatar } from '@/server/users/operations'

// The list refreshes through each operation's `revalidate`, on whichever door it is called.
// Each write asks for a principal when API_KEYS is set, here as on the API routes: see server/bases.ts.
export const addUserAction = formAction(addUser)
export const renameUserAction = formAction(renameUser)
export const deleteUserAction = formAction(deleteUser)
// Small images (the action takes 256 KB); the avatar form sends larger ones to the API route.
export const setAvatarAction = formAction(setAvatar)

// The import form with JavaScript, for files within the action's body limit (larger ones go to the API route):
// its progress streams back as the action's value; Cancel asks the import to stop, on whichever door it runs.
export const importUsersAction = action(importUsers)
export const cancelImportAction = action(cancelImport)

// Called with a typed input by the rename form once JavaScript runs (it shows the new name at once).
export const renameUserDirect = action(renameUser)

// The session the write forms need when API_KEYS is set (a cookie: Next re-renders the page with it).
export const signInAction = formAction(signIn)
export const signOutAction = formAction(signOut)
