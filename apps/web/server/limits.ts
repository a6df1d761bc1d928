/**
 * The largest Server Action body this app accepts: 256 KB. Its forms carry a name and an email; a
 * bigger limit only lets a hostile body cost more to decode (a 1 MB one of 19,000 tiny parts costs
 * Next ~75 ms of CPU before any of our code runs). Read by next.config.ts and by proxy.ts, which
 * answers 413 above it (Next itself would answer 500).
 */
export const ACTION_BODY_LIMIT = 256 * 1024
