import { apiReference } from 'actionroute/reference'
import { openapiDocument } from '@/server/api'

export const GET = apiReference(openapiDocument, { title: 'User Directory API reference' })
