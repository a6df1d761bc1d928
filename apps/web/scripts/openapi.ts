// npm run openapi:check — fails when the committed openapi.json differs from what the code describes.
// npm run openapi:write — rewrites it.
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { openapiDocument } from '../server/api'

const file = path.join(import.meta.dirname, '..', 'openapi.json')
const current = `${JSON.stringify(openapiDocument, null, 2)}\n`

if (process.argv.includes('--write')) {
  writeFileSync(file, current)
  console.log(`Wrote ${path.relative(process.cwd(), file)}`)
} else {
  let committed = ''
  try {
    committed = readFileSync(file, 'utf8')
  } catch {}
  if (committed !== current) {
    console.error(`${file} is out of date with the operations. Run: npm run openapi:write`)
    process.exit(1)
  }
  console.log('openapi.json is up to date')
}
