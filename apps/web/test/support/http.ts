import type { RouteHandler } from 'actionroute'

export interface RequestSpec {
  method?: string
  path?: string
  /** Sent as application/json. */
  json?: unknown
  /** Sent as is, with `headers` deciding its type. */
  body?: BodyInit
  headers?: Record<string, string>
  params?: Record<string, string>
}

export interface Answer {
  status: number
  headers: Headers
  body: unknown
}

/** Calls a route handler in-process the way Next does, and reads the answer. */
export async function call(handler: RouteHandler, spec: RequestSpec = {}): Promise<Answer> {
  const headers = new Headers(spec.headers)
  let body = spec.body
  if (spec.json !== undefined) {
    body = JSON.stringify(spec.json)
    if (!headers.has('content-type')) headers.set('content-type', 'application/json')
  }
  const request = new Request(`http://localhost${spec.path ?? '/'}`, { method: spec.method ?? 'GET', headers, body })
  const response = await handler(request, { params: Promise.resolve(spec.params ?? {}) })
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null }
}
