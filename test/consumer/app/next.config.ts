import type { NextConfig } from 'next'

// Nothing actionroute-specific: the package is plain ESM that Next bundles like any other dependency.
const nextConfig: NextConfig = {
  poweredByHeader: false,
}

export default nextConfig
