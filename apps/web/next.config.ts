import type { NextConfig } from 'next'

const nextConfig: NextConfig = {
  // PGlite ships wasm and data files: load it from node_modules instead of bundling (and publicly serving) them.
  serverExternalPackages: ['@electric-sql/pglite', 'swagger-ui-dist'],
  // Lets the e2e suite build into its own directory without touching the developer's .next.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  poweredByHeader: false,
  // The library is consumed as TypeScript source from the workspace.
  transpilePackages: ['actionroute'],
}

export default nextConfig
