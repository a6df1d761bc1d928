// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- swagger-ui-dist ships no types; the app type-checks this file from source too
/// <reference path="./swagger-ui-dist.d.ts" />
// An interactive API reference page (Swagger UI) served by the app itself, no CDN: actionroute/reference.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import swaggerUiDir from 'swagger-ui-dist/absolute-path.js'
import type { OpenApiDocument } from './openapi'
import type { RouteHandler } from './route'

export interface ApiReferenceOptions {
  /** The page's title; by default the document's `info.title`. */
  title?: string
}

const ASSETS: Record<string, string> = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
}
const CACHE = 'public, max-age=86400'

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!)

function page(base: string, title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)}</title>
  <link rel="stylesheet" href="${base}/swagger-ui.css">
  <style>${STYLE}</style>
</head>
<body>
  <div id="reference"></div>
  <script src="${base}/swagger-ui-bundle.js"></script>
  <script src="${base}/init.js"></script>
</body>
</html>`
}

// Swagger UI's own colours fail WCAG AA contrast (4.5:1) on its method badges, version badges, links and
// buttons: darker shades of the same hues. (What cannot be fixed from outside its markup is listed in the
// app's e2e/accessibility.test.ts.)
const STYLE = [
  'body { margin: 0 } .topbar { display: none }',
  '.swagger-ui .opblock.opblock-get .opblock-summary-method { background: #1f64b8 }',
  '.swagger-ui .opblock.opblock-post .opblock-summary-method { background: #17703f }',
  '.swagger-ui .opblock.opblock-put .opblock-summary-method { background: #9a5200 }',
  '.swagger-ui .opblock.opblock-patch .opblock-summary-method { background: #0b6e66 }',
  '.swagger-ui .opblock.opblock-delete .opblock-summary-method { background: #b42318 }',
  '.swagger-ui .info .title small, .swagger-ui .info .title small pre { background: #3b4151 }',
  '.swagger-ui .info .title small.version-stamp { background: #2f6b00 }',
  '.swagger-ui .info a, .swagger-ui .info .url, .swagger-ui .info .link { color: #1d4ed8 }',
  '.swagger-ui .parameter__in, .swagger-ui .parameter__type, .swagger-ui .prop-format { color: #4b5563 }',
  '.swagger-ui .btn.cancel { color: #b42318; border-color: #b42318 }',
  '.swagger-ui .btn.execute { background: #1f64b8; border-color: #1f64b8 }',
  '.swagger-ui .json-schema-2020-12-expand-deep-button { color: #4b5563 }',
  // Its examples' highlighter sets the background inline: only !important reaches it.
  '.swagger-ui .highlight-code .microlight { background: #111 !important }',
].join('\n')

// A file rather than an inline script, so a Content-Security-Policy without 'unsafe-inline' allows it.
const init = (base: string) =>
  `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(`${base}/openapi.json`)}, dom_id: '#reference', deepLinking: true, tryItOutEnabled: true, ` +
  // Swagger UI leaves its servers <select> without a name.
  `onComplete: () => document.querySelector('#servers')?.setAttribute('aria-label', 'Server') })`

/**
 * The API reference for `document` as one Route Handler, in an optional catch-all route:
 * `app/api/docs/[[...asset]]/route.ts` → `export const GET = apiReference(openapiDocument)`.
 * It serves the page at the route's own path, Swagger UI's files and the document under it.
 */
export function apiReference(document: OpenApiDocument, options: ApiReferenceOptions = {}): RouteHandler {
  const title = options.title ?? `${document.info.title} reference`
  const json = JSON.stringify(document)
  return async function serve(request, context) {
    const asset = (await context.params).asset
    const name = Array.isArray(asset) ? asset.join('/') : asset
    const pathname = new URL(request.url).pathname
    if (name === undefined) return new Response(page(pathname.replace(/\/$/, ''), title), { headers: { 'content-type': 'text/html; charset=utf-8' } })
    const base = pathname.slice(0, pathname.length - name.length - 1)
    if (name === 'openapi.json') return new Response(json, { headers: { 'content-type': 'application/json' } })
    if (name === 'init.js') return new Response(init(base), { headers: { 'content-type': ASSETS['swagger-ui-bundle.js']!, 'cache-control': CACHE } })
    const type = ASSETS[name]
    if (!type) return new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } })
    const body = await readFile(path.join(swaggerUiDir(), name))
    return new Response(body, { headers: { 'content-type': type, 'cache-control': CACHE } })
  }
}
