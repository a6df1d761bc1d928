import { onError } from '@orpc/server'
import { OpenAPIHandler } from '@orpc/openapi/fetch'
import { router } from '@/lib/orpc'

// The oRPC variant: its OpenAPIHandler mounted in a Route Handler, as oRPC's Next.js adapter docs show it.
const handler = new OpenAPIHandler(router, {
  interceptors: [onError((error) => console.error(error))],
})

async function handleRequest(request: Request) {
  const { response } = await handler.handle(request, { prefix: '/orpc', context: {} })
  return response ?? new Response('Not found', { status: 404 })
}

export const POST = handleRequest
