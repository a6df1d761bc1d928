import { isIP } from 'node:net'
import { describe, expect, it } from 'vitest'
// @ts-expect-error -- an .mjs script without types; appendPeer(forwarded, peer) → string
import { appendPeer } from '../scripts/server.mjs'
import { readEnv } from './env'

/** The entry trustProxy({ hops: env().trustedHops }) reads, if it is an address (clientIp's rule). */
const ipOf = (forwarded: string) => {
  const entry = forwarded.split(',').at(-readEnv({} as NodeJS.ProcessEnv).trustedHops)?.trim()
  return entry && isIP(entry) ? entry : undefined
}

describe('the address npm start vouches for', () => {
  it('is the connection the request came over, whatever the client wrote', () => {
    expect(ipOf(appendPeer('6.6.6.6', '203.0.113.9'))).toBe('203.0.113.9')
    expect(ipOf(appendPeer(undefined, '203.0.113.9'))).toBe('203.0.113.9')
  })

  it('is none when the socket has no address, rather than what the client wrote (it was the client\'s entry)', () => {
    expect(appendPeer('6.6.6.6', undefined)).toBe('6.6.6.6, unknown')
    expect(ipOf(appendPeer('6.6.6.6', undefined))).toBeUndefined()
    expect(ipOf(appendPeer(undefined, undefined))).toBeUndefined()
  })
})
