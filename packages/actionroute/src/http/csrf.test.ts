import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isCrossSiteForm, isSameOrigin } from './csrf'

const OWN = 'http://api.test'
const form = (origin: string, headers: Record<string, string> = {}) =>
  new Request(`${OWN}/greet`, { method: 'POST', body: 'name=Ada', headers: { host: 'api.test', 'content-type': 'application/x-www-form-urlencoded', origin, ...headers } })

/** What the check must decide: the origin, normalised by the URL standard, is exactly ours. */
const expectedSame = (origin: string) => URL.canParse(origin) && new URL(origin).origin === OWN

// Origins near ours (scheme, case, port, trailing dot, userinfo, path) and far from it.
const near = fc
  .tuple(
    fc.constantFrom('http', 'https', 'HTTP', 'ws', 'file'),
    fc.constantFrom('api.test', 'API.test', 'api.test.', 'evil.test', 'api.test.evil.example', 'user@api.test', ''),
    fc.constantFrom('', ':80', ':443', ':8080', ':0', ':080', ':'),
    fc.constantFrom('', '/', '/path', '?q', '#x'),
  )
  .map(([scheme, host, port, rest]) => `${scheme}://${host}${port}${rest}`)
const origins = fc.oneof(near, fc.webUrl(), fc.string({ maxLength: 30 }), fc.constantFrom('null', 'http://api.test', 'https://api.test'))

describe('the CSRF check', () => {
  it('lets a form through only from its own origin, in scheme, host and port, for any Origin header', () => {
    fc.assert(
      fc.property(origins, (origin) => {
        if (!/^[\t\x20-\x7e]*$/.test(origin)) return // not a header value fetch() can send
        expect(isSameOrigin(form(origin), origin)).toBe(expectedSame(origin))
        expect(isCrossSiteForm(form(origin), () => false)).toBe(!expectedSame(origin))
      }),
      { numRuns: 2000 },
    )
  })

  it('never asks the allow-list about an opaque or unreadable origin', () => {
    const asked: string[] = []
    for (const origin of ['null', 'not a url', 'http://[::1']) isCrossSiteForm(form(origin), (theirs) => (asked.push(theirs), true))
    expect(asked).toEqual([])
  })

  it('asks the allow-list with the normalised origin', () => {
    const asked: string[] = []
    expect(isCrossSiteForm(form('HTTPS://Partner.Example:443'), (theirs) => (asked.push(theirs), theirs === 'https://partner.example'))).toBe(false)
    expect(asked).toEqual(['https://partner.example'])
  })
})
