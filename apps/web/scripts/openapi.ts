// npm run openapi:check — fails when the committed openapi.json differs from what the code describes,
// when it is not a valid OpenAPI 3.1 document, or when Redocly's `recommended` rules find anything.
// npm run openapi:write — rewrites it (and checks it the same way).
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { createConfig, lintFromString } from '@redocly/openapi-core'
import { Validator } from '@seriousme/openapi-schema-validator'

// The committed document describes the default configuration: writes rate-limited, no API keys.
delete process.env.RATE_LIMIT_WRITES
delete process.env.API_KEYS
const { openapiDocument } = await import('../server/api')

const file = path.join(import.meta.dirname, '..', 'openapi.json')
const current = `${JSON.stringify(openapiDocument, null, 2)}\n`
const failures: string[] = []

if (process.argv.includes('--write')) {
  writeFileSync(file, current)
  console.log(`Wrote ${path.relative(process.cwd(), file)}`)
} else {
  let committed = ''
  try {
    committed = readFileSync(file, 'utf8')
  } catch {}
  if (committed !== current) failures.push(`${file} is out of date with the operations. Run: npm run openapi:write`)
}

// The OpenAPI 3.1 schema itself (the OpenAPI Initiative's JSON Schema, via @seriousme/openapi-schema-validator).
const validation = await new Validator().validate(structuredClone(openapiDocument))
if (!validation.valid) failures.push(`Not a valid OpenAPI 3.1 document:\n${JSON.stringify(validation.errors, null, 2)}`)

// Redocly's `recommended` ruleset, every rule on: warnings fail too.
const problems = await lintFromString({ source: current, absoluteRef: file, config: await createConfig({ extends: ['recommended'] }) })
for (const problem of problems) {
  failures.push(`Redocly ${problem.severity} ${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer ?? '#'}`)
}

if (failures.length > 0) {
  for (const failure of failures) console.error(failure)
  process.exit(1)
}
console.log('openapi.json is up to date, valid OpenAPI 3.1, and clean under Redocly recommended')
