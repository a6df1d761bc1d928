import { createSafeActionClient } from 'next-safe-action'

// next-safe-action's base client, as its docs set one up: one per app, in a module of its own.
export const actionClient = createSafeActionClient()
