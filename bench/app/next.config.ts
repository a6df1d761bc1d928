import type { NextConfig } from 'next'

// The benchmark app's build: no gzip (it would dominate the measurement), library consumed as TS source.
const nextConfig: NextConfig = {
  compress: false,
  poweredByHeader: false,
  transpilePackages: ['actionroute'],
}

export default nextConfig
