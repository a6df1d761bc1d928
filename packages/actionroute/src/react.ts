'use client'
// React hooks for the action door, for client components. Client-safe: no server code is imported at run time.
export { useAction, useOptimisticAction } from './react/use-action'
export type { ActionStatus, CallErrorCode, UseAction, UseActionFor, UseActionOptions, UseOptimisticActionOptions } from './react/use-action'
export { useFormAction } from './react/use-form-action'
export type { UseFormActionOptions } from './react/use-form-action'
export { useStream } from './react/use-stream'
export type { StreamStatus, UseStream, UseStreamOptions } from './react/use-stream'
