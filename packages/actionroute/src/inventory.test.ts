import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { action, apiKeys, authenticate, base, formAction, formatInventory, idempotency, inventory, memoryStore, operation, rateLimit } from './index'
import { expectAuthDecided, expectRefusedWithoutPrincipal } from './testing'

const KEY = 'inventory-key-0123456789'
const writes = base.use(rateLimit({ name: 'writes', limit: 5, window: 60, store: memoryStore() })).use(authenticate(apiKeys({ keys: [KEY] }))).use(idempotency())
const reads = base.public()
const addNote = writes.operation({ name: 'addNote', input: z.object({ text: z.string() }), handler: ({ text }) => ({ text }) })
const listNotes = reads.operation({ name: 'listNotes', input: z.object({}), handler: () => [] })
const forgotten = operation({ name: 'forgotten', input: z.object({}), handler: () => ({}) })

const paths = { '/api/notes': { GET: listNotes, POST: addNote } }
// As a 'use server' module's namespace would hold them, with something that is not an action beside them.
const actions = { addNoteAction: formAction(addNote), addNoteDirect: action(addNote), VERSION: 3 }

describe('inventory()', () => {
  it('lists every door of every operation with its auth decision, policies, body limit and CSRF guard', () => {
    const doors = inventory({ paths, actions, actionBodyLimit: 256 * 1024 })
    expect(doors).toEqual([
      { operation: 'listNotes', door: 'route', at: 'GET /api/notes', access: 'public', authenticatedBy: [], policies: [], bodyLimit: 0, fileLimit: 0, csrf: 'a read: none needed' },
      {
        operation: 'addNote',
        door: 'route',
        at: 'POST /api/notes',
        access: 'authenticated',
        authenticatedBy: ['ApiKey'],
        policies: ['rate limit: 5/60 s per client ("writes")', 'idempotency: replays for 24 h, per caller'],
        bodyLimit: 1024 * 1024,
        fileLimit: 0,
        csrf: 'cross-site forms refused (Origin, Sec-Fetch-Site)',
      },
      expect.objectContaining({ operation: 'addNote', door: 'action', at: 'addNoteAction (form)', access: 'authenticated', bodyLimit: 256 * 1024, csrf: "Next's Origin check" }),
      expect.objectContaining({ operation: 'addNote', door: 'action', at: 'addNoteDirect (direct)', access: 'authenticated' }),
    ])
  })

  it('counts the files a route door streams on top of its body limit, from the schema', () => {
    const attach = reads.operation({ name: 'attach', input: z.object({ note: z.string(), scans: z.array(z.file().max(2 * 1024 * 1024)).max(3) }), handler: () => ({}) })
    const [door] = inventory({ paths: { '/api/scans': { POST: attach } } })
    expect([door!.bodyLimit, door!.fileLimit]).toEqual([1024 * 1024, 6 * 1024 * 1024])
    expect(formatInventory([door!])).toContain('1 MB + 6 MB files')
  })

  it('prints as an aligned table', () => {
    const lines = formatInventory(inventory({ paths, actions })).split('\n')
    expect(lines[0]).toMatch(/^operation +door +at +auth +policies +body +csrf$/)
    expect(lines[3]).toMatch(/^addNote +route +POST \/api\/notes +authenticated \(ApiKey\) +rate limit: 5\/60 s per client/)
    // Every row's door sits under the header's "door".
    const column = lines[0]!.indexOf('door')
    for (const line of lines.slice(2)) expect(line.slice(column).split(' ')[0]).toMatch(/^(route|action)$/)
  })
})

describe('expectAuthDecided()', () => {
  it('passes when every exposed operation is public or authenticated', () => {
    expect(() => expectAuthDecided(inventory({ paths, actions }))).not.toThrow()
  })

  it('fails, naming each door, when an exposed operation has no auth decision', () => {
    const doors = inventory({ paths: { '/api/forgotten': { POST: forgotten } }, actions: { forgottenAction: formAction(forgotten) } })
    expect(() => expectAuthDecided(doors)).toThrow(/forgotten: route POST \/api\/forgotten\n {2}forgotten: action forgottenAction \(form\)/)
  })
})

describe('expectRefusedWithoutPrincipal()', () => {
  it('passes when both doors refuse an anonymous call with the same 401', async () => {
    await expectRefusedWithoutPrincipal(addNote, { text: 'hi' })
  })

  it('fails for an operation a caller with a key gets through, or one that is not authenticated', async () => {
    await expect(expectRefusedWithoutPrincipal(addNote, { text: 'hi' }, { headers: { 'x-api-key': KEY } })).rejects.toThrow(/expected 401 UNAUTHORIZED on both doors/)
    await expect(expectRefusedWithoutPrincipal(listNotes, {})).rejects.toThrow(/does not authenticate its callers: its access is public/)
  })
})
