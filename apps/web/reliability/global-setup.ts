import { build } from '../e2e/global-setup'
import { DIST_DIR, nextEnv } from '../e2e/paths'

// The e2e build in .next-e2e, as e2e/global-setup.ts makes it (E2E_SKIP_BUILD=1 reuses it); the
// reliability suite needs only that one, not the e2e suite's second build with another key.
export default async function setup(): Promise<void> {
  await build(DIST_DIR, nextEnv())
}
