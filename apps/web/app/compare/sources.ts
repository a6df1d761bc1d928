import 'server-only'
import { declaration, whole } from './excerpt'

// The source files /compare shows, as text. Turbopack inlines each one into the server bundle when the app is
// built (an import with `type: 'text'`), so the page shows exactly the code that build compiled: it cannot
// drift from it, and nothing is read from disk at run time. TypeScript types such an import as the module
// itself, hence the @ts-expect-error on each; `text()` checks that a string really arrived.

// @ts-expect-error -- a text import: the file's source, not its module
import operationsSource from '@/server/users/operations.ts' with { type: 'text' }
// @ts-expect-error -- a text import: the file's source, not its module
import basesSource from '@/server/bases.ts' with { type: 'text' }
// @ts-expect-error -- a text import: the file's source, not its module
import actionsSource from '@/app/actions.ts' with { type: 'text' }
// @ts-expect-error -- a text import: the file's source, not its module
import routeSource from '@/app/api/addUser/route.ts' with { type: 'text' }
// @ts-expect-error -- a text import: the file's source, not its module
import apiSource from '@/server/api.ts' with { type: 'text' }
// @ts-expect-error -- a text import: the file's source, not its module
import actionPanelSource from '@/components/action-panel.tsx' with { type: 'text' }
// @ts-expect-error -- a text import: the file's source, not its module
import routeCallSource from '@/components/add-user-calls.ts' with { type: 'text' }

/** Everything /compare's "definition" and "integration" rows show. */
export const sources = {
  operation: [
    declaration('apps/web/server/bases.ts', basesSource, 'writes'),
    declaration('apps/web/server/users/operations.ts', operationsSource, 'addUser'),
  ],
  actionDoor: declaration('apps/web/app/actions.ts', actionsSource, 'addUserAction'),
  routeDoor: [whole('apps/web/app/api/addUser/route.ts', routeSource), declaration('apps/web/server/api.ts', apiSource, 'api')],
  actionCall: declaration('apps/web/components/action-panel.tsx', actionPanelSource, 'ActionPanel'),
  routeCall: declaration('apps/web/components/add-user-calls.ts', routeCallSource, 'postAddUser'),
}
