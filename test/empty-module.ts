// Stands in for `server-only` under Vitest: Node has no client bundle to guard.
export {}
