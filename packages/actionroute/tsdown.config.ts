import { defineConfig } from 'tsdown'

// ESM with .d.ts and source maps, one file per entry point; dependencies and peers stay external.
export default defineConfig({
  entry: { index: 'src/index.ts', browser: 'src/browser.ts', client: 'src/client.ts', testing: 'src/testing.ts', reference: 'src/reference.ts', query: 'src/query.ts', react: 'src/react.ts' },
  format: 'esm',
  platform: 'node',
  target: 'node20',
  dts: true,
  sourcemap: true,
  clean: true,
  // Keep `next/navigation` as written: tsdown would rewrite it to `next/navigation.js`, which Turbopack's route-handler layer cannot bundle.
  deps: { neverBundle: [/^next\//, /^#next\//] },
})
