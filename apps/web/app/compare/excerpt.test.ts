import { describe, expect, it } from 'vitest'
import { declaration, whole } from './excerpt'

const source = [
  "import { operation } from 'actionroute'",
  '',
  'const shared = { tags: [1] } as const',
  'export const addUser = operation({',
  "  name: 'addUser',",
  '  handler: async () => {',
  '    return 1',
  '  },',
  '})',
  '',
  'export const addUserAction = formAction(addUser)',
  'export async function post(payload: { name: string }) {',
  '  return payload',
  '}',
  '',
].join('\n')

describe('declaration', () => {
  it('takes a multi-line declaration up to the line that closes it at column 0', () => {
    expect(declaration('f.ts', source, 'addUser')).toEqual({
      file: 'f.ts',
      code: source.split('\n').slice(3, 9).join('\n'),
      lines: 6,
    })
  })

  it('takes a one-line declaration alone, exported or not, and functions', () => {
    expect(declaration('f.ts', source, 'addUserAction').code).toBe('export const addUserAction = formAction(addUser)')
    expect(declaration('f.ts', source, 'shared')).toMatchObject({ code: 'const shared = { tags: [1] } as const', lines: 1 })
    expect(declaration('f.ts', source, 'post').lines).toBe(3)
  })

  it('matches whole names only, and says which declaration is missing', () => {
    expect(() => declaration('f.ts', source, 'add')).toThrow('f.ts has no top-level declaration of add.')
  })

  it('refuses what is not text: the bundler did not inline the file', () => {
    expect(() => whole('f.ts', { default: 1 })).toThrow('f.ts was not imported as text')
    expect(whole('f.ts', 'a\nb\n\n')).toEqual({ file: 'f.ts', code: 'a\nb', lines: 2 })
  })
})
