/**
 * The one place failures become HTTP responses: typed AppErrors keep their status and
 * code; Elysia's own validation, parse and not-found errors become 400/404 envelopes;
 * anything else is a logged 500 whose body never carries a stack or the request.
 */
import { Elysia, ValidationError } from 'elysia'
import type { Logger } from '../lib/logger'
import { AppError, BadRequestError, InternalError, NotFoundError, PayloadTooLargeError } from './index'

interface ValidationIssue {
  path: string
  message: string
}

function validationIssues(error: ValidationError): ValidationIssue[] {
  try {
    return error.all.map((issue) => ({
      path: 'path' in issue && typeof issue.path === 'string' ? issue.path : '',
      message: ('summary' in issue && typeof issue.summary === 'string' && issue.summary) || issue.message,
    }))
  } catch {
    return []
  }
}

/** Maps any thrown value to an AppError; exported so non-Elysia code paths (SSE, streams) share it. */
export function toAppError(code: string | number, error: unknown, where: string): AppError {
  if (error instanceof AppError) return error
  if (error instanceof ValidationError) {
    const issues = validationIssues(error)
    const first = issues[0]
    const field = first?.path ? `${first.path.replace(/^\//, '').replace(/\//g, '.')}: ` : ''
    return new BadRequestError(`Invalid ${error.type}: ${field}${first?.message ?? 'does not match the schema'}`, issues)
  }
  switch (code) {
    case 'PARSE':
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

/** The JSON body text exactly as received, for routes that check a signature over the raw bytes. */
const rawBodies = new WeakMap<Request, string>()

export function rawJsonBody(request: Request): string | undefined {
  return rawBodies.get(request)
}

export function errorResponse(error: AppError): Response {
  return new Response(JSON.stringify(error.toEnvelope()), {
    status: error.statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...error.headers },
  })
}

export function errorsPlugin(logger: Logger, maxBodyBytes: number) {
  return new Elysia({ name: 'errors', seed: maxBodyBytes })
    .onRequest(({ request }) => {
      // Refuse an oversized body before reading it, with the contract's envelope (Bun's own cap is the backstop).
      const length = Number(request.headers.get('content-length') ?? 0)
      if (length > maxBodyBytes) {
        return errorResponse(new PayloadTooLargeError(`Request body is ${length} bytes; the limit is ${maxBodyBytes}`, { limit: maxBodyBytes }))
      }
    })
    .onParse({ as: 'global' }, async ({ request, contentType }) => {
      // Elysia lets an optional body swallow malformed JSON; parse JSON ourselves so it is always a 400.
      if (!contentType?.toLowerCase().startsWith('application/json')) return
      const text = await request.text()
      rawBodies.set(request, text)
      if (text.trim() === '') return {}
      try {
        return JSON.parse(text) as unknown
      } catch {
        throw new BadRequestError('Malformed request body: expected valid JSON')
      }
    })
    .onError({ as: 'global' }, ({ code, error, request }) => {
      const url = new URL(request.url)
      const appError = toAppError(code, error, `${request.method} ${url.pathname}`)
      if (appError.statusCode >= 500) {
        logger.error({ err: error, method: request.method, path: url.pathname }, 'request failed')
      }
      return errorResponse(appError)
    })
}
