import { openAsBlob } from 'node:fs'
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

/**
 * Where one file of an upload goes while its bytes arrive. The parser hands bytes over in batches of ~256 KiB, one
 * write at a time, and reads at most one more batch of the request while a write is under way (backpressure).
 */
export interface FileTarget {
  /** Appends bytes. */
  write(bytes: Uint8Array): Promise<void>
  /** Appends the pieces in order, as one write where it can (optional: without it, the parser joins them for `write`). */
  writev?(pieces: readonly Uint8Array[]): Promise<void>
  /** All bytes are in: the `File` the handler receives, its bytes read from the sink when read (lazily). */
  finish(): Promise<File>
}

/**
 * Where the files of one request go: a place per request, emptied when the call ends, however it ends
 * (answered, refused, failed, or the client gone mid-upload). `dispose()` may be called more than once.
 */
export interface FileSink {
  create(file: { field: string; name: string; type: string }): Promise<FileTarget>
  dispose(): Promise<void>
}

/** What `pieces` still hold past their first `written` bytes (empty pieces dropped). */
function after(pieces: readonly Uint8Array[], written: number): readonly Uint8Array[] {
  let first = 0
  while (first < pieces.length && written >= pieces[first]!.byteLength) written -= pieces[first++]!.byteLength
  if (first === pieces.length) return []
  return [pieces[first]!.subarray(written), ...pieces.slice(first + 1)]
}

/** A sink for each request: `temporaryFiles()` by default. */
export type FileSinkFactory = () => FileSink

/**
 * Files in a directory of their own under `directory` (default: the OS's temporary directory), made on the first
 * file and removed with everything in it by `dispose()`. File names on disk are numbers: the client's file name is
 * only ever the `File`'s `name`, never part of a path. Each file is written as it arrives and read back lazily
 * (`fs.openAsBlob`), so a file is never whole in memory.
 */
export function temporaryFiles(directory: string = tmpdir()): FileSink {
  let made: Promise<string> | undefined
  let count = 0
  let disposed = false
  const handles: FileHandle[] = []
  return {
    async create({ name, type }) {
      if (disposed) throw new Error('This upload has ended: its files were removed.')
      made ??= mkdtemp(path.join(directory, 'actionroute-upload-'))
      const file = path.join(await made, String(++count))
      const handle = await open(file, 'wx', 0o600)
      if (disposed) {
        await handle.close()
        throw new Error('This upload has ended: its files were removed.')
      }
      handles.push(handle)
      return {
        async write(bytes) {
          // A short write is finished by the loop: FileHandle.write may write less than asked.
          for (let written = 0; written < bytes.byteLength; ) {
            written += (await handle.write(bytes, written, bytes.byteLength - written)).bytesWritten
          }
        },
        async writev(pieces) {
          // The pieces as they are, without joining them into one copy; a short write is finished by the loop.
          for (let rest = pieces; rest.length > 0; ) rest = after(rest, (await handle.writev(rest)).bytesWritten)
        },
        async finish() {
          await handle.close()
          handles.splice(handles.indexOf(handle), 1)
          return new File([await openAsBlob(file)], name, { type })
        },
      }
    },
    async dispose() {
      disposed = true
      await Promise.all(handles.splice(0).map((handle) => handle.close().catch(() => {})))
      const dir = await made?.catch(() => undefined)
      if (dir) await rm(dir, { recursive: true, force: true })
    },
  }
}
