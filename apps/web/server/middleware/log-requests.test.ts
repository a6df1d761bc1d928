import { action, operation, route } from 'actionroute'
import { withActionContext } from 'actionroute/testing'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { logRequests } from './log-requests'

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
