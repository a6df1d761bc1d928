import 'server-only'

// The source files /compare shows, as text. Turbopack inlines each one into the server bundle when the app is
// built (an import with `type: 'text'`), so the page shows exactly the code that build compiled: it cannot
// drift from it, and nothing is read from disk at run time. TypeScript types such an import as the module
// itself, hence the @ts-expect-error on each; `text()` checks that a string really arrived.

// @ts-expect-error -- a text import: the file's source, not its module
import operationsSource from '@/server/users/operations.ts' with { type: 'text' }
// @ts-expect-error -- a text import: the file's source, not its module
import actionsSource from '@/app/actions.ts' with { type: 'text' }
// @ts-expect-error -- a text import: the file's source, not its module
import routeSource from '@/app/api/addUser/route.ts' with { type: 'text' }
// @ts-expect-error -- a text import: the file's source, not its module
import apiSource from '@/server/api.ts' with { type: 'text' }
// @ts-expect-error -- a text import: the file's source, not its module
import actionPanelSource from '@/components/action-panel.tsx' with { type: 'text' }
// @ts-expect-error -- a text import: the file's source, not its module
import routeCallSource from '@/components/add-user-route.ts' with { type: 'text' }

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
const whole = (file: string, source: unknown) => excerpt(file, text(source, file))

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

/** Everything /compare's "definition" and "integration" rows show. */
export const sources = {
  operation: [
    declaration('apps/web/server/users/operations.ts', operationsSource, 'writes'),
    declaration('apps/web/server/users/operations.ts', operationsSource, 'addUser'),
  ],
  actionDoor: declaration('apps/web/app/actions.ts', actionsSource, 'addUserAction'),
  routeDoor: [whole('apps/web/app/api/addUser/route.ts', routeSource), declaration('apps/web/server/api.ts', apiSource, 'api')],
  actionCall: declaration('apps/web/components/action-panel.tsx', actionPanelSource, 'ActionPanel'),
  routeCall: declaration('apps/web/components/add-user-route.ts', routeCallSource, 'postAddUser'),
}
