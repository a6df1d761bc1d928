'use server'

import { formAction } from 'actionroute'
import { uploadImage } from '../../lib/operations'

// The same operation through the action door: a small file, within Next's 1 MB Server Action limit.
export const uploadImageAction = formAction(uploadImage)
