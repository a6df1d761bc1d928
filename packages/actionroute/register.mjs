// `node --import actionroute/register --import tsx script.ts`: lets a Node script import your operations (to
// write openapi.json, seed, run a one-off job). actionroute imports `server-only`, which guards client bundles and
// throws anywhere but a React Server build; here it resolves to its own empty module, for ES modules and for
// CommonJS (tsx runs .ts files as CommonJS in a package without "type": "module"). Only a process started with
// this flag is affected: Next's builds never load it, so the guard holds in the app.
import Module, { register } from 'node:module'
import path from 'node:path'

register(
  'data:text/javascript,' +
    encodeURIComponent(`export async function resolve(specifier, context, next) {
      if (specifier === 'server-only') return { url: 'data:text/javascript,export {}', shortCircuit: true }
      return next(specifier, context)
    }`),
)

const resolveFilename = Module._resolveFilename
Module._resolveFilename = function resolveServerOnly(request, ...rest) {
  const resolved = resolveFilename.call(this, request, ...rest)
  return request === 'server-only' ? path.join(path.dirname(resolved), 'empty.js') : resolved
}
