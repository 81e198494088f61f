/**
 * Reads a response body but never more than `maxBytes`: a declared Content-Length over
 * the cap is refused before reading, and a stream is cut the moment it grows past it
 * (the connection is cancelled, and `abort` lets the caller abort the request too).
 */
export async function readCapped(
  response: Response,
  maxBytes: number,
  tooLarge: () => Error,
  abort: (reason: unknown) => void = () => {},
): Promise<Uint8Array> {
  const declared = response.headers.get('content-length')
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > maxBytes) {
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
    total += value.byteLength
    if (total > maxBytes) {
      abort(new Error('body over limit'))
      await reader.cancel().catch(() => undefined)
      throw tooLarge()
    }
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
