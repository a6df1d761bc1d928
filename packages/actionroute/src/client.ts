// Safe to import from client components: values and types only, no server APIs.
export { idle } from './form-state'
export type { ActionErrorValue, FormState } from './form-state'
