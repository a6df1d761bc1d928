import { NextResponse } from 'next/server'
import { z } from 'zod'
import { insertUser } from '@/lib/db'
import { newUserInput } from '@/lib/new-user'

// Variant (a): the add-user route handler written by hand, in the plain Next.js style.
export async function POST(request: Request) {
  let body: unknown
  try {
    body = await request.json()
  } catch {
    return NextResponse.json({ error: 'The request body is not valid JSON.' }, { status: 400 })
  }
  // Validate the body
  const parsed = newUserInput.safeParse(body)
  if (!parsed.success) return NextResponse.json({ errors: z.flattenError(parsed.error).fieldErrors }, { status: 422 })
  const user = await insertUser(parsed.data)
  return NextResponse.json({ message: `User ${user.name} added via API route`, user }, { status: 201 })
}
