import { apiKeys, type Middleware } from 'actionroute'

/** The API keys from API_KEYS (comma-separated keys, or sha256:<hex> digests of them); none when unset. */
export function apiKeysFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.API_KEYS ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean)
}

const keys = apiKeysFromEnv()

/**
 * With API_KEYS set, the write routes ask for one of them in X-API-Key (401 without); the forms, on the
 * action door, keep working without. Unset, the API is open, as the canonical curl expects.
 */
export const requireApiKeyForWrites: Middleware[] = keys.length > 0 ? [apiKeys({ keys })] : []
