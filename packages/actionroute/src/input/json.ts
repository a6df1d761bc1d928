import { OperationError } from '../core/errors'

/** Bounds on a JSON body, checked in one pass over its text before it is parsed; each is a 400 past its limit. */
export interface JsonLimits {
  /** Deepest nesting of arrays and objects. Default 64: deeper input could overflow a recursive validator's stack. */
  maxDepth: number
  /** Most keys in one object. Default 1,000: parsing and copying 100,000 keys takes ~150 ms of CPU. */
  maxKeys: number
}

export const DEFAULT_JSON_LIMITS: Readonly<JsonLimits> = Object.freeze({ maxDepth: 64, maxKeys: 1_000 })

const OPEN_OBJECT = 0x7b
const OPEN_ARRAY = 0x5b
const CLOSERS = new Set([0x7d, 0x5d])
const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c

/**
 * Refuses JSON text nested deeper than `maxDepth` or holding an object with more than `maxKeys`
 * keys, in one pass that stops at the first breach. Strings are skipped; the text is not validated
 * (JSON.parse does that next), so malformed input only has to be bounded, not understood.
 */
export function checkJsonShape(text: string, limits: Partial<JsonLimits> = DEFAULT_JSON_LIMITS): void {
  const { maxDepth, maxKeys } = { ...DEFAULT_JSON_LIMITS, ...limits }
  // Per open container: the commas seen so far in an object, or -1 for an array.
  const commas: number[] = []
  let inString = false
  for (let at = 0; at < text.length; at++) {
    const char = text.charCodeAt(at)
    if (inString) {
      if (char === BACKSLASH) at++
      else if (char === QUOTE) inString = false
    } else if (char === QUOTE) {
      inString = true
    } else if (char === OPEN_OBJECT || char === OPEN_ARRAY) {
      if (commas.push(char === OPEN_OBJECT ? 0 : -1) > maxDepth) {
        throw new OperationError('BAD_REQUEST', `The JSON body nests arrays and objects more than ${maxDepth} levels deep.`)
      }
    } else if (CLOSERS.has(char)) {
      commas.pop()
    } else if (char === COMMA && commas.length > 0 && commas[commas.length - 1]! >= 0) {
      if (++commas[commas.length - 1]! >= maxKeys) {
        throw new OperationError('BAD_REQUEST', `A JSON object in the body has more than ${maxKeys} keys.`)
      }
    }
  }
}
