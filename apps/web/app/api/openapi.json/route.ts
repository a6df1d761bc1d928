import { openapiDocument } from '@/server/api'

export const GET = () => Response.json(openapiDocument)
