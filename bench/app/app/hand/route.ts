import { NextResponse } from 'next/server'
import { insertUser } from '@/lib/db'
import { checkNewUser } from '@/lib/new-user'

// Variant (a): the add-user route handler written by hand, in the plain Next.js style.
export async function POST(request: Request) {
  let body: unknown
  try {
    body = await request.json()
  } catch {
    return NextResponse.json({ error: 'The request body is not valid JSON.' }, { status: 400 })
  }
  const checked = checkNewUser(body)
  if (!checked.ok) return NextResponse.json({ errors: checked.errors }, { status: 422 })
  const user = await insertUser(checked.value)
  return NextResponse.json({ message: `User ${user.name} added via API route`, user }, { status: 201 })
}
