import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { action, onError, operation, route, type ErrorReport } from '../index'
import { withActionContext } from '../testing'

const explode = operation({
  name: 'explode',
  input: z.object({}),
  handler: () => {
    throw new Error('database password is hunter2')
  },
})
const post = () => new Request('http://test/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })

afterEach(() => onError(undefined))

describe('onError', () => {
  it('receives every unexpected error with the id the caller got, on both doors, instead of the console', async () => {
    const reports: { message: string; report: ErrorReport }[] = []
    onError((error, report) => reports.push({ message: (error as Error).message, report }))
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {})

    const response = await route(explode)(post(), { params: Promise.resolve({}) })
    const problem = (await response.json()) as { errorId: string }
    const result = await withActionContext({}, () => action(explode)({}))

    expect(reports).toEqual([
      { message: 'database password is hunter2', report: { errorId: problem.errorId, operation: 'explode', door: 'route' } },
      { message: 'database password is hunter2', report: { errorId: result.ok ? '' : result.error.errorId, operation: 'explode', door: 'action' } },
    ])
    expect(consoleError).not.toHaveBeenCalled()
    consoleError.mockRestore()
  })

  it('falls back to the console when the reporter itself fails, and still answers with the id', async () => {
    onError(() => {
      throw new Error('Sentry is down')
    })
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {})
    const response = await route(explode)(post(), { params: Promise.resolve({}) })
    const problem = (await response.json()) as { errorId: string; code: string }
    expect(problem.code).toBe('INTERNAL')
    expect(consoleError).toHaveBeenCalledWith(expect.stringContaining(problem.errorId), expect.objectContaining({ message: 'database password is hunter2' }))
    expect(consoleError).toHaveBeenCalledWith('[actionroute] the onError reporter failed:', expect.objectContaining({ message: 'Sentry is down' }))
    consoleError.mockRestore()
  })
})
