// Reading a streaming operation's server-sent events on the client: the WHATWG event-stream parser, bounded, and
// the items it carries, resumed with Last-Event-ID after a dropped connection.
import type { ClientProblem } from './fetch-client'

/** One server-sent event as the WHATWG parser dispatches it. */
export interface ServerSentEvent {
  event: string
  data: string
  /** The last event id seen so far (ids carry over to later events, as EventSource keeps them). */
  id: string | undefined
  /** The last `retry:` the server asked for, in ms, if it has (it carries over, as ids do). */
  retry?: number
}

/** A stream that ended with the server's `event: error`, or could not be resumed: the problem, typed as the call's. */
export class StreamProblem<Code extends string = string> extends Error {
  override readonly name = 'StreamProblem'
  constructor(readonly problem: ClientProblem<Code>) {
    super(problem.detail)
  }
}

/** Longest event a client holds, in UTF-16 code units: a server that never ends a line cannot fill its memory. */
export const MAX_EVENT_LENGTH = 8 * 1024 * 1024

/**
 * The events of a `text/event-stream` body, parsed as the WHATWG HTML standard says (lines end with CRLF, LF or
 * CR; `data` lines are joined with LF; comments and unknown fields are ignored; an event is dispatched at a blank
 * line). Linear in its input: each character is looked at once. Throws past `maxEventLength`.
 */
export async function* readEvents(body: ReadableStream<Uint8Array>, maxEventLength = MAX_EVENT_LENGTH): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder()
  // The start of a line not yet ended, in the pieces it came in: joined once, when its end comes.
  let partial: string[] = []
  let partialLength = 0
  let skipLineFeed = false
  let event = ''
  let data: string[] = []
  let dataLength = 0
  let id: string | undefined
  let retry: number | undefined
  const reader = body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      const text = done ? decoder.decode() : decoder.decode(value, { stream: true })
      let start = 0
      for (let at = 0; at < text.length; at++) {
        const char = text.charCodeAt(at)
        if (char !== 10 && char !== 13) continue
        if (skipLineFeed && char === 10 && at === 0) {
          // The LF of a CRLF split across chunks.
          skipLineFeed = false
          start = 1
          continue
        }
        skipLineFeed = false
        const line = partialLength === 0 ? text.slice(start, at) : partial.join('') + text.slice(start, at)
        partial = []
        partialLength = 0
        if (char === 13) {
          if (text.charCodeAt(at + 1) === 10) at++
          else if (at + 1 === text.length) skipLineFeed = true
        }
        start = at + 1
        if (line === '') {
          if (data.length > 0) yield { event: event || 'message', data: data.join('\n'), id, ...(retry === undefined ? {} : { retry }) }
          event = ''
          data = []
          dataLength = 0
          continue
        }
        if (line.charCodeAt(0) === 58) continue // a comment (": keep-alive")
        const colon = line.indexOf(':')
        const name = colon === -1 ? line : line.slice(0, colon)
        const fieldValue = colon === -1 ? '' : line.slice(colon + (line.charCodeAt(colon + 1) === 32 ? 2 : 1))
        if (name === 'data') {
          data.push(fieldValue)
          dataLength += fieldValue.length + 1
          if (dataLength > maxEventLength) throw new RangeError(`An event is longer than ${maxEventLength} characters.`)
        } else if (name === 'event') event = fieldValue
        else if (name === 'id' && !fieldValue.includes('\0')) id = fieldValue
        else if (name === 'retry' && /^\d+$/.test(fieldValue)) retry = Number(fieldValue)
      }
      if (start < text.length) {
        partial.push(text.slice(start))
        partialLength += text.length - start
        if (partialLength > maxEventLength) throw new RangeError(`A line is longer than ${maxEventLength} characters.`)
      }
      if (done) return
    }
  } finally {
    reader.cancel().catch(() => {})
  }
}
