import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { openapi, operation } from '../index'
import { apiReference } from './reference'

const ping = operation({ name: 'ping', input: z.object({}), handler: () => ({ pong: true }) })
const document = openapi({ info: { title: 'Ping <API>', version: '1' }, paths: { '/api/ping': { GET: ping } } })
const serve = apiReference(document)

async function get(path: string, asset?: string[]) {
  const response = await serve(new Request(`http://test${path}`), { params: Promise.resolve({ asset }) })
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() }
}

describe('apiReference()', () => {
  it('serves the page at its own path, pointing at files under it, with the title escaped', async () => {
    const page = await get('/api/docs')
    expect(page).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' })
    expect(page.text).toContain('<title>Ping &lt;API&gt; reference</title>')
    expect(page.text).toContain('<script src="/api/docs/swagger-ui-bundle.js"></script>')
    expect(page.text).toContain('<script src="/api/docs/init.js"></script>')
    expect(page.text).not.toMatch(/https?:\/\//)
  })

  it('serves the document, the start-up script and Swagger UI’s files from node_modules', async () => {
    expect(JSON.parse((await get('/api/docs/openapi.json', ['openapi.json'])).text)).toEqual(document)
    expect((await get('/api/docs/init.js', ['init.js'])).text).toContain('"/api/docs/openapi.json"')
    const css = await get('/api/docs/swagger-ui.css', ['swagger-ui.css'])
    expect(css).toMatchObject({ status: 200, type: 'text/css; charset=utf-8' })
    expect(css.text.length).toBeGreaterThan(10_000)
  })

  it('answers 404 for anything else, including paths that try to leave the directory', async () => {
    expect((await get('/api/docs/package.json', ['package.json'])).status).toBe(404)
    expect((await get('/api/docs/x', ['..', '..', 'package.json'])).status).toBe(404)
  })
})
