import { action, operation, route } from 'actionroute'
import { withActionContext } from 'actionroute/testing'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { logRequests } from './log-requests'

// Next's after() needs a request scope: here it keeps the tasks, to run them when the test says the response has gone.
const afterTasks = vi.hoisted(() => [] as (() => void)[])
vi.mock('next/server', () => ({ after: (task: () => void) => afterTasks.push(task) }))

const echo = operation({ name: 'echo', input: z.object({ word: z.string().min(1) }), use: [logRequests], handler: ({ word }) => ({ word }) })
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
    await route(echo)(new Request('http://test/?word=hi'), { params: Promise.resolve({}) })
    await withActionContext({}, () => action(echo)({ word: '' }))
    expect(lines()).toEqual([
      expect.stringMatching(/^\[request\] echo via API route → ok in \d+\.\d ms$/),
      expect.stringMatching(/^\[request\] echo via server action → 422 VALIDATION_FAILED in \d+\.\d ms$/),
    ])
  })

  it('is quiet with LOG_LEVEL=silent', async () => {
    vi.stubEnv('LOG_LEVEL', 'silent')
    await withActionContext({}, () => action(echo)({ word: 'hi' }))
    expect(lines()).toEqual([])
  })
})

describe('logRequests in the Next.js server', () => {
  it('writes the line only after the response, through after()', async () => {
    vi.stubEnv('NEXT_RUNTIME', 'nodejs')
    await route(echo)(new Request('http://test/?word=hi'), { params: Promise.resolve({}) })
    expect(lines()).toEqual([])
    for (const task of afterTasks.splice(0)) task()
    expect(lines()).toEqual([expect.stringMatching(/^\[request\] echo via API route → ok in \d+\.\d ms$/)])
  })
})
