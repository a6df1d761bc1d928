import type { NextConfig } from 'next'

// The benchmark app's build: no gzip (it would dominate the measurement); actionroute is read as TS source (tsconfig paths).
const nextConfig: NextConfig = {
  compress: false,
  poweredByHeader: false,
}

export default nextConfig
