// The reader's own modules, which the package README's samples import with a `// yours` comment: the smallest
// code with the shapes the samples assume. The README test writes them before the samples (which may not
// replace them), so that every sample compiles as shown.

export const YOURS: Record<string, string> = {
  'server/db.ts': `
export interface Todo { id: string; title: string }
export const db = {
  async todoExists(title: string): Promise<boolean> { return title === '' },
  async insertTodo(todo: { title: string; tags: string[]; ip: string | undefined }): Promise<Todo> { return { id: '1', title: todo.title } },
  async listTodos(query: { q?: string; limit: number }): Promise<Todo[]> { return query.limit > 0 ? [] : [] },
  async archiveTodo(id: string): Promise<{ id: string; archived: true }> { return { id, archived: true } },
  async deleteAllTodos(): Promise<void> {},
  async saveAttachment(todoId: string, file: { type: string; bytes: Uint8Array }): Promise<void> { if (!todoId || !file.type) throw new Error('no') },
  async attachmentOf(todoId: string): Promise<Blob | null> { return todoId ? new Blob([]) : null },
}
/** A pg.Pool in an app: anything with pg's query(text, params). */
export const pool = { query: async (text: string, params: unknown[]) => ({ rows: [text, ...params] }) }
`,
  'server/session.ts': `
export interface User { id: string; name: string }
export async function userFromSession(token: string | undefined): Promise<User | undefined> {
  return token ? { id: token, name: 'Ada' } : undefined
}
`,
  'server/settings.ts': `
/** Your settings, read from the environment and checked once, at start-up: API_KEYS, split at commas. */
export const settings = { apiKeys: ['readme-api-key-0123456789'] }
`,
  'server/monitoring.ts': `
export function reportToMonitoring(error: unknown, tags: Record<string, string>): void {
  console.error(error, tags)
}
`,
  'test/empty-module.ts': 'export {}\n',
}
