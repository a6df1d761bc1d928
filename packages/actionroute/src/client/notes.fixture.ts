import { z } from 'zod'
import { defineErrors, operation, type HttpMethod, type Routes } from '../index'

export interface Note {
  id: string
  text: string
  at: Date
}

/** The notes API the client tests call: operations over an in-memory map, starting with `initial`. */
export function notesApi(initial: Note[] = []) {
  const errors = defineErrors({ NOT_FOUND: { status: 404, message: 'No such note.' } })
  const notes = new Map(initial.map((note) => [note.id, note]))
  const addNote = operation({
    name: 'addNote',
    input: z.object({ text: z.string().min(1, 'Write something') }),
    handler: ({ text }) => {
      const note = { id: String(notes.size + 1), text, at: new Date('2026-01-02T03:04:05Z') }
      notes.set(note.id, note)
      return note
    },
    http: { status: 201 },
  })
  const getNote = operation({
    name: 'getNote',
    input: z.object({ id: z.string() }),
    errors,
    handler: ({ id }) => {
      const note = notes.get(id)
      if (!note) throw errors.NOT_FOUND()
      return note
    },
  })
  const listNotes = operation({
    name: 'listNotes',
    input: z.object({ q: z.string().optional(), limit: z.number().int().default(10) }),
    handler: ({ q, limit }) => ({ notes: [...notes.values()].filter((note) => !q || note.text.includes(q)).slice(0, limit) }),
  })
  const deleteNote = operation({ name: 'deleteNote', input: z.object({ id: z.string() }), handler: ({ id }) => void notes.delete(id), http: { status: 204 } })
  return { addNote, getNote, listNotes, deleteNote }
}

/** A fetch that goes straight to the route handlers (real HTTP semantics, no server), keeping each request in `seen`. */
export function inProcessFetch(handlers: Routes, seen: Request[]) {
  return async (request: Request) => {
    seen.push(request.clone())
    return handlers[request.method as HttpMethod](request, { params: Promise.resolve({}) })
  }
}
