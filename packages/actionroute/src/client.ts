// Safe to import from client components: values and types only, no server APIs.
export { idle } from './action/envelope'
export type { ActionErrorValue, FormState } from './action/envelope'
