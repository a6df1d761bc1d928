import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { cookiesOf } from './context'

describe('cookiesOf()', () => {
  it('takes the first of two cookies with one name, as browsers send the most specific first (RFC 6265 5.4)', () => {
    // A sibling subdomain can plant `session` for the whole domain; the site's own, sent first, must win.
    const cookies = cookiesOf(new Headers({ cookie: 'session=own; theme=dark; session=planted' }))
    expect([cookies.get('session'), cookies.get('theme')]).toEqual(['own', 'dark'])
  })

  it('decodes percent-escapes, and keeps a value that is not a valid escape as sent', () => {
    const cookies = cookiesOf(new Headers({ cookie: 'a=%E2%9C%93; b=%zz; =nameless; c' }))
    expect([cookies.get('a'), cookies.get('b'), cookies.get('')]).toEqual(['✓', '%zz', undefined])
  })
})

describe('the library reads no private Next.js setting', () => {
  it('has no process.env.__NEXT_* in its sources (they change without notice between Next releases)', () => {
    const root = path.resolve(import.meta.dirname, '..')
    const sources = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((file) => /\.tsx?$/.test(file) && !/\.test(-d)?\.ts$/.test(file))
    const readers = sources.filter((file) => /process\.env\.__NEXT|process\.env\[['"]__NEXT/.test(readFileSync(path.join(root, file), 'utf8')))
    expect(sources.length).toBeGreaterThan(20)
    expect(readers).toEqual([])
  })
})
