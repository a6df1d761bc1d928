import { OperationError } from './errors'

/** A key as the IETF draft writes it (a quoted sf-string) or bare: 1–255 visible ASCII characters. */
export function parseIdempotencyKey(header: string): string {
  const text = header.trim()
  const key = text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text
  if (!/^[\x21-\x7e]{1,255}$/.test(key) || key.includes('"')) {
    throw new OperationError('BAD_REQUEST', 'The Idempotency-Key must be 1 to 255 visible ASCII characters, e.g. "8e03978e-40d5-43e8-bc93-6894a57f9324".')
  }
  return key
}
