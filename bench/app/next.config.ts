import type { NextConfig } from 'next'

// The benchmark app's build: no gzip (it would dominate the measurement); actionroute is read as TS source
// (tsconfig paths); PGlite loads its WebAssembly and data files from node_modules, so it is not bundled.
const nextConfig: NextConfig = {
  compress: false,
  poweredByHeader: false,
  serverExternalPackages: ['@electric-sql/pglite'],
}

export default nextConfig
