import fc from 'fast-check'
import { isIP } from 'node:net'
import { describe, expect, it } from 'vitest'
import { addressGroup, clientIp, trustProxy } from './client-address'

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
    { hops: 1, header: '203.0.113.9:5123', ip: '203.0.113.9', why: 'IPv4 with the port a proxy wrote (it was no address at all)' },
    { hops: 1, header: '[2001:db8::1]:5123', ip: '2001:db8::1', why: 'IPv6 with a port, bracketed' },
    { hops: 1, header: '[2001:db8::1]', ip: '2001:db8::1', why: 'IPv6 in brackets' },
    { hops: 1, header: '203.0.113.9:99999999', ip: undefined, why: 'not a port' },
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
    // The client's entry as proxies write it: bare, or with its port (`ip:port`, `[ipv6]:port`).
    const real = fc.oneof(
      fc.ipV4().map((ip) => ({ written: ip, ip })),
      fc.tuple(fc.ipV4(), fc.nat(65_535)).map(([ip, port]) => ({ written: `${ip}:${port}`, ip })),
      fc.tuple(fc.ipV6(), fc.nat(65_535)).map(([ip, port]) => ({ written: `[${ip}]:${port}`, ip })),
    )
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 20 }), real, fc.integer({ min: 1, max: 3 }), (spoofed, { written, ip: expected }, hops) => {
        const appended = Array.from({ length: hops - 1 }, (_, i) => `10.0.0.${i + 1}`)
        const header = [...spoofed, written, ...appended].join(', ')
        const ip = clientIp(xff(header), { hops })
        expect(ip === undefined ? undefined : addressGroup(ip)).toBe(addressGroup(/^::ffff:[\d.]+$/i.test(expected) ? expected.slice(7) : expected))
        const any = clientIp(xff(spoofed.join(',')), { hops })
        expect(any === undefined || isIP(any) !== 0).toBe(true)
      }),
      { numRuns: 2_000 },
    )
  })
})

describe('addressGroup()', () => {
  it.each([
    ['203.0.113.9', '203.0.113.9'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['::', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0::/64'],
    ['2001:DB8:A::', '2001:db8:a:0::/64'],
  ])('%s → %s', (ip, group) => expect(addressGroup(ip)).toBe(group))

  it('gives every address in one /64 the same group, and addresses in two /64s two groups (fuzzed)', () => {
    const hex = (groups: number[]) => groups.map((group) => group.toString(16)).join(':')
    const group16 = fc.integer({ min: 0, max: 0xffff })
    fc.assert(
      fc.property(fc.array(group16, { minLength: 8, maxLength: 8 }), fc.array(group16, { minLength: 4, maxLength: 4 }), fc.ipV6(), (address, otherHost, any) => {
        const sameNetwork = [...address.slice(0, 4), ...otherHost]
        expect(addressGroup(hex(address))).toBe(addressGroup(hex(sameNetwork)))
        const otherNetwork = [...address.slice(0, 3), (address[3]! + 1) % 0x10000, ...address.slice(4)]
        expect(addressGroup(hex(address))).not.toBe(addressGroup(hex(otherNetwork)))
        // Any spelling fast-check writes (compressed, with IPv4 inside) agrees with the address written out in full.
        const full = new URL(`http://[${any}]/`).hostname.slice(1, -1)
        expect(addressGroup(any)).toBe(addressGroup(full))
      }),
      { numRuns: 2_000 },
    )
  })
})
