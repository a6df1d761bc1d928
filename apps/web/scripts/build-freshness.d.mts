/** When the build in `distDir` was made (its BUILD_ID's mtime), or 0 when there is none. */
export function builtAt(distDir: string): number
/** True when `distDir` (absolute) holds a build newer than every source of the app in `appDir`. */
export function isFresh(appDir: string, distDir: string): boolean
