// Side effects only: `node --import actionroute/register`.
export {}
