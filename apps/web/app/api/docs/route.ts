// The interactive API reference: Swagger UI, served from this app (no CDN), reading /api/openapi.json.
const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>User Directory API reference</title>
  <link rel="icon" href="/icon.svg">
  <link rel="stylesheet" href="/api/docs/swagger-ui.css">
  <style>body { margin: 0 } .topbar { display: none }</style>
</head>
<body>
  <div id="reference"></div>
  <script src="/api/docs/swagger-ui-bundle.js"></script>
  <script src="/api/docs/init.js"></script>
</body>
</html>`

export const GET = () => new Response(page, { headers: { 'content-type': 'text/html; charset=utf-8' } })
