/**
 * How many entries from the right of X-Forwarded-For the client's address is: 1 for the entry
 * scripts/server.mjs appends (the address of the connection), plus TRUSTED_PROXIES, the number of
 * proxies of yours in front of the app that each append theirs (0 by default: clients connect directly).
 */
export function trustedHops(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.TRUSTED_PROXIES ?? '0'
  if (!/^\d{1,2}$/.test(text)) throw new Error(`TRUSTED_PROXIES must be the number of proxies in front of the app (0 when none), not "${text}".`)
  return 1 + Number(text)
}
