/** Calls WAHA's routes (server root, not /api/whatsapp) of a test server, as a WAHA client would. */
import { ADMIN_KEY, type TestServer } from '../../helpers/app'

export interface WahaResponse<T = any> {
  status: number
  body: T
  headers: Headers
  bytes: Uint8Array
}

export async function waha<T = any>(
  server: TestServer,
  method: string,
  path: string,
  options: { body?: unknown; key?: string | null; headers?: Record<string, string> } = {},
): Promise<WahaResponse<T>> {
  const headers: Record<string, string> = { ...options.headers }
  const key = options.key === undefined ? ADMIN_KEY : options.key
  if (key !== null) headers['x-api-key'] = key
  let body: string | undefined
  if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers['content-type'] = 'application/json'
    headers['content-length'] = String(Buffer.byteLength(body))
  }
  const response = await server.app.handle(new Request(`http://localhost${path}`, { method, headers, ...(body !== undefined && { body }) }))
  const bytes = new Uint8Array(await response.arrayBuffer())
  const text = new TextDecoder().decode(bytes)
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON
  }
  return { status: response.status, body: parsed as T, headers: response.headers, bytes }
}
