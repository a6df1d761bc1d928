// What crosses the wire when the page calls a door, captured in the browser itself: while `captureWire` runs,
// every `fetch` the page makes — its own call to the API route, and the one Next's router makes for a Server
// Action — goes through a wrapper that keeps a copy of the request and of the response as they were sent and
// received. The bytes shown are the bytes sent: the wrapper serializes the body once and sends that.

export type Door = 'action' | 'route'

/** Each door as the page names it. */
export const DOOR_TITLE: Record<Door, string> = { action: 'Server Action', route: 'API Route' }

export interface Exchange {
  door: Door
  method: string
  /** Path and query, as the page's origin sees them. */
  url: string
  /** The headers the page's request carries (the browser adds Origin, Cookie, User-Agent… on its way out). */
  requestHeaders: [string, string][]
  requestBody: string
  requestBytes: number
  status: number
  /** Every response header the page can read (all but Set-Cookie). */
  responseHeaders: [string, string][]
  responseBody: string
  /** The body after content decoding. */
  responseBytes: number
  /** performance.now() when fetch was called, when the response's headers came, when its body had all come. */
  sentAt: number
  headersAt: number
  answeredAt: number
}

const decoder = new TextDecoder()

/** A Server Action call is a POST with a Next-Action header, to the page's own URL. */
const doorOf = (request: Request): Door => (request.headers.has('next-action') ? 'action' : 'route')

function pathOf(url: string): string {
  const parsed = new URL(url, location.href)
  return parsed.origin === location.origin ? parsed.pathname + parsed.search : parsed.href
}

let capturing = false

/**
 * Runs `work` with every fetch recorded; resolves with its value and the exchanges, in the order the
 * requests were sent, once every response body has been read. One capture at a time.
 */
export async function captureWire<T>(work: () => Promise<T>): Promise<{ value: T; exchanges: Exchange[] }> {
  if (capturing) throw new Error('A capture is already running.')
  capturing = true
  const original = window.fetch
  const exchanges: Promise<Exchange>[] = []
  window.fetch = async (input, init) => {
    // The body is serialized once (a FormData gets its multipart boundary here) and those very bytes are sent.
    const request = new Request(input, init)
    const requestBody = await request.clone().arrayBuffer()
    const sentAt = performance.now()
    const response = await original(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.method === 'GET' || request.method === 'HEAD' ? {} : { body: requestBody }),
      credentials: request.credentials,
      cache: request.cache,
      redirect: request.redirect,
      referrerPolicy: request.referrerPolicy,
      signal: request.signal,
    })
    const headersAt = performance.now()
    const received = response.clone()
    exchanges.push(
      (async () => {
        const responseBody = await received.arrayBuffer()
        return {
          door: doorOf(request),
          method: request.method,
          url: pathOf(request.url),
          requestHeaders: [...request.headers],
          requestBody: decoder.decode(requestBody),
          requestBytes: requestBody.byteLength,
          status: response.status,
          responseHeaders: [...response.headers],
          responseBody: decoder.decode(responseBody),
          responseBytes: responseBody.byteLength,
          sentAt,
          headersAt,
          answeredAt: performance.now(),
        }
      })(),
    )
    return response
  }
  try {
    const value = await work()
    return { value, exchanges: (await Promise.all(exchanges)).sort((a, b) => a.sentAt - b.sentAt) }
  } finally {
    window.fetch = original
    capturing = false
  }
}
