// Per-request CPU cost of the route handlers and form actions in isolation: no HTTP server, no Next.js router and a stub
// in place of PostgreSQL, so what remains is the request handling itself (body, validation, response),
// resolved to the microsecond where the HTTP benchmark only sees a few percent. Also times the pieces.
// Run: npm run micro -w bench. It runs as a production build would: bundled by esbuild (not through tsx, whose
// keepNames wraps every closure our source creates, but none in a peer's prebuilt dist) with NODE_ENV=production.
import { readBody } from 'actionroute'
import { withActionContext } from 'actionroute/testing'
import { NextRequest, NextResponse } from 'next/server'
import { performance } from 'node:perf_hooks'
import type { BenchUser } from './app/lib/db'

// db.ts keeps its database on globalThis: a stub put there first answers the insert without a database.
const stub = {
  query: async (_sql: string, [name, email]: [string, string | null]) => ({
    rows: [{ id: '1', name, email, created_at: new Date() } satisfies BenchUser],
  }),
}
Object.assign(globalThis, { benchDatabase: Promise.resolve(stub) })
const { POST: hand } = await import('./app/app/hand/route')
const { POST: actionroute } = await import('./app/app/actionroute/route')
const { newUserInput } = await import('./app/lib/new-user')
const { addUserPlainAction } = await import('./app/app/actions/plain-action')
const { addUserFormAction } = await import('./app/app/actions/form-action')
const { addUserSafeFormAction } = await import('./app/app/actions/safe-form-action')

const ROUNDS = Number(process.env.MICRO_ROUNDS ?? 15)
const BATCH = Number(process.env.MICRO_BATCH ?? 2000)

let counter = 0
const body = () => JSON.stringify({ name: `Bench user ${++counter}` })
const request = () =>
  new NextRequest('http://127.0.0.1/bench', { method: 'POST', headers: { 'content-type': 'application/json' }, body: body() })
const user = (): BenchUser => ({ id: '1', name: 'Bench user', email: null, created_at: new Date() })
const output = () => ({ message: 'User Bench user added via API route', user: user() })
const routeContext = { params: Promise.resolve({}) }
const form = () => {
  const data = new FormData()
  data.append('name', `Bench user ${++counter}`)
  return data
}
const idle = { status: 'idle' } as const

type Cases = Record<string, () => Promise<unknown>>

// The form actions as React calls them, with the previous state and a fresh FormData (Next's own decoding of the
// request and encoding of the answer are not in it), all inside one test request scope (withActionContext), as
// Next runs every action inside its own: formAction() reads its context there instead of from Next's headers().
const actionCases: Cases = {
  'd: plain action': () => addUserPlainAction(idle, form()),
  'e: formAction(addUser)': () => addUserFormAction(idle, form()),
  'h: next-safe-action stateAction': () => addUserSafeFormAction({}, form()),
}

// Each case is one request's worth of one thing; responses are read to the end, as the server would.
const routeCases: Cases = {
  'a: hand-written POST': async () => (await hand(request())).arrayBuffer(),
  'b: route(addUser)': async () => (await actionroute(request(), routeContext)).arrayBuffer(),
  'new NextRequest only': async () => request(),
  'body a: request.json()': () => request().json(),
  'body b: readBody()': () => readBody(request()),
  'validate a: zod safeParse': async () => newUserInput.safeParse({ name: ` Bench user ${++counter} ` }),
  "validate b: zod ['~standard'].validate": async () => newUserInput['~standard'].validate({ name: ` Bench user ${++counter} ` }),
  'respond a: NextResponse.json': () => NextResponse.json(output(), { status: 201 }).arrayBuffer(),
  'respond b: new Response(JSON.stringify)': () => {
    const headers = new Headers()
    headers.set('content-type', 'application/json')
    return new Response(JSON.stringify(output()), { status: 201, headers }).arrayBuffer()
  },
}

async function time(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now()
  for (let i = 0; i < BATCH; i++) await run()
  return ((performance.now() - start) * 1000) / BATCH
}

const samples = new Map<string, number[]>()
async function measure(cases: Cases): Promise<void> {
  const names = Object.keys(cases)
  for (const name of names) samples.set(name, [])
  for (const name of names) await time(cases[name]!) // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order every round so no case always runs right after the same neighbour.
    for (const name of [...names.slice(round % names.length), ...names.slice(0, round % names.length)]) {
      samples.get(name)!.push(await time(cases[name]!))
    }
  }
}
await measure(routeCases)
await withActionContext({}, () => measure(actionCases))
const names = [...samples.keys()]

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!
const result = new Map(names.map((name) => [name, median(samples.get(name)!)]))
console.log(`Median µs per call over ${ROUNDS} rounds of ${BATCH} (node ${process.version}):\n`)
console.log('| Case | µs/call | min–max |\n| --- | ---: | ---: |')
for (const name of names) {
  const all = samples.get(name)!
  console.log(`| ${name} | ${result.get(name)!.toFixed(1)} | ${Math.min(...all).toFixed(1)}–${Math.max(...all).toFixed(1)} |`)
}
const diff = (b: string, a: string) => (result.get(b)! - result.get(a)!).toFixed(1)
console.log(`\ne − d: formAction() ${diff('e: formAction(addUser)', 'd: plain action')} µs; e − h: formAction() − stateAction ${diff('e: formAction(addUser)', 'h: next-safe-action stateAction')} µs`)
console.log(`\nb − a: whole handler ${diff('b: route(addUser)', 'a: hand-written POST')} µs; ` +
  `body ${diff('body b: readBody()', 'body a: request.json()')}, ` +
  `validation ${diff("validate b: zod ['~standard'].validate", 'validate a: zod safeParse')}, ` +
  `response ${diff('respond b: new Response(JSON.stringify)', 'respond a: NextResponse.json')} µs`)
