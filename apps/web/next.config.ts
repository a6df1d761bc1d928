import type { NextConfig } from 'next'

const nextConfig: NextConfig = {
  // PGlite ships wasm and data files: load it from node_modules instead of bundling (and publicly serving) them.
  serverExternalPackages: ['@electric-sql/pglite', 'swagger-ui-dist'],
  // Lets the e2e suite build into its own directory without touching the developer's .next.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  poweredByHeader: false,
  // actionroute is read as TypeScript source through tsconfig.json's paths, for fast development here;
  // the consumer test proves its built package in an app outside this repository.
}

export default nextConfig
