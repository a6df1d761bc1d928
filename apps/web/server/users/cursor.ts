/** A keyset position in the newest-first list, encoded as an opaque string for URLs. */
export interface Cursor {
  direction: 'next' | 'prev'
  createdAt: string
  id: string
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.direction, cursor.createdAt, cursor.id])).toString('base64url')
}

/** Returns null for anything that is not a cursor this app made. */
export function decodeCursor(value: string): Cursor | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'))
    if (!Array.isArray(parsed) || parsed.length !== 3) return null
    const [direction, createdAt, id] = parsed as unknown[]
    if (direction !== 'next' && direction !== 'prev') return null
    if (typeof createdAt !== 'string' || !isTimestamp(createdAt)) return null
    if (typeof id !== 'string' || !isUuid(id)) return null
    return { direction, createdAt, id }
  } catch {
    return null
  }
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)
}

/**
 * Only the exact form `toISOString()` writes, for a date that exists: `Date.parse` also takes
 * `2020-02-30` (rolling it into March) and years PostgreSQL refuses, which would reach the query as a 500.
 */
function isTimestamp(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value)) return false
  const time = Date.parse(value)
  return !Number.isNaN(time) && new Date(time).toISOString() === value
}
