import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CsvParser, MAX_RECORD_BYTES, type CsvRecord } from './csv'

/** Parses `bytes` fed in pieces cut at `cuts`. */
function parse(bytes: Uint8Array, cuts: number[] = []): CsvRecord[] {
  const parser = new CsvParser()
  const at = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b)
  let records: CsvRecord[] = []
  let start = 0
  for (const end of [...at, bytes.length]) {
    records = records.concat(parser.push(bytes.subarray(start, end)))
    start = end
  }
  return records.concat(parser.end())
}
const text = (csv: string, cuts?: number[]) => parse(Buffer.from(csv), cuts)

/** A field as a spreadsheet writes it: quoted when it must be (or when `quote` says so), quotes doubled. */
const written = (field: string, quote: boolean) => (quote || /[",\r\n]/.test(field) || field === '' ? `"${field.replaceAll('"', '""')}"` : field)

describe('CsvParser', () => {
  it('reads back any table written as CSV, with any line endings, quoting and BOM, fed in pieces cut anywhere', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'é', '😀', ',', '"', '\n', '\r', ' ', '\0', 'x'), maxLength: 12 })
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.tuple(field, fc.boolean()), { minLength: 1, maxLength: 5 }), { maxLength: 20 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 8 }),
        (rows, eol, bom, lastBreak, cuts) => {
          // A record of one empty field would be a blank line, which is no record: quote it.
          const lines = rows.map((row) => row.map(([value, quote]) => written(value, quote || row.length === 1)).join(','))
          const csv = (bom ? '\uFEFF' : '') + lines.join(eol) + (lastBreak && lines.length > 0 ? eol : '')
          const records = text(csv, cuts)
          expect(records.map((record) => ('fields' in record ? record.fields : record.error))).toEqual(rows.map((row) => row.map(([value]) => value)))
          // Each record's line: one more than the line breaks before it, those inside quotes included.
          let line = 1
          rows.forEach((row, i) => {
            expect(records[i]!.line).toBe(line)
            line += 1 + row.reduce((breaks, [value]) => breaks + (value.match(/\r\n|\r|\n/g)?.length ?? 0), 0)
          })
        },
      ),
      { numRuns: 500 },
    )
  })

  it('skips blank lines, and reports a malformed record by its line while reading the rest', () => {
    const csv = 'name,email\n\nAda,ada@x.org\nBad "quote",b@x.org\r\n"Open",close"d\n"multi\nline",m@x.org\nLast,last@x.org'
    expect(text(csv)).toEqual([
      { line: 1, fields: ['name', 'email'] },
      { line: 3, fields: ['Ada', 'ada@x.org'] },
      { line: 4, error: 'a quote inside a field that does not start with one' },
      { line: 5, error: 'a quote inside a field that does not start with one' },
      { line: 6, fields: ['multi\nline', 'm@x.org'] },
      { line: 8, fields: ['Last', 'last@x.org'] },
    ])
    expect(text('"a"b,c\nok,1\n')).toEqual([
      { line: 1, error: 'text after a closing quote' },
      { line: 2, fields: ['ok', '1'] },
    ])
  })

  it('reports a quote left open at the end, whatever follows it', () => {
    expect(text('Ada,ada@x.org\n"Open,x\nmore,y\n')).toEqual([
      { line: 1, fields: ['Ada', 'ada@x.org'] },
      { line: 2, error: 'a quoted field is never closed' },
    ])
  })

  it('keeps NUL bytes as text for the checks after it, and reports bytes that are not UTF-8', () => {
    expect(parse(Buffer.from('a\0b,c\n\xff\xfe,d\nok,e\n', 'latin1'))).toEqual([
      { line: 1, fields: ['a\0b', 'c'] },
      { line: 2, error: 'not valid UTF-8' },
      { line: 3, fields: ['ok', 'e'] },
    ])
    // A UTF-8 character cut between two chunks is one character.
    expect(parse(Buffer.from('é,😀\n'), [1, 4])).toEqual([{ line: 1, fields: ['é', '😀'] }])
  })

  it('holds at most MAX_RECORD_BYTES of a record: a longer one, quoted or not, is reported and skipped', () => {
    const parser = new CsvParser()
    const piece = Buffer.alloc(1024 * 1024, 'x')
    const records: CsvRecord[] = [...parser.push(Buffer.from('first,1\n'))]
    // One 100 MB line, then a quoted field of 2 MB holding line breaks, then a good record.
    for (let i = 0; i < 100; i++) records.push(...parser.push(piece))
    records.push(...parser.push(Buffer.from('\n"')))
    for (let i = 0; i < 2; i++) records.push(...parser.push(Buffer.alloc(1024 * 1024, 'y\n')))
    records.push(...parser.push(Buffer.from('",2\nlast,3')), ...parser.end())
    expect(records).toEqual([
      { line: 1, fields: ['first', '1'] },
      { line: 2, error: `longer than ${MAX_RECORD_BYTES / 1024} KiB` },
      { line: 3, error: `longer than ${MAX_RECORD_BYTES / 1024} KiB` },
      { line: 4 + 1024 * 1024, fields: ['last', '3'] },
    ])
  })

  it('reports a record of more than 32 fields', () => {
    expect(text(`${'a,'.repeat(40)}a\nok\n`)).toEqual([
      { line: 1, error: 'more than 32 fields' },
      { line: 2, fields: ['ok'] },
    ])
  })

  it('reads in time linear in its input: 20× the bytes take about 20× as long, whatever their shape', () => {
    const shapes = ['a,b\n', '"a""b",c\r\n', '"', 'x', '\n', ',']
    for (const shape of shapes) {
      const time = (size: number) => {
        const bytes = Buffer.from(shape.repeat(size / shape.length))
        // As the import reads: 64 KiB at a time, each piece's records dropped (keeping them all would
        // time the collector's work on a growing heap, not the reader's).
        const parser = new CsvParser()
        const start = performance.now()
        for (let at = 0; at < bytes.length; at += 65_536) parser.push(bytes.subarray(at, at + 65_536))
        parser.end()
        return performance.now() - start
      }
      // Each the fastest of three, sizes large enough that a timer's noise is small beside them. 20× apart: linear is
      // 20, quadratic 400; the bound sits 4× from each.
      const fastest = (size: number) => Math.min(time(size), time(size), time(size))
      time(50_000)
      const small = fastest(200_000)
      const large = fastest(4_000_000)
      expect(large / small, shape).toBeLessThan(80)
    }
  })
})
