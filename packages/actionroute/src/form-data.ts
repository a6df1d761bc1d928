/** Keys that could reach an object's prototype if used as a path segment. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

type FormValue = string | File

/** Splits `address.city`, `tags[0]` and `tags[]` into path segments. */
function segmentsOf(name: string): string[] {
  return name.split(/\.|\[(.*?)\]/).filter((segment) => segment !== undefined && segment !== '')
}

/**
 * Turns FormData (or URLSearchParams) into a plain object for schema validation.
 * Next's `$ACTION_*` fields are dropped, empty strings count as absent, a repeated name
 * becomes an array, and prototype-polluting keys are refused.
 */
export function parseFormData(form: FormData | URLSearchParams): Record<string, unknown> {
  const result: Record<string, unknown> = {}
  for (const [name, value] of form.entries() as Iterable<[string, FormValue]>) {
    if (name.startsWith('$ACTION_')) continue
    if (value === '' || (typeof value !== 'string' && value.size === 0 && value.name === '')) continue
    const segments = segmentsOf(name)
    if (segments.length === 0 || segments.some((segment) => FORBIDDEN_KEYS.has(segment))) continue
    assign(result, segments, value)
  }
  return result
}

function assign(target: Record<string, unknown>, segments: string[], value: FormValue): void {
  let node = target
  for (const [index, segment] of segments.entries()) {
    const isLast = index === segments.length - 1
    const existing = Object.hasOwn(node, segment) ? node[segment] : undefined
    if (isLast) {
      if (existing === undefined) node[segment] = value
      else if (Array.isArray(existing)) existing.push(value)
      else node[segment] = [existing, value]
      return
    }
    if (typeof existing !== 'object' || existing === null || existing instanceof File) {
      node[segment] = {}
    }
    node = node[segment] as Record<string, unknown>
  }
}

/** The submitted values worth echoing back to a re-rendered form: strings only, no secrets. */
export function echoValues(form: FormData, isSecret: (name: string) => boolean): Record<string, string> {
  const values: Record<string, string> = {}
  for (const [name, value] of form.entries()) {
    if (typeof value !== 'string' || name.startsWith('$ACTION_') || isSecret(name)) continue
    values[name] = value
  }
  return values
}
