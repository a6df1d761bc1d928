import type { NextConfig } from 'next'

// Nothing actionroute-specific: the package is plain ESM that Next bundles like any other dependency.
const nextConfig: NextConfig = {
  poweredByHeader: false,
  // The consumer test builds this app a second time, into another directory with another encryption key,
  // as "the next deploy" (other action ids): both builds live side by side and `next start` picks one.
  distDir: process.env.NEXT_DIST_DIR || '.next',
}

export default nextConfig
