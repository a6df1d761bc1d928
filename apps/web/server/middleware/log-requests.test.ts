import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'

// Next's after() needs a request scope: here it keeps the tasks, to run them when the test says the response has gone.
const afterTasks = vi.hoisted(() => [] as (() => void)[])
vi.mock('next/server', () => ({ after: (task: () => void) => afterTasks.push(task) }))

/** The library and the middleware as a server started with the environment stubbed now would load them (env() is read once). */
async function load() {
  vi.resetModules()
  const { action, base, route } = await import('actionroute')
  const { withActionContext } = await import('actionroute/testing')
  const { logRequests } = await import('./log-requests')
  const echo = base.use(logRequests).public().operation({ name: 'echo', input: z.object({ word: z.string().min(1) }), handler: ({ word }) => ({ word }) })
  return {
    viaRoute: () => route(echo)(new Request('http://test/?word=hi'), { params: Promise.resolve({}) }),
    viaAction: (word: string) => withActionContext({}, () => action(echo)({ word })),
  }
}
const log = vi.spyOn(console, 'log')
const lines = () => log.mock.calls.map(([line]) => String(line))

beforeEach(() => {
  vi.stubEnv('LOG_LEVEL', 'info')
  log.mockReset().mockImplementation(() => {})
})
afterEach(() => {
  vi.unstubAllEnvs()
})

describe('logRequests', () => {
  it('logs the operation, the door, the outcome and the duration, on both doors', async () => {
    const { viaRoute, viaAction } = await load()
    await viaRoute()
    await viaAction('')
    expect(lines()).toEqual([
      expect.stringMatching(/^\[request\] echo via API route → ok in \d+\.\d ms$/),
      expect.stringMatching(/^\[request\] echo via server action → 422 VALIDATION_FAILED in \d+\.\d ms$/),
    ])
  })

  it('is quiet with LOG_LEVEL=silent', async () => {
    vi.stubEnv('LOG_LEVEL', 'silent')
    await (await load()).viaAction('hi')
    expect(lines()).toEqual([])
  })
})

describe('logRequests in the Next.js server', () => {
  it('writes the line only after the response, through after()', async () => {
    vi.stubEnv('NEXT_RUNTIME', 'nodejs')
    await (await load()).viaRoute()
    expect(lines()).toEqual([])
    for (const task of afterTasks.splice(0)) task()
    expect(lines()).toEqual([expect.stringMatching(/^\[request\] echo via API route → ok in \d+\.\d ms$/)])
  })
})
