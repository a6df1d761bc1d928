import { describe, expect, it } from 'vitest'
import { serverActionGuard } from './action-guard'

const guard = serverActionGuard({ bodyLimit: 1024, allowedOrigins: ['https://partner.example'] })
const OWN = 'http://app.test'

function call(body: string, headers: Record<string, string> = {}, path = '/') {
  return new Request(`${OWN}${path}`, {
    method: 'POST',
    body,
    headers: { host: 'app.test', 'next-action': '7f00', 'content-type': 'text/plain;charset=UTF-8', origin: OWN, ...headers },
  })
}
const answered = async (response: Response | undefined) => (response ? { status: response.status, type: response.headers.get('content-type'), text: await response.text() } : undefined)
const form = (fields: [string, string][]) => ({
  body: fields.map(([name, value]) => `--b\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`).join('') + '--b--\r\n',
  type: 'multipart/form-data; boundary=b',
})

describe('serverActionGuard()', () => {
  it('lets a well-formed call from its own origin (or a listed one, or none) through untouched', async () => {
    for (const origin of [OWN, 'https://partner.example']) expect(await guard(call('[null]', { origin }))).toBeUndefined()
    // Without Origin (not from a browser): Next lets it through too.
    expect(await guard(new Request(`${OWN}/`, { method: 'POST', body: '[null]', headers: { 'next-action': '7f00' } }))).toBeUndefined()
    const { body, type } = form([['_1_name', 'Ada'], ['0', '[{"status":"idle"},"$K1"]']])
    expect(await guard(call(body, { 'content-type': type }))).toBeUndefined()
  })

  it.each([
    ['another origin', call('[null]', { origin: 'https://evil.example' }), 403, 'This Server Action request comes from another origin.'],
    ['the same host on another scheme', call('[null]', { origin: 'https://app.test' }), 403, 'This Server Action request comes from another origin.'],
    ['an opaque origin', call('[null]', { origin: 'null' }), 403, 'This Server Action request comes from another origin.'],
    ['a declared body over the limit', call('[null]', { 'content-length': '2048' }), 413, 'The request body is larger than the limit of 1024 bytes.'],
    ['a sent body over the limit', call(`[${'0,'.repeat(600)}0]`), 413, 'The request body is larger than the limit of 1024 bytes.'],
    ['a text body that is not JSON', call('[zxc]'), 400, 'Row 0 is not valid JSON.'],
    ['arguments that are not an array', call('{"a":1}'), 400, 'The arguments are not a JSON array of at most 1000 items.'],
    ['multipart without row 0', call(form([['_1_name', 'x']]).body, { 'content-type': form([]).type }), 400, 'The arguments (row 0) are missing.'],
    ['multipart cut short', call('--b\r\nContent-Disposition: form-data; name="0"\r\n\r\n[]', { 'content-type': 'multipart/form-data; boundary=b' }), 400, 'The multipart body is malformed: it ends before its closing boundary.'],
  ])('refuses %s, where Next answers 500', async (_, request, status, text) => {
    expect(await answered(await guard(request))).toEqual({ status, type: 'text/plain; charset=utf-8', text: `${text}\n` })
  })

  it('checks a form posted without JavaScript (multipart, no Next-Action) for its framing, not for rows', async () => {
    const { body, type } = form([['$ACTION_ID_7f00', ''], ['name', 'Ada']])
    const headers = { 'content-type': type, origin: OWN, host: 'app.test' }
    expect(await guard(new Request(`${OWN}/`, { method: 'POST', body, headers }))).toBeUndefined()
    const bad = await guard(new Request(`${OWN}/`, { method: 'POST', body: body.replace('Ada', 'A\u00ff').replace('--b--', '--b-x'), headers }))
    expect(bad?.status).toBe(400)
  })

  it('leaves alone what is not a Server Action call: routes under /api/, other methods, plain posts', async () => {
    expect(await guard(call('[zxc]', { origin: 'https://evil.example' }, '/api/things'))).toBeUndefined()
    expect(await guard(new Request(`${OWN}/`, { headers: { 'next-action': '7f00', origin: 'https://evil.example' } }))).toBeUndefined()
    expect(await guard(new Request(`${OWN}/`, { method: 'POST', body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }))).toBeUndefined()
  })
})
