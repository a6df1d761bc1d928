// swagger-ui-dist ships no types; this is the one function the docs route uses (loaded at run time, see next.config.ts).
declare module 'swagger-ui-dist/absolute-path.js' {
  /** The directory holding swagger-ui-bundle.js and swagger-ui.css. */
  export default function getAbsoluteFSPath(): string
}
