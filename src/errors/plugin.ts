/**
 * The one place failures become HTTP responses: typed AppErrors keep their status and
 * code; Elysia's own validation, parse and not-found errors become 400/404 envelopes;
 * anything else is a logged 500 whose body never carries a stack or the request.
 */
import { Elysia, ValidationError } from 'elysia'
import type { Logger } from '../lib/logger'
import { readCapped } from '../lib/read-capped'
import { AppError, BadRequestError, InternalError, NotFoundError, PayloadTooLargeError } from './index'

interface ValidationIssue {
  path: string
  message: string
}

/** What Elysia's `ValidationError.all` holds: TypeBox value errors, unions with one error list per member. */
interface RawIssue {
  type?: number
  path?: string
  message?: string
  summary?: string
  schema?: unknown
  value?: unknown
  errors?: Iterable<RawIssue>[]
}

// TypeBox's ValueErrorType numbers used below.
const LITERAL = 32
const OBJECT_REQUIRED_PROPERTY = 45

/** The allowed values of a union of literals (an enum made with `oneOf`), quoted; undefined otherwise. */
function literalValues(schema: unknown): string[] | undefined {
  const anyOf = (schema as { anyOf?: unknown } | undefined)?.anyOf
  if (!Array.isArray(anyOf) || anyOf.length === 0) return undefined
  const values: string[] = []
  for (const member of anyOf) {
    if (!member || typeof member !== 'object' || !('const' in member)) return undefined
    values.push(JSON.stringify((member as { const: unknown }).const))
  }
  return values
}

const SCALARS: Record<string, string> = { integer: 'an integer', number: 'a number', boolean: 'true or false' }

/** A query/params scalar (Elysia accepts it typed or as a string in that format): what it must be. */
function scalarExpected(schema: unknown): string | undefined {
  const anyOf = (schema as { anyOf?: unknown } | undefined)?.anyOf
  if (!Array.isArray(anyOf)) return undefined
  let expected: string | undefined
  for (const member of anyOf as Array<{ type?: unknown; format?: unknown }>) {
    if (typeof member?.type === 'string' && member.type in SCALARS) expected = SCALARS[member.type]
    else if (!(member?.type === 'string' && typeof member.format === 'string')) return undefined
  }
  return expected
}

/**
 * One issue a person can act on. Elysia summarizes a failed union as "should be one of:
 * 'string', 'string'" (the members' types), which names neither the allowed values nor
 * the field that is wrong. An enum lists its values; any other union (e.g. the WAHA
 * envelopes, keyed by `event`) reports the first error of the member the value came
 * closest to: fewest wrong literals (the right `event`), then fewest errors.
 */
function describeIssue(issue: RawIssue, depth = 0): ValidationIssue {
  const path = typeof issue.path === 'string' ? issue.path : ''
  const literals = literalValues(issue.schema)
  if (literals) {
    const got = typeof issue.value === 'string' || typeof issue.value === 'number' ? ` (got ${JSON.stringify(issue.value)})` : ''
    return { path, message: `Expected one of ${literals.join(', ')}${got}` }
  }
  const scalar = scalarExpected(issue.schema)
  if (scalar) return { path, message: `Expected ${scalar}` }
  if (issue.errors && issue.errors.length > 0 && depth < 8) {
    let best: RawIssue[] | undefined
    let bestScore = Infinity
    for (const memberErrors of issue.errors) {
      const list = [...memberErrors].filter(Boolean)
      if (list.length === 0) continue
      const score = list.filter((error) => error.type === LITERAL).length * 1000 + list.length
      if (score < bestScore) {
        best = list
        bestScore = score
      }
    }
    if (best?.[0]) return describeIssue(best[0], depth + 1)
  }
  if (issue.type === OBJECT_REQUIRED_PROPERTY && !issue.summary) return { path, message: 'Required property is missing' }
  return { path, message: issue.summary || issue.message || 'does not match the schema' }
}

function validationIssues(error: ValidationError): ValidationIssue[] {
  try {
    return (error.all as RawIssue[]).map((issue) => describeIssue(issue))
  } catch {
    return []
  }
}

/** Maps any thrown value to an AppError; exported so non-Elysia code paths (SSE, streams) share it. */
export function toAppError(code: string | number, error: unknown, where: string): AppError {
  if (error instanceof AppError) return error
  // A response that fails its own schema is this server's bug, not the client's input.
  if (error instanceof ValidationError && error.type === 'response') return new InternalError()
  if (error instanceof ValidationError) {
    const issues = validationIssues(error)
    const first = issues[0]
    const field = first?.path ? `${first.path.replace(/^\//, '').replace(/\//g, '.')}: ` : ''
    return new BadRequestError(`Invalid ${error.type}: ${field}${first?.message ?? 'does not match the schema'}`, issues)
  }
  switch (code) {
    case 'PARSE':
      // Elysia wraps what a parser throws; ours throws typed errors (413, 400).
      if (error instanceof Error && error.cause instanceof AppError) return error.cause
      return new BadRequestError('Malformed request body: expected valid JSON')
    case 'NOT_FOUND':
      return new NotFoundError(`No route for ${where}`)
    case 'INVALID_COOKIE_SIGNATURE':
      return new BadRequestError('Invalid cookie signature')
  }
  if (error instanceof Error && /request entity too large|body.*too large|maxRequestBodySize/i.test(error.message)) {
    return new PayloadTooLargeError('Request body is too large')
  }
  return new InternalError()
}

export function errorResponse(error: AppError): Response {
  return new Response(JSON.stringify(error.toEnvelope()), {
    status: error.statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...error.headers },
  })
}

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
async function parseBody(request: Request, contentType: string, maxBodyBytes: number): Promise<unknown> {
  if (!request.body) return undefined
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

export function errorsPlugin(logger: Logger, maxBodyBytes: number) {
  return new Elysia({ name: 'errors', seed: maxBodyBytes })
    .onRequest(({ request }) => {
      // Refuse an oversized body before reading it, with the contract's envelope; a streamed one is cut in parseBody.
      const length = Number(request.headers.get('content-length') ?? 0)
      if (length > maxBodyBytes) {
        return errorResponse(new PayloadTooLargeError(`Request body is ${length} bytes; the limit is ${maxBodyBytes}`, { limit: maxBodyBytes }))
      }
    })
    .onParse({ as: 'global' }, ({ request, contentType }) => parseBody(request, contentType, maxBodyBytes))
    .onTransform({ as: 'global' }, (context) => {
      // A request without a body (e.g. `curl -X POST …/start`) validates as `{}`. Body schemas are
      // never t.Optional: Elysia would then swallow malformed JSON instead of answering 400.
      if (context.body === undefined || context.body === null) context.body = {}
    })
    .onError({ as: 'global' }, ({ code, error, request, set }) => {
      const url = new URL(request.url)
      const appError = toAppError(code, error, `${request.method} ${url.pathname}`)
      // The Response carries the status to the client; `set.status` tells the request metrics.
      set.status = appError.statusCode
      if (appError.statusCode >= 500) {
        logger.error({ err: error, method: request.method, path: url.pathname }, 'request failed')
      }
      return errorResponse(appError)
    })
}
