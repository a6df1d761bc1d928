import { isIP } from 'node:net'

/**
 * Where the client's address can be read from, given the proxies in front of the app. Headers are
 * whatever the client sent unless a proxy you run replaced or appended to them, so nothing is
 * trusted until you say which proxy does what.
 */
export type TrustProxy =
  /**
   * `hops` proxies in front of the app each append the address they were connected from to
   * `X-Forwarded-For` (nginx `$proxy_add_x_forwarded_for`, most load balancers): the client is the
   * entry `hops` from the right. Entries further left are the client's to invent.
   */
  | { hops: number }
  /** A proxy sets this header to the client's address and drops any the client sent (`x-real-ip`, `cf-connecting-ip`). */
  | { header: string }

// On globalThis, like onError: Next bundles instrumentation.ts, route handlers and actions separately.
const TRUST = Symbol.for('actionroute.trustProxy')
const registry = globalThis as { [TRUST]?: TrustProxy }

/**
 * Says how to find the client's address behind your proxies; `ctx.ip` is undefined until you do.
 * Set it once at start-up (instrumentation.ts): `trustProxy({ hops: 1 })` behind one load balancer.
 * `trustProxy(undefined)` goes back to trusting nothing.
 */
export function trustProxy(trust: TrustProxy | undefined): void {
  if (trust && 'hops' in trust && !(Number.isInteger(trust.hops) && trust.hops >= 1)) {
    throw new TypeError(`trustProxy: hops must be a whole number of proxies, at least 1 (got ${String(trust.hops)}).`)
  }
  registry[TRUST] = trust && ('header' in trust ? { header: trust.header.toLowerCase() } : { hops: trust.hops })
}

/**
 * A well-formed IPv4 or IPv6 address, with IPv4-mapped IPv6 (`::ffff:192.0.2.1`) written as IPv4. Proxies
 * (Azure's among them) may write the client's port too: `192.0.2.1:5123` and `[2001:db8::1]:5123` are read
 * as their address, rather than as no address at all.
 */
function address(text: string | undefined): string | undefined {
  let candidate = text?.trim()
  if (!candidate || candidate.length > 53) return undefined
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(candidate)
  if (bracketed) candidate = bracketed[1]!
  else if (/^[\d.]+:\d{1,5}$/.test(candidate)) candidate = candidate.slice(0, candidate.indexOf(':'))
  if (candidate.length > 45 || !isIP(candidate)) return undefined
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(candidate)
  return mapped ? mapped[1] : candidate
}

/** An IPv6 address's eight 16-bit groups (`::` expanded, a trailing IPv4 part as two groups, a zone dropped). */
function ipv6Groups(address: string): number[] {
  const [head = '', tail] = address.split('%')[0]!.split('::')
  const groupsOf = (part: string) =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [parseInt(group, 16)]
          const [a, b, c, d] = group.split('.').map(Number) as [number, number, number, number]
          return [(a << 8) | b, (c << 8) | d]
        })
  const left = groupsOf(head)
  if (tail === undefined) return left
  const right = groupsOf(tail)
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right]
}

/**
 * The network an address stands for when counting a client's calls: an IPv4 address itself, an IPv6 address
 * by its /64 (`2001:db8:1:2::/64`), the smallest block one subscriber is given, so that a /64's 2⁶⁴
 * addresses are one client and not 2⁶⁴ fresh budgets.
 */
export function addressGroup(ip: string): string {
  if (isIP(ip) !== 6) return ip
  return `${ipv6Groups(ip)
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`
}

/** The client's address, as far as the configured proxies vouch for it; undefined when nothing does. */
export function clientIp(headers: Headers, trust: TrustProxy | undefined = registry[TRUST]): string | undefined {
  if (!trust) return undefined
  if ('header' in trust) return address(headers.get(trust.header) ?? undefined)
  // Linear, and bounded by the server's header size limit (16 KB in Node).
  const entries = headers.get('x-forwarded-for')?.split(',') ?? []
  // Fewer entries than proxies: the request did not come through them all, so no entry is vouched for.
  if (entries.length < trust.hops) return undefined
  return address(entries[entries.length - trust.hops])
}
