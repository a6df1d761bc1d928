// Excerpts of source text for /compare (see sources.ts): a whole file, or one top-level declaration of it.

function text(source: unknown, file: string): string {
  if (typeof source !== 'string') throw new Error(`${file} was not imported as text: /compare needs a bundler that supports import attributes (Turbopack).`)
  return source
}

export interface Excerpt {
  file: string
  code: string
  lines: number
}

function excerpt(file: string, code: string): Excerpt {
  const trimmed = code.replace(/\n+$/, '')
  return { file, code: trimmed, lines: trimmed.split('\n').length }
}

/** A whole file. */
export const whole = (file: string, source: unknown) => excerpt(file, text(source, file))

/**
 * One top-level declaration of a formatted file: from the line `[export] const|function|async function <name>`
 * to the first line after it that closes at column 0, or that line alone when its brackets balance.
 */
export function declaration(file: string, source: unknown, name: string): Excerpt {
  const lines = text(source, file).split('\n')
  const start = lines.findIndex((line) => new RegExp(`^(?:export )?(?:const|(?:async )?function) ${name}\\b`).test(line))
  if (start === -1) throw new Error(`${file} has no top-level declaration of ${name}.`)
  const opened = (line: string) => (line.match(/[({[]/g)?.length ?? 0) - (line.match(/[)}\]]/g)?.length ?? 0)
  let end = start
  if (opened(lines[start]!) > 0) {
    end = lines.findIndex((line, index) => index > start && /^[)}\]]/.test(line))
    if (end === -1) throw new Error(`${name} in ${file} does not close at column 0.`)
  }
  return excerpt(file, lines.slice(start, end + 1).join('\n'))
}
