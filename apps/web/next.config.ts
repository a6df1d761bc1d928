import type { NextConfig } from 'next'
import { ACTION_BODY_LIMIT } from './server/limits'

const nextConfig: NextConfig = {
  // PGlite ships wasm and data files: load it from node_modules instead of bundling (and publicly serving) them.
  serverExternalPackages: ['@electric-sql/pglite', 'swagger-ui-dist'],
  // Lets the e2e suite build into its own directory without touching the developer's .next.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  poweredByHeader: false,
  // On every answer. The HTML documents also get a Content-Security-Policy with a per-request nonce, from proxy.ts.
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
          { key: 'X-Frame-Options', value: 'DENY' },
        ],
      },
    ]
  },
  experimental: {
    // See server/limits.ts: proxy.ts answers 413 above it, before Next would answer 500.
    serverActions: { bodySizeLimit: ACTION_BODY_LIMIT },
    // proxy.ts reads Server Action bodies to refuse malformed ones, and Next keeps a copy of every body the
    // proxy sees, up to this size (10 MB by default). Twice the action limit: a body over the limit still
    // looks over it to the proxy (413), and the copy stays small.
    proxyClientMaxBodySize: 2 * ACTION_BODY_LIMIT,
  },
  // actionroute is read as TypeScript source through tsconfig.json's paths, for fast development here;
  // the consumer test proves its built package in an app outside this repository.
}

export default nextConfig
