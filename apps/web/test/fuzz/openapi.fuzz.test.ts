import fc from 'fast-check'
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { withActionContext } from 'actionroute/testing'
import * as actions from '@/app/actions'
import * as addUserRoute from '@/app/api/addUser/route'
import * as userRoute from '@/app/api/users/[id]/route'
import * as avatarRoute from '@/app/api/users/[id]/avatar/route'
import * as eventsRoute from '@/app/api/users/events/route'
import * as importRoute from '@/app/api/users/import/route'
import * as cancelImportRoute from '@/app/api/users/import/[id]/cancel/route'
import * as usersRoute from '@/app/api/users/route'
import { openapiDocument } from '@/server/api'
import { count as countRows, eq } from 'drizzle-orm'
import { userImports, users } from '@/server/db/schema'
import { setupTestDatabase } from '@/test/support/database'
import { fixtureUsers, restoreUsers } from '@/test/support/fixtures'
import { actionCallOf, actionForm, arbitrariesFor, toRequest, type ActionCall, type Examples, type HttpCase } from './arbitraries'
import { conformance, formStateSchema, type Problem, type Verdict } from './conformance'
import { operationOf, operationsOf, validators, type Document } from './document'
import { KNOWN_SPEC_GAPS, type GapContext, type KnownGap } from './known-gaps'

// Issue 6, "No 5xx for bad input": every operation of the served OpenAPI document, fed generated
// requests that follow it and requests that break it, through its route file in-process; and the
// app's form actions, called with arguments no form would send. A failure prints its seed and path:
// `FUZZ_SEED=<seed> FUZZ_PATH=<path> npx vitest run <this file> -t '<test>'` replays it alone.
// `FUZZ_SURVEY=1` lists every distinct problem (and what the generators reached) instead of stopping at the first.

// Outside Next there is no cache to refresh: the actions' onSuccess would only log that.
vi.mock('next/cache', () => ({ revalidatePath: () => {} }))

const RUNS = 500
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_106)
/** With FUZZ_SEED, the `path` fast-check printed replays the failing case alone. */
const PATH = process.env.FUZZ_PATH
const SURVEY = process.env.FUZZ_SURVEY === '1'

const doc = openapiDocument as unknown as Document
const { verdictOf, judge, checkResponse } = conformance(doc)
const database = setupTestDatabase()

/** The route file Next would dispatch each documented path to. */
const routeFiles: Record<string, Record<string, unknown>> = {
  '/api/addUser': addUserRoute,
  '/api/users': usersRoute,
  '/api/users/{id}': userRoute,
  '/api/users/{id}/avatar': avatarRoute,
  '/api/users/events': eventsRoute,
  '/api/users/import': importRoute,
  '/api/users/import/{id}/cancel': cancelImportRoute,
}
/** Methods a client can send: Next calls the route file's export of that name, if there is one. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'QUERY', 'PROPFIND', 'FOO'] as const

const fixtures = fixtureUsers
const fixtureIds = fixtures.map((user) => user.id)
const examples: Examples = { id: fixtureIds, email: ['bob@example.com', 'ALICIA@example.com', 'Dan@Example.com'] }

/** Back to exactly the fixtures, run only after a case changed something. */
const restoreFixtures = () => restoreUsers(database())
beforeEach(restoreFixtures)

/** Every row, by id, as JSON: compared before and after each case. */
async function snapshot(): Promise<Map<string, string>> {
  const rows = await database().db.select().from(users)
  return new Map(rows.map((row) => [row.id, JSON.stringify(row)]))
}

/** Rows added, removed or changed between two snapshots. */
function changes(before: Map<string, string>, after: Map<string, string>) {
  const added = [...after.keys()].filter((id) => !before.has(id))
  const removed = [...before.keys()].filter((id) => !after.has(id))
  const changed = [...after.keys()].filter((id) => before.has(id) && before.get(id) !== after.get(id))
  return { added, removed, changed, any: added.length + removed.length + changed.length > 0 }
}

/** What a request may do to the table: nothing unless it succeeded, and then only what its method says. */
function effectProblems(path: string, method: string, status: number, c: HttpCase, before: Map<string, string>, after: Map<string, string>): Problem[] {
  const { added, removed, changed, any } = changes(before, after)
  const seen = `added ${added.length}, removed ${removed.length}, changed ${changed.length}`
  const ok = status >= 200 && status < 300
  // UUIDs are case-insensitive: /users/6F1C… names the same user as /users/6f1c….
  const target = c.params.id?.toLowerCase()
  const expected =
    !ok || ['GET', 'HEAD', 'OPTIONS'].includes(method)
      ? !any
      : path.endsWith('/avatar')
        ? added.length === 0 && removed.length === 0 && changed.every((id) => id === target)
        : path === '/api/users/import'
        ? removed.length === 0 && changed.length === 0
        : path.startsWith('/api/users/import/')
        ? !any
        : method === 'POST'
        ? added.length === 1 && removed.length === 0 && changed.length === 0
        : method === 'PATCH'
          ? added.length === 0 && removed.length === 0 && changed.every((id) => id === target)
          : method === 'DELETE'
            ? added.length === 0 && changed.length === 0 && removed.every((id) => id === target)
            : !any
  return expected ? [] : [{ rule: 'database changed', message: `${method} answered ${status} and the users table changed: ${seen}` }]
}

/** A 404 or 409 must be true of the table: no such user, or the email is another user's. */
function truthProblems(path: string, status: number, c: HttpCase, verdict: Verdict, before: Map<string, string>): Problem[] {
  // Reading an avatar: 404 is also true of a user who has none.
  const hasNoAvatar = (id: string) => path.endsWith('/avatar') && ['GET', 'HEAD'].includes(c.method) && (JSON.parse(before.get(id)!) as { avatarEtag: unknown }).avatarEtag === null
  // The cancel path's id names an import, not a user.
  const namesUser = !path.startsWith('/api/users/import/')
  if (status === 404 && namesUser && c.params.id !== undefined && before.has(c.params.id) && !hasNoAvatar(c.params.id)) {
    return [{ rule: 'untruthful error', message: `404 for user ${c.params.id}, who exists` }]
  }
  const email = (verdict.body as { email?: unknown } | undefined)?.email
  if (status === 409 && typeof email === 'string') {
    const others = [...before.entries()].filter(([id]) => id !== c.params.id?.toLowerCase()).map(([, row]) => (JSON.parse(row) as { email: string | null }).email)
    if (!others.includes(email.trim().toLowerCase())) return [{ rule: 'untruthful error', message: `409 for ${email}, which no other user has` }]
  }
  return []
}

/** Until no import runs: one whose reader went ends after the batch it was storing (a few ms; 2 s at most here). */
async function importsSettled(): Promise<void> {
  for (const deadline = Date.now() + 2_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 10))) {
    const [running] = await database().db.select({ n: countRows() }).from(userImports).where(eq(userImports.status, 'running'))
    if (running!.n === 0) return
  }
}

/** Methods a route file does not export are Next's to answer (its own 405), not this suite's. */
const nextLevel = new Set<string>()

/** One request through the route file, as Next would dispatch it; every problem the document and the table show. */
async function exchange(path: string, c: HttpCase, examples: Examples): Promise<{ problems: Problem[]; where: string; context?: GapContext }> {
  const handler = routeFiles[path]?.[c.method] as ((request: Request, context: unknown) => Promise<Response>) | undefined
  if (typeof handler !== 'function') {
    nextLevel.add(`${c.method} ${path}`)
    return { problems: [], where: `${c.method} ${path}` }
  }
  const request = toRequest(path, c)
  // HEAD is judged as the GET it mirrors; a method with no operation by the path item (OPTIONS 204, others 405), in checkResponse.
  const op = operationOf(doc, path, c.method === 'HEAD' ? 'GET' : c.method)
  const verdict: Verdict = op ? await verdictOf(op, request.clone(), c.params) : { expect: 'any', why: `${c.method} is not an operation here` }
  const before = await snapshot()
  const response = await handler(request, { params: Promise.resolve(c.params) })
  const { status, body, problems } = await checkResponse(path, request, response)
  // An import's stream is read for a moment only: its last batch may still commit. Compare once none runs.
  if (path === '/api/users/import') await importsSettled()
  const after = await snapshot()
  if (changes(before, after).any) await restoreFixtures()
  count(`${c.method} ${path}: ${verdict.expect} → ${status}`)
  const recheck = async (other: HttpCase) => (op ? verdictOf(op, toRequest(path, other), other.params) : verdict)
  return {
    where: op?.operationId ?? `${c.method} ${path}`,
    context: { verdict, body, recheck, examples },
    problems: [...problems, ...judge(verdict, status, body), ...effectProblems(path, c.method, status, c, before, after), ...truthProblems(path, status, c, verdict, before), ...pollution()],
  }
}

function pollution(): Problem[] {
  const keys = Object.keys(Object.prototype)
  return keys.length ? [{ rule: 'prototype polluted', message: `Object.prototype gained ${keys.join(', ')}` }] : []
}

// Known gaps: matched per problem, so a case that shows a known gap and anything else still fails.
const gapHits = new Map<string, number>()
async function unknownProblems(where: string, problems: Problem[], c?: HttpCase, context?: GapContext): Promise<Problem[]> {
  const unknown: Problem[] = []
  for (const problem of problems) {
    let known: KnownGap | undefined
    for (const gap of KNOWN_SPEC_GAPS) {
      if (gap.rule === problem.rule && gap.where.includes(where) && c && context && (await gap.when(c, context))) known = gap
    }
    if (known) gapHits.set(known.gap, (gapHits.get(known.gap) ?? 0) + 1)
    else unknown.push(problem)
  }
  return unknown
}

const survey = new Map<string, { count: number; example: string }>()
/** Survey mode: how often each verdict met each status (each action answer), to see what the generators reach. */
const coverage = new Map<string, number>()
const count = (key: string) => SURVEY && coverage.set(key, (coverage.get(key) ?? 0) + 1)
/** Runs `numRuns` generated cases; fails with fast-check's counterexample, seed and path, or in survey mode records them all. */
async function fuzz<T>(where: string, cases: fc.Arbitrary<T>, run: (value: T) => Promise<Problem[]>) {
  await fc.assert(
    fc.asyncProperty(cases, async (value) => {
      const problems = await run(value)
      if (problems.length === 0) return
      if (!SURVEY) throw new Error(problems.map((problem) => `${problem.rule}: ${problem.message}`).join('\n'))
      for (const problem of problems) {
        const key = `${where} | ${problem.rule} | ${problem.message.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<uuid>').slice(0, 90)}`
        const entry = survey.get(key) ?? { count: 0, example: fc.stringify(value).slice(0, 400) }
        survey.set(key, { ...entry, count: entry.count + 1 })
      }
    }),
    { numRuns: RUNS, seed: SEED, ...(PATH ? { path: PATH } : {}) },
  )
}

/** Cursors the API itself hands out: the only values of `cursor` a client can know to be good. */
async function issuedCursors(): Promise<string[]> {
  const page = async (query: string) => (await (await usersRoute.GET(new Request(`http://localhost/api/users?${query}`), { params: Promise.resolve({}) })).json()) as { nextCursor: string | null; prevCursor: string | null }
  const first = await page('limit=1')
  const second = await page(`limit=1&cursor=${first.nextCursor}`)
  return [first.nextCursor, second.nextCursor, second.prevCursor].filter((cursor): cursor is string => cursor !== null)
}

afterAll(() => {
  if (SURVEY) {
    console.log([...survey].map(([key, { count, example }]) => `${count}× ${key}\n    e.g. ${example}`).join('\n'))
    console.log([...coverage].sort().map(([key, count]) => `${key}: ${count}`).join('\n'))
    console.log(`Next-level (no export in the route file): ${[...nextLevel].sort().join(', ')}`)
  }
})

describe('every operation in the OpenAPI document, fuzzed through its route file', () => {
  it('has a route file for every documented path', () => {
    expect(Object.keys(doc.paths).filter((path) => !routeFiles[path])).toEqual([])
  })

  it.each(operationsOf(doc))(`$method $path ($operation.operationId), ${RUNS} generated requests`, async ({ path, method, operation }) => {
    const known = { ...examples, cursor: await issuedCursors() }
    await fuzz(operation.operationId, arbitrariesFor(doc, known).request(method, operation), async (c) => {
      const { problems, where, context } = await exchange(path, c, known)
      return unknownProblems(where, problems, c, context)
    })
  }, 120_000)

  it.each(Object.keys(doc.paths))(`every other method on %s, ${RUNS} generated requests`, async (path) => {
    const served = operationsOf(doc).filter((op) => op.path === path).map((op) => op.method)
    const known = { ...examples, cursor: await issuedCursors() }
    await fuzz(path, arbitrariesFor(doc, known).otherMethod(path, served, METHODS), async (c) => {
      const { problems, where, context } = await exchange(path, c, known)
      return unknownProblems(where, problems, c, context)
    })
  }, 120_000)
})

describe('the form Server Actions, called with arguments no form sends', () => {
  const validEnvelope = validators(doc)(formStateSchema)
  const SECRET = /password|secret|token/i

  async function call(name: string, action: (...args: unknown[]) => Promise<unknown>, c: ActionCall): Promise<Problem[]> {
    const before = await snapshot()
    const args = 'fields' in c.second ? (c.only ? [actionForm(c.second)] : [c.previous, actionForm(c.second)]) : [c.previous, c.second.other]
    let state: unknown
    try {
      state = await withActionContext({ headers: { 'x-forwarded-for': '203.0.113.7' } }, () => action(...args))
    } catch (error) {
      return [{ rule: 'action threw', message: String(error) }]
    }
    const after = await snapshot()
    if (changes(before, after).any) await restoreFixtures()
    const problems: Problem[] = []
    const { status, code, values } = (state ?? {}) as { status?: string; code?: string; values?: Record<string, string> }
    count(`${name}: ${status} ${code ?? ''}`)
    if (!validEnvelope(state)) problems.push({ rule: 'action envelope shape', message: `${JSON.stringify(state)?.slice(0, 200)}: ${validEnvelope.errors?.map((e) => `${e.instancePath} ${e.message}`).join(', ')}` })
    if (code === 'INTERNAL') problems.push({ rule: 'action answered INTERNAL', message: JSON.stringify(state).slice(0, 200) })
    if (status !== 'success' && changes(before, after).any) problems.push({ rule: 'database changed', message: `the action answered ${status} and the users table changed` })
    const secrets = Object.keys(values ?? {}).filter((name) => SECRET.test(name))
    if (secrets.length) problems.push({ rule: 'action envelope shape', message: `values echo secrets: ${secrets.join(', ')}` })
    return [...problems, ...pollution()]
  }

  it.each([
    { name: 'addUserAction', action: actions.addUserAction, fields: ['name', 'email'] },
    { name: 'renameUserAction', action: actions.renameUserAction, fields: ['id', 'name'] },
    { name: 'deleteUserAction', action: actions.deleteUserAction, fields: ['id'] },
  ])(`$name, ${RUNS} generated calls`, async ({ name, action, fields }) => {
    await fuzz(name, actionCallOf(fields, examples), async (c) => unknownProblems(name, await call(name, action as (...args: unknown[]) => Promise<unknown>, c)))
  }, 120_000)
})

// Runs after the fuzz above (a file's tests run in order), on the default seed only.
describe('the known gaps', () => {
  it.skipIf(SURVEY || process.env.FUZZ_SEED)('each still happens: one that did not is fixed, or no longer reached; delete or rework it', () => {
    expect(KNOWN_SPEC_GAPS.map((known) => known.gap).filter((gap) => !gapHits.has(gap))).toEqual([])
  })
})
