import { OperationError } from '../core/errors'
import { acceptsType, fileTooLarge, fileTypeRefused, SNIFF_BYTES, sniffType, type FileRule } from './files'
import { stopReading } from './multipart'
import type { FileSink, FileTarget } from './upload'

/**
 * A body that *is* a file (`Content-Type: text/csv`, the CSV itself), for an operation whose `http.fileBody` names
 * the file field it fills: streamed into the sink as that field's file, checked against the field's rule while it
 * arrives, as a multipart file is: 413 past its size (declared or streamed), 415 for a type it does not take, claimed
 * (its Content-Type) or read from its bytes. On any failure, and when the client goes away, the sink is
 * disposed before this rejects; otherwise the caller disposes it when the call ends.
 */
export async function readFileBody(request: Request, field: string, rule: FileRule, sink: FileSink, defaultMaxSize: number): Promise<File> {
  const maxSize = rule.maxSize ?? defaultMaxSize
  if (Number(request.headers.get('content-length')) > maxSize) throw fileTooLarge(field, maxSize)
  const claimed = request.headers.get('content-type') ?? ''
  // The claim first, before a byte is read: a body sent as a type the field does not take is refused as it stands.
  if (!acceptsType(rule.types, claimed)) {
    throw new OperationError('UNSUPPORTED_MEDIA_TYPE', `Content-Type "${claimed.split(';')[0]!.trim()}" is not supported here; send ${[...rule.types, 'multipart/form-data'].join(', ')}.`)
  }
  const reader = request.body?.getReader()
  let ended = false
  let size = 0
  // The first bytes, until there are enough to know the type: then the sink's file is opened with them.
  let head: Buffer[] | undefined = []
  let target: FileTarget | undefined
  const open = async () => {
    const first = Buffer.concat(head!)
    head = undefined
    const type = sniffType(first.subarray(0, SNIFF_BYTES), claimed)
    if (!acceptsType(rule.types, type)) throw fileTypeRefused(field, type, rule.types)
    target = await sink.create({ field, name: field, type })
    await target.write(first)
  }
  try {
    while (reader) {
      // A body that fails to stream was cut off on the way (the client or a proxy closed it): its sender's doing.
      const { done, value } = await reader.read().catch((error: unknown) => {
        throw new OperationError('BAD_REQUEST', 'The request body was cut off before its end.', { cause: error })
      })
      if ((ended = done)) break
      size += value.byteLength
      if (size > maxSize) throw fileTooLarge(field, maxSize)
      if (!head) await target!.write(value)
      else {
        // A copy: the stream may reuse its chunk once the next one is read.
        head.push(Buffer.from(value))
        if (size >= SNIFF_BYTES) await open()
      }
    }
    if (head) await open()
    return await target!.finish()
  } catch (error) {
    await sink.dispose()
    if (!(error instanceof OperationError) && request.signal.aborted) throw new OperationError('BAD_REQUEST', 'The request body was cut off: the client closed the connection.')
    throw error
  } finally {
    if (reader && !ended) stopReading(reader)
  }
}
