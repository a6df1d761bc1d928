import { isUtf8 } from 'node:buffer'

// A streaming CSV reader (RFC 4180, as spreadsheets write it): bytes in, records out, one pass over each byte, at
// most MAX_RECORD_BYTES held. A malformed record is reported by its line and skipped; the next one is read as usual.
// Written here rather than taken from csv-parse: an import needs every bad record reported by its line and the
// good ones kept, and a bound on a record that also holds inside an unclosed quote; csv-parse stops at the first
// such error (or skips without saying where), and papaparse reads strings, not bytes.

/** The longest record kept, in bytes; a longer one is reported and skipped, whatever its length. */
export const MAX_RECORD_BYTES = 64 * 1024
/** Most fields in a record; a record with more is reported. */
export const MAX_FIELDS = 32

/** A record: its fields, or why it was skipped (`'text after a closing quote'`). `line` is the line it starts on, from 1. */
export type CsvRecord = { line: number; fields: string[] } | { line: number; error: string }

const QUOTE = 0x22
const COMMA = 0x2c
const CR = 0x0d
const LF = 0x0a
const BOM = [0xef, 0xbb, 0xbf]

const enum State {
  /** At the start of a field. */
  FieldStart,
  /** In a field without quotes. */
  Plain,
  /** In a quoted field. */
  Quoted,
  /** A quote in a quoted field: the field's end, or the first of `""`. */
  QuoteInQuoted,
  /** After a malformed record's error: everything up to the next line break is dropped. */
  Skip,
}

export class CsvParser {
  #state = State.FieldStart
  /** The record's bytes, fields one after another; `#ends` marks where each field ends. */
  readonly #bytes = Buffer.allocUnsafe(MAX_RECORD_BYTES)
  #length = 0
  #ends: number[] = []
  #tooLong = false
  #error: string | undefined
  /** The line the current record starts on, and the line being read. */
  #recordLine = 1
  #line = 1
  /** The last byte was a CR that ended a line: an LF right after it is the same line break. */
  #afterCr = false
  /** Bytes of a BOM seen at the very start, or -1 once past it. */
  #bom = 0
  #records: CsvRecord[] = []

  /** The records that end in `chunk` (with what came before). */
  push(chunk: Uint8Array): CsvRecord[] {
    let at = 0
    // A UTF-8 BOM at the start of the file (Excel writes one) is not part of the first field; it may come split.
    while (this.#bom >= 0 && at < chunk.length) {
      if (chunk[at] === BOM[this.#bom]) {
        at++
        if (++this.#bom === BOM.length) this.#bom = -1
      } else {
        // Not a BOM after all: its bytes so far are the field's.
        for (let i = 0; i < this.#bom; i++) this.#byte(BOM[i]!)
        this.#bom = -1
      }
    }
    const n = chunk.length
    while (at < n) {
      const state = this.#state
      // Runs of ordinary bytes are kept (or skipped) in one copy; the byte that ends a run goes through #byte.
      if (!this.#afterCr) {
        let end = at
        if (state === State.Plain || state === State.FieldStart) {
          for (let byte = chunk[end]; end < n && byte !== COMMA && byte !== CR && byte !== LF && byte !== QUOTE; byte = chunk[++end]);
        } else if (state === State.Quoted) {
          for (let byte = chunk[end]; end < n && byte !== QUOTE && byte !== CR && byte !== LF; byte = chunk[++end]);
        } else if (state === State.Skip) {
          for (let byte = chunk[end]; end < n && byte !== CR && byte !== LF; byte = chunk[++end]);
          at = end
          if (at < n) this.#byte(chunk[at++]!)
          continue
        }
        if (end > at) {
          this.#keepRun(chunk, at, end)
          if (state === State.FieldStart) this.#state = State.Plain
          at = end
          continue
        }
      }
      this.#byte(chunk[at++]!)
    }
    return this.#take()
  }

  /** Ordinary bytes of a field, `chunk[start..end)`: kept up to MAX_RECORD_BYTES. */
  #keepRun(chunk: Uint8Array, start: number, end: number): void {
    const room = MAX_RECORD_BYTES - this.#length
    if (end - start > room) {
      this.#tooLong = true
      end = start + room
    }
    const bytes = this.#bytes
    let length = this.#length
    // A copy byte by byte beats making a view for the short runs a CSV is made of (Buffer#subarray costs ~1 µs).
    if (end - start < 64) for (let i = start; i < end; i++) bytes[length++] = chunk[i]!
    else {
      bytes.set(new Uint8Array(chunk.buffer, chunk.byteOffset + start, end - start), length)
      length += end - start
    }
    this.#length = length
  }

  /** The input has ended: the last record, if it had no line break after it. */
  end(): CsvRecord[] {
    if (this.#bom > 0) for (let i = 0, n = this.#bom; i < n; i++) this.#byte(BOM[i]!)
    this.#bom = -1
    if (this.#state === State.Quoted) {
      this.#fail('a quoted field is never closed')
      this.#emit()
    } else if (this.#state !== State.FieldStart || this.#ends.length > 0) {
      this.#endRecord()
    }
    return this.#take()
  }

  #take(): CsvRecord[] {
    const records = this.#records
    this.#records = []
    return records
  }

  #byte(byte: number): void {
    if (this.#afterCr) {
      this.#afterCr = false
      // CR LF is one line break: outside quotes the LF adds nothing; inside, it is the field's, on the same line.
      if (byte === LF) {
        if (this.#state === State.Quoted) this.#keep(byte)
        return
      }
    }
    switch (this.#state) {
      case State.FieldStart:
        if (byte === QUOTE) this.#state = State.Quoted
        else if (byte === COMMA) this.#endField()
        else if (byte === CR || byte === LF) this.#lineBreak(byte, true)
        else {
          this.#keep(byte)
          this.#state = State.Plain
        }
        return
      case State.Plain:
        if (byte === COMMA) {
          this.#endField()
          this.#state = State.FieldStart
        } else if (byte === CR || byte === LF) this.#lineBreak(byte, true)
        else if (byte === QUOTE) this.#fail('a quote inside a field that does not start with one')
        else this.#keep(byte)
        return
      case State.Quoted:
        if (byte === QUOTE) this.#state = State.QuoteInQuoted
        else {
          // A line break inside quotes is part of the field, but still a line of the file.
          if (byte === LF || byte === CR) this.#newLine(byte)
          this.#keep(byte)
        }
        return
      case State.QuoteInQuoted:
        if (byte === QUOTE) {
          this.#keep(QUOTE)
          this.#state = State.Quoted
        } else if (byte === COMMA) {
          this.#endField()
          this.#state = State.FieldStart
        } else if (byte === CR || byte === LF) this.#lineBreak(byte, true)
        else this.#fail('text after a closing quote')
        return
      case State.Skip:
        if (byte === CR || byte === LF) this.#lineBreak(byte, false)
        return
    }
  }

  #keep(byte: number): void {
    if (this.#length < MAX_RECORD_BYTES) this.#bytes[this.#length++] = byte
    else this.#tooLong = true
  }

  #endField(): void {
    if (this.#ends.length < MAX_FIELDS) this.#ends.push(this.#length)
    else this.#fail(`more than ${MAX_FIELDS} fields`)
  }

  #fail(reason: string): void {
    this.#error ??= reason
    this.#state = State.Skip
  }

  #newLine(byte: number): void {
    this.#line++
    this.#afterCr = byte === CR
  }

  /** A line break outside quotes: the record ends (a blank line is no record). */
  #lineBreak(byte: number, fieldEnds: boolean): void {
    const blank = this.#state === State.FieldStart && this.#ends.length === 0 && this.#length === 0
    if (blank && !this.#error) this.#reset()
    else {
      if (fieldEnds) this.#endRecord()
      else this.#emit()
    }
    this.#newLine(byte)
    this.#recordLine = this.#line
  }

  #endRecord(): void {
    if (this.#state !== State.Skip) this.#endField()
    this.#emit()
  }

  #emit(): void {
    const line = this.#recordLine
    if (this.#error) this.#records.push({ line, error: this.#error })
    else if (this.#tooLong) this.#records.push({ line, error: `longer than ${MAX_RECORD_BYTES / 1024} KiB` })
    else {
      const fields: string[] = []
      let start = 0
      for (const end of this.#ends) {
        const text = this.#bytes.toString('utf8', start, end)
        // Bytes that are not UTF-8 decode to U+FFFD; so does a U+FFFD written as such, which is checked apart (rare).
        if (text.includes('\uFFFD') && !isUtf8(this.#bytes.subarray(start, end))) {
          this.#records.push({ line, error: 'not valid UTF-8' })
          return this.#reset()
        }
        fields.push(text)
        start = end
      }
      this.#records.push({ line, fields })
    }
    this.#reset()
  }

  #reset(): void {
    this.#state = State.FieldStart
    this.#length = 0
    this.#ends = []
    this.#tooLong = false
    this.#error = undefined
  }
}
