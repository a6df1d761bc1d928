import { route } from 'actionroute'
import { addUser } from '@/lib/add-user'

// Variant (b): the same add-user work served by actionroute's route(), validated by a zod 4 schema.
export const POST = route(addUser)
