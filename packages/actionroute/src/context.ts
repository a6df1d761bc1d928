/** Which door a call came through. */
export type Transport = 'action' | 'route'

export interface CookieReader {
  get(name: string): string | undefined
}

/** What a transport knows about the call before an operation runs. */
export interface RequestContext {
  transport: Transport
  headers: Headers
  cookies: CookieReader
  /** The client address from `x-forwarded-for` / `x-real-ip`, if a proxy set one. */
  ip: string | undefined
  /** The incoming Request, for Route Handlers only. */
  request?: Request
}

/** What every handler and middleware sees, whatever the transport. */
export interface Context extends RequestContext {
  /** The name of the operation being run. */
  operation: string
}

export function clientIp(headers: Headers): string | undefined {
  const forwarded = headers.get('x-forwarded-for')?.split(',')[0]?.trim()
  return forwarded || headers.get('x-real-ip') || undefined
}

export function parseCookieHeader(header: string | null): CookieReader {
  const jar = new Map<string, string>()
  for (const pair of (header ?? '').split(';')) {
    const at = pair.indexOf('=')
    if (at < 1) continue
    const name = pair.slice(0, at).trim()
    const raw = pair.slice(at + 1).trim()
    try {
      jar.set(name, decodeURIComponent(raw))
    } catch {
      jar.set(name, raw)
    }
  }
  return { get: (name) => jar.get(name) }
}
