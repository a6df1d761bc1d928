import fc from 'fast-check'
import { isIP } from 'node:net'
import { describe, expect, it } from 'vitest'
import { clientIp, trustProxy } from './client-address'

const xff = (value: string) => new Headers({ 'x-forwarded-for': value })

describe('clientIp()', () => {
  it('trusts nothing until told: a client can write any header', () => {
    expect(clientIp(new Headers({ 'x-forwarded-for': '203.0.113.9', 'x-real-ip': '203.0.113.9' }), undefined)).toBeUndefined()
  })

  it.each([
    { hops: 1, header: '203.0.113.9', ip: '203.0.113.9', why: 'the one entry the proxy appended' },
    { hops: 1, header: '6.6.6.6, 203.0.113.9', ip: '203.0.113.9', why: 'what the client wrote before it is ignored' },
    { hops: 2, header: '6.6.6.6, 203.0.113.9, 10.0.0.2', ip: '203.0.113.9', why: 'two proxies: second from the right' },
    { hops: 2, header: '203.0.113.9', ip: undefined, why: 'fewer entries than proxies: not through them all' },
    { hops: 1, header: 'not-an-ip', ip: undefined, why: 'not an address' },
    { hops: 1, header: ' ::ffff:192.0.2.1 ', ip: '192.0.2.1', why: 'IPv4-mapped IPv6 written as IPv4' },
    { hops: 1, header: '2001:db8::1', ip: '2001:db8::1', why: 'IPv6' },
  ])('hops $hops, "$header" → $ip ($why)', ({ hops, header, ip }) => {
    expect(clientIp(xff(header), { hops })).toBe(ip)
  })

  it('reads a header a proxy sets, and only that one', () => {
    const headers = new Headers({ 'x-forwarded-for': '6.6.6.6', 'cf-connecting-ip': '203.0.113.9' })
    trustProxy({ header: 'CF-Connecting-IP' })
    try {
      expect(clientIp(headers)).toBe('203.0.113.9')
    } finally {
      trustProxy(undefined)
    }
  })

  it('refuses a hop count that is not a whole number of proxies', () => {
    for (const hops of [0, -1, 1.5, Number.NaN]) expect(() => trustProxy({ hops })).toThrow(/hops must be a whole number/)
  })

  it('answers a valid address or nothing, for any header, and never one the client put left of the proxies (fuzzed)', () => {
    const entry = fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 50 }))
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 20 }), fc.ipV4(), fc.integer({ min: 1, max: 3 }), (spoofed, real, hops) => {
        const appended = Array.from({ length: hops - 1 }, (_, i) => `10.0.0.${i + 1}`)
        const header = [...spoofed, real, ...appended].join(', ')
        const ip = clientIp(xff(header), { hops })
        expect(ip).toBe(real)
        const any = clientIp(xff(spoofed.join(',')), { hops })
        expect(any === undefined || isIP(any) !== 0).toBe(true)
      }),
      { numRuns: 2_000 },
    )
  })
})
