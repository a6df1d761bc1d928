// Talking to the server directly over HTTP (Node's fetch): seeding data and checking what the API says.

export interface ApiUser {
  id: string
  name: string
  email: string | null
  door: 'action' | 'route'
  createdAt: string
  updatedAt: string
}

export interface JsonResponse<Body = unknown> {
  status: number
  headers: Headers
  body: Body
}

/** Sends a request with an optional JSON body and reads the JSON answer (null when there is none). */
export async function requestJson<Body = unknown>(url: string, init: { method?: string; json?: unknown } = {}): Promise<JsonResponse<Body>> {
  const response = await fetch(url, {
    method: init.method ?? (init.json === undefined ? 'GET' : 'POST'),
    headers: { accept: 'application/json', ...(init.json === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  })
  const text = await response.text()
  let body: unknown = null
  if (text) {
    try {
      body = JSON.parse(text)
    } catch {
      body = text
    }
  }
  return { status: response.status, headers: response.headers, body: body as Body }
}

/** Adds a user through POST /api/users and returns it; fails loudly unless the API answers 201. */
export async function seedUser(baseUrl: string, input: { name: string; email?: string }): Promise<ApiUser> {
  const response = await requestJson<{ user: ApiUser }>(`${baseUrl}/api/users`, { json: input })
  if (response.status !== 201) {
    throw new Error(`Seeding ${JSON.stringify(input)} failed: POST /api/users answered ${response.status} ${JSON.stringify(response.body)}`)
  }
  return response.body.user
}

/** Seeds users one after another, so they are created in this order (newest last). */
export async function seedUsers(baseUrl: string, inputs: { name: string; email?: string }[]): Promise<ApiUser[]> {
  const users: ApiUser[] = []
  for (const input of inputs) users.push(await seedUser(baseUrl, input))
  return users
}

/** The order the app lists users in: newest first, ties broken by id (as the keyset pagination does). */
export function newestFirst(users: ApiUser[]): ApiUser[] {
  const key = (user: ApiUser) => `${new Date(user.createdAt).toISOString()} ${user.id}`
  return [...users].sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0))
}
