/**
 * Reads a response body but never more than `maxBytes`: a declared Content-Length over
 * the cap is refused before reading, and a stream is cut the moment it grows past it
 * (the connection is cancelled, and `abort` lets the caller abort the request too).
 * With `truncate`, the first `maxBytes` are kept instead of failing (for answers whose
 * body only matters as a hint, such as a webhook receiver's).
 */
export async function readCapped(
  response: Response,
  maxBytes: number,
  tooLarge: () => Error,
  abort: (reason: unknown) => void = () => {},
  options: { truncate?: boolean } = {},
): Promise<Uint8Array> {
  const declared = response.headers.get('content-length')
  if (!options.truncate && declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > maxBytes) {
    abort(new Error('body over limit'))
    await response.body?.cancel().catch(() => undefined)
    throw tooLarge()
  }
  if (response.body === null) return new Uint8Array(0)
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (total + value.byteLength > maxBytes) {
      await reader.cancel().catch(() => undefined)
      if (!options.truncate) {
        abort(new Error('body over limit'))
        throw tooLarge()
      }
      chunks.push(value.subarray(0, maxBytes - total))
      total = maxBytes
      break
    }
    total += value.byteLength
    chunks.push(value)
  }
  const body = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return body
}
