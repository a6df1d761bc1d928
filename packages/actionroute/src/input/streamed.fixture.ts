/**
 * A POST whose body is `chunks`, pulled one at a time, then (unless `endless`) nothing: `pulled` counts the bytes the
 * reader took, so a test can tell how far past a limit a parser read.
 */
export function streamedRequest(url: string, chunks: Uint8Array[], { headers, endless, signal }: { headers: Record<string, string>; endless?: Uint8Array; signal?: AbortSignal }) {
  const pulled = { bytes: 0 }
  let next = 0
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = next < chunks.length ? chunks[next++]! : endless
      if (!chunk) return controller.close()
      pulled.bytes += chunk.byteLength
      controller.enqueue(chunk)
    },
  })
  const request = new Request(url, { method: 'POST', body, headers, duplex: 'half', signal } as RequestInit)
  return { request, pulled }
}
