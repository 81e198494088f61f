/**
 * The one body parser: every request body is read within MAX_BODY_BYTES and parsed by its
 * type; failures are typed errors (413, 400) that the error mapper turns into envelopes.
 */
import { readCapped } from '../lib/read-capped'
import { BadRequestError, PayloadTooLargeError } from '../lib/errors'
import { isBodyLeftUnread } from '../lib/unread-body'

function tooLarge(maxBodyBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`Request body is over the limit of ${maxBodyBytes} bytes`, { limit: maxBodyBytes })
}

function formToObject(entries: Iterable<[string, unknown]>): Record<string, unknown> {
  const result: Record<string, unknown> = {}
  for (const [key, value] of entries) {
    // A field named __proto__ would set the object's prototype instead of a property.
    if (key === '__proto__') continue
    const existing = result[key]
    if (existing === undefined) result[key] = value
    else if (Array.isArray(existing)) existing.push(value)
    else result[key] = [existing, value]
  }
  return result
}

/** Deeper JSON than any request of this API needs; beyond it the validator's recursion could overflow the stack (a 500). */
export const MAX_JSON_DEPTH = 64

/** The deepest nesting of arrays/objects in JSON text (brackets inside strings do not count). */
function jsonDepth(text: string, stopAt: number): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest && (deepest = depth) > stopAt) return deepest
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return deepest
}

/** Requests whose exact body bytes a handler needs afterwards (e.g. to verify a signature over them). */
const rawBodyWanted = new WeakSet<Request>()
const rawBodies = new WeakMap<Request, Uint8Array>()

/** Asks parseBody to keep this request's body bytes (call from onRequest, before parsing). */
export function keepRawBody(request: Request): void {
  rawBodyWanted.add(request)
}

/** The body bytes as received, for a request marked with keepRawBody; undefined without a body. */
export function rawBodyOf(request: Request): Uint8Array | undefined {
  return rawBodies.get(request)
}

/**
 * Every request body is read here, never more than `maxBodyBytes` (a streamed body without
 * Content-Length is cut the moment it grows past the limit), then parsed by its type as
 * Elysia would: JSON (also `…+json`, and a body sent without Content-Type, as curl users
 * often do), text, URL-encoded and multipart forms, raw bytes.
 */
export async function parseBody(request: Request, contentType: string, maxBodyBytes: number): Promise<unknown> {
  if (!request.body) return undefined
  // Streamed on to the session's node unread; the (empty) value stops Elysia's own parsers.
  if (isBodyLeftUnread(request)) return {}
  const bytes = await readCapped(new Response(request.body), maxBodyBytes, () => tooLarge(maxBodyBytes))
  if (rawBodyWanted.has(request)) rawBodies.set(request, bytes)
  const type = contentType.trim().toLowerCase()
  if (type === '' || type === 'application/json' || type.endsWith('+json')) {
    const text = new TextDecoder().decode(bytes)
    if (text.trim() === '') return {}
    if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
      throw new BadRequestError(`Request body is nested more than ${MAX_JSON_DEPTH} levels deep`, { limit: MAX_JSON_DEPTH })
    }
    try {
      return JSON.parse(text) as unknown
    } catch {
      throw new BadRequestError('Malformed request body: expected valid JSON')
    }
  }
  if (type.startsWith('text/')) return new TextDecoder().decode(bytes)
  if (type === 'application/x-www-form-urlencoded') return formToObject(new URLSearchParams(new TextDecoder().decode(bytes)))
  if (type === 'multipart/form-data') {
    const form = await new Response(new Uint8Array(bytes), { headers: { 'content-type': request.headers.get('content-type') ?? '' } }).formData().catch(() => {
      throw new BadRequestError('Malformed multipart/form-data body')
    })
    return formToObject(form.entries())
  }
  if (type === 'application/octet-stream') return bytes.buffer
  // Another type: read (within the limit) but not understood, as Elysia leaves it; schemas then name what is missing.
  return {}
}

