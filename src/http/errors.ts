/**
 * The one place failures become HTTP responses: typed AppErrors keep their status and
 * code; Elysia's own validation, parse and not-found errors become 400/404 envelopes;
 * anything else is a logged 500 whose body never carries a stack or the request.
 * The same plugin reads every body through the one capped parser (./body.ts).
 */
import { Elysia, ValidationError } from 'elysia'
import type { Logger } from '../lib/logger'
import { AppError, BadRequestError, InternalError, NotFoundError, PayloadTooLargeError } from '../lib/errors'
import { parseBody } from './body'

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

/**
 * Answers an error in another API's words (WAHA's compatible API, §13) when the request is
 * one of its routes; undefined leaves it to the contract's envelope. `cause` is what was thrown.
 */
export type ErrorResponder = (request: Request, error: AppError, cause: unknown) => Response | undefined

export function errorsPlugin(logger: Logger, maxBodyBytes: number, responders: readonly ErrorResponder[] = []) {
  const respond = (request: Request, error: AppError, cause: unknown): Response => {
    for (const responder of responders) {
      const response = responder(request, error, cause)
      if (response) return response
    }
    return errorResponse(error)
  }
  return new Elysia({ name: 'errors', seed: maxBodyBytes })
    .onRequest(({ request }) => {
      // Refuse an oversized body before reading it, with the contract's envelope; a streamed one is cut in parseBody.
      const length = Number(request.headers.get('content-length') ?? 0)
      if (length > maxBodyBytes) {
        const error = new PayloadTooLargeError(`Request body is ${length} bytes; the limit is ${maxBodyBytes}`, { limit: maxBodyBytes })
        return respond(request, error, error)
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
      return respond(request, appError, error)
    })
}
