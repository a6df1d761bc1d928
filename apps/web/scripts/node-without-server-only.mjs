// For Node scripts (tsx) that import server code: `server-only` guards client bundles and throws
// anywhere else, so outside Next it resolves to an empty module. Next itself still sees the real one.
import { register } from 'node:module'

register(
  'data:text/javascript,' +
    encodeURIComponent(`export async function resolve(specifier, context, next) {
      if (specifier === 'server-only') return { url: 'data:text/javascript,export {}', shortCircuit: true }
      return next(specifier, context)
    }`),
)
