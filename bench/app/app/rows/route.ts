import { countUsers, deleteUsers } from '@/lib/db'

// The benchmark's own door to the table, on either database: the rows stored (checked against the 2xx count
// after every round) and emptying it between rounds. PGlite lives in this process, so the harness cannot reach it.
export async function GET() {
  return Response.json({ rows: await countUsers() })
}

export async function DELETE() {
  await deleteUsers()
  return new Response(null, { status: 204 })
}
