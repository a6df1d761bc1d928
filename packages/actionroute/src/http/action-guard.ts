import { OperationError } from '../core/errors'
import { DEFAULT_FORM_LIMITS } from '../input/form-data'
import { checkJsonShape } from '../input/json'
import { boundaryOf, MultipartParser } from '../input/multipart'
import { isSameOrigin, originCheck } from './csrf'

export interface ServerActionGuardOptions {
  /**
   * The largest Server Action body, in bytes: give the number next.config gives `serverActions.bodySizeLimit`
   * (Next answers a bigger body with a 500). Default 1 MB, Next's default.
   */
  bodyLimit?: number
  /** Origins besides the app's own allowed to call its actions: the list next.config gives `serverActions.allowedOrigins`. */
  allowedOrigins?: readonly string[]
}

/** Next refuses more arguments than this with a 500 (SERVER_ACTION_ARGS_LIMIT in its action handler). */
const ACTION_ARGS_LIMIT = 1000
/** React prefixes a form's fields with the argument they belong to (`_1_name`): room for that prefix. */
const FIELD_PREFIX_MAX = 16
/** Parts an action's body may have: a form's fields, and room for React's rows and Next's `$ACTION_*` fields. */
const ACTION_PARTS_LIMIT = DEFAULT_FORM_LIMITS.maxFields + 16

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** A refusal as a Server Action's caller reads it: a short plain-text line (React shows it as the error). */
function refusal(error: OperationError): Response {
  return new Response(`${error.message}\n`, { status: error.status, headers: { 'content-type': 'text/plain; charset=utf-8' } })
}

const isMultipart = (request: Request) => (request.headers.get('content-type') ?? '').startsWith('multipart/form-data')

/**
 * What Next treats as a Server Action call: a POST to a page with a Next-Action header (from JavaScript) or with a
 * multipart body (a form posted without JavaScript). Paths under /api/ are routes, which run no actions.
 */
function actionKind(request: Request): 'fetch' | 'form' | undefined {
  if (request.method !== 'POST' || new URL(request.url).pathname.startsWith('/api/')) return undefined
  if (request.headers.has('next-action')) return 'fetch'
  return isMultipart(request) ? 'form' : undefined
}

/**
 * Refuses, with a 4xx, the Server Action requests Next.js 16 would answer with a 500 (and log as errors), for a
 * `proxy.ts`: `export const proxy = serverActionGuard({ bodyLimit })`, or called first in a proxy of your own
 * (it answers a Response to send, or undefined to let the request through untouched). It checks:
 * - the Origin: another origin (scheme, host and port; Next compares the host alone), `null` or garbage → 403,
 *   as Next's CSRF check would refuse it, but with a 500. A request without Origin passes, as in Next;
 * - the size: a body over `bodyLimit`, declared or sent → 413;
 * - the body: multipart that is malformed, not UTF-8, over 1,016 parts or with a part header over 12 KB; from
 *   JavaScript, React's reply rows that are not JSON, nest past 64 levels or hold more than 1,000 keys in an
 *   object, arguments that are not an array of at most 1,000, or no row `0` → 400.
 * What the rows refer to (`$Q1`, `$F2`…) is left to React. The body is parsed from the copy Next keeps of it
 * for the action (up to `experimental.proxyClientMaxBodySize`: give it at least `bodyLimit` + 1).
 */
export function serverActionGuard({ bodyLimit = 1024 * 1024, allowedOrigins = [] }: ServerActionGuardOptions = {}): (request: Request) => Promise<Response | undefined> {
  const isAllowed = originCheck(allowedOrigins)
  const tooLarge = () => new OperationError('PAYLOAD_TOO_LARGE', `The request body is larger than the limit of ${bodyLimit} bytes.`)

  function foreign(request: Request): OperationError | undefined {
    const origin = request.headers.get('origin')
    if (origin === null || isSameOrigin(request, origin) || (URL.canParse(origin) && isAllowed(new URL(origin).origin))) return undefined
    return new OperationError('CROSS_SITE_REQUEST', 'This Server Action request comes from another origin.')
  }

  /** The entries of a reply (a text body is row 0), parsed within the limits. */
  async function entriesOf(request: Request): Promise<[name: string, value: FormDataEntryValue][]> {
    const bytes = await request.arrayBuffer()
    if (bytes.byteLength > bodyLimit) throw tooLarge()
    if (isMultipart(request)) {
      const parser = new MultipartParser(boundaryOf(request.headers.get('content-type')!), {
        maxParts: ACTION_PARTS_LIMIT,
        maxNameLength: DEFAULT_FORM_LIMITS.maxNameLength + FIELD_PREFIX_MAX,
      })
      parser.push(new Uint8Array(bytes))
      return [...parser.end()]
    }
    try {
      return [['0', utf8.decode(bytes)]]
    } catch {
      throw new OperationError('BAD_REQUEST', 'The body is not valid UTF-8.')
    }
  }

  /** React's reply rows: row `0` (the whole body when it is not multipart) is the JSON array of arguments, every other numbered row is JSON. */
  function checkRows(entries: [string, FormDataEntryValue][]): OperationError | undefined {
    const rows = entries.filter((row): row is [string, string] => typeof row[1] === 'string' && /^\d+$/.test(row[0]))
    for (const [id, text] of rows) {
      try {
        checkJsonShape(text)
      } catch (error) {
        return new OperationError('BAD_REQUEST', `Row ${id}: ${(error as Error).message}`)
      }
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch {
        return new OperationError('BAD_REQUEST', `Row ${id} is not valid JSON.`)
      }
      if (id === '0' && !(Array.isArray(value) && value.length <= ACTION_ARGS_LIMIT)) {
        return new OperationError('BAD_REQUEST', `The arguments are not a JSON array of at most ${ACTION_ARGS_LIMIT} items.`)
      }
    }
    return rows.some(([id]) => id === '0') ? undefined : new OperationError('BAD_REQUEST', 'The arguments (row 0) are missing.')
  }

  return async function guard(request) {
    const kind = actionKind(request)
    if (!kind) return undefined
    const refused = foreign(request) ?? (Number(request.headers.get('content-length')) > bodyLimit ? tooLarge() : undefined)
    if (refused) return refusal(refused)
    // A urlencoded body is the one Next decodes as plain form fields, without React's reply format.
    if (kind === 'fetch' && request.headers.get('content-type') === 'application/x-www-form-urlencoded') return undefined
    try {
      const entries = await entriesOf(request)
      const malformed = kind === 'fetch' ? checkRows(entries) : undefined
      return malformed ? refusal(malformed) : undefined
    } catch (error) {
      if (error instanceof OperationError) return refusal(error)
      throw error
    }
  }
}
