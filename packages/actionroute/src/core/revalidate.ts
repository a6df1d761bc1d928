import { revalidatePath, revalidateTag, updateTag } from '#next/cache'
import { unstable_rethrow } from '#next/navigation'
import type { Context } from './context'
import { unexpected } from './report'

/** What a successful call makes stale: cache tags and page paths. */
export interface RevalidateTargets {
  /** Cache tags, as given to `cacheTag()` / `fetch(..., { next: { tags } })`. */
  tags?: readonly string[]
  /** Page paths, as given to `revalidatePath()`: `/` or `/users/[id]` with its `type`. */
  paths?: readonly (string | { path: string; type: 'page' | 'layout' })[]
}

/** The targets, or a function of the operation's result that names them (`user:${data.id}`). */
// Method syntax, so an operation with a narrow output stays assignable to Operation<StandardSchemaV1, unknown>.
export type Revalidate<Output> = RevalidateTargets | { targets(data: Output): RevalidateTargets }['targets']

/**
 * Invalidates what `revalidate` names after a successful call, with the API each door allows:
 * the action door expires tags at once (`updateTag`), so the page it re-renders reads its own
 * write; the route door marks them stale (`revalidateTag(tag, 'max')`), as Next requires there.
 * Paths use `revalidatePath` on both. Outside the Next.js server (a test, a script) there is no
 * cache to invalidate, and nothing is done.
 */
export async function revalidateAfter<Output>(revalidate: Revalidate<Output>, data: Output, ctx: Pick<Context, 'operation' | 'door'>) {
  if (!process.env.NEXT_RUNTIME) return
  try {
    const { tags = [], paths = [] } = typeof revalidate === 'function' ? revalidate(data) : revalidate
    for (const tag of tags) {
      if (ctx.door === 'action') updateTag(tag)
      else revalidateTag(tag, 'max')
    }
    for (const path of paths) {
      if (typeof path === 'string') revalidatePath(path)
      else revalidatePath(path.path, path.type)
    }
  } catch (error) {
    // The operation did its work: answering an error would invite a duplicate retry. Log it, never throw it.
    unstable_rethrow(error)
    unexpected(error, { operation: `${ctx.operation} revalidate`, door: ctx.door })
  }
}
