// What `import 'actionroute'` resolves to in a browser bundle (the package's `browser` condition): Next's
// build refuses `server-only` in a client component's graph, naming the import. On the server (the
// `react-server` condition, Node, Vitest, a tsx script) the package resolves to its real entry, which no
// longer imports `server-only`, so a Node script or test runner can load your operations as they are.
import 'server-only'

export {}
