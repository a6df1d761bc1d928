import { readFile } from 'node:fs/promises'
import path from 'node:path'
import swaggerUiDir from 'swagger-ui-dist/absolute-path.js'

// Swagger UI's files, straight from the swagger-ui-dist package, plus the few lines that start it.
const FILES: Record<string, string> = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
}
const INIT = `window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#reference', deepLinking: true, tryItOutEnabled: true })`

export async function GET(_request: Request, { params }: RouteContext<'/api/docs/[asset]'>) {
  const { asset } = await params
  const cache = { 'cache-control': 'public, max-age=86400' }
  if (asset === 'init.js') return new Response(INIT, { headers: { 'content-type': FILES['swagger-ui-bundle.js']!, ...cache } })
  const type = FILES[asset]
  if (!type) return new Response('Not found', { status: 404 })
  const body = await readFile(path.join(swaggerUiDir(), asset))
  return new Response(body, { headers: { 'content-type': type, ...cache } })
}
