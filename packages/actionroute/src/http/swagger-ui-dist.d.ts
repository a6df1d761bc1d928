// swagger-ui-dist ships no types; this is the one function actionroute/reference uses (loaded from node_modules at run time).
declare module 'swagger-ui-dist/absolute-path.js' {
  /** The directory holding swagger-ui-bundle.js and swagger-ui.css. */
  export default function getAbsoluteFSPath(): string
}
