/**
 * WAHA's error bodies (NestJS's shapes, as WAHA answers them), for requests to WAHA's
 * routes: the same typed AppErrors as our API, worded the way WAHA clients read them.
 *
 * - 404 unknown session: `{statusCode, message: "We didn't find a session with name '…'…", error: "Not Found"}`
 * - a session not WORKING (our 409 CLIENT_NOT_READY), or no QR pending: 422
 *   `{error: "Session status is not as expected…", session, status, expected}`
 * - an engine without the feature (our 501): 422 `{statusCode, message: "The method is not implemented by '<ENGINE>' engine…", error}`
 * - validation: 400 `{statusCode, message: [issues], error: "Bad Request"}`
 * - 401 `{statusCode, message: "Unauthorized"}`; 500 `{statusCode, timestamp, exception: {message, name}}`, never a stack.
 */
import { ValidationError } from 'elysia'
import { API_BASE } from '../../lib/api-paths'
import { AppError, NotFoundError } from '../../errors'

/** WAHA's session status names (ours, with CONFLICT shown as FAILED: WAHA has no such status). */
export type WahaStatus = 'STOPPED' | 'STARTING' | 'SCAN_QR_CODE' | 'WORKING' | 'FAILED'

export class WahaSessionNotFoundError extends NotFoundError {
  constructor(readonly session: string) {
    super(`We didn't find a session with name '${session}'.\nPlease start it first by using POST /api/sessions/${session}/start request`, { session })
  }
}

/** A request WAHA would take that this server refuses by design: WAHA's 422 with the reason. */
export class WahaUnprocessableError extends AppError {
  constructor(message: string) {
    super(422, 'BAD_REQUEST', message)
  }
}

/** POST /api/sessions for a name that exists: WAHA's 422. */
export class WahaSessionExistsError extends AppError {
  constructor(session: string) {
    super(422, 'CONFLICT', `Session '${session}' already exists. Use PUT /api/sessions/${session} to update it.`)
  }
}

/** 422 with the status and what it should have been, as WAHA's session status checks answer. */
export class WahaStatusNotExpectedError extends AppError {
  constructor(
    readonly session: string,
    readonly status: WahaStatus,
    readonly expected: WahaStatus[],
  ) {
    super(422, 'CONFLICT', 'Session status is not as expected. Try again later or restart the session', { session, status, expected })
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
}

/** Whether a path is one of WAHA's routes (server root `/api/…` outside our base, `/ping`, `/health`, `/ws`). */
export function isWahaPath(pathname: string): boolean {
  if (pathname === API_BASE || pathname.startsWith(`${API_BASE}/`)) return false
  return pathname.startsWith('/api/') || pathname === '/ping' || pathname === '/health' || pathname === '/ws'
}

const ENGINE_NAMES: Record<string, string> = { webjs: 'WEBJS', simulator: 'SIMULATOR', waha: 'WAHA' }

function validationMessages(cause: unknown, error: AppError): string[] {
  const issues = error.details
  if (cause instanceof ValidationError && Array.isArray(issues) && issues.length > 0) {
    return (issues as Array<{ path?: string; message?: string }>).map((issue) => {
      const field = (issue.path ?? '').replace(/^\//, '').replace(/\//g, '.')
      return field ? `${field}: ${issue.message ?? 'is invalid'}` : (issue.message ?? 'is invalid')
    })
  }
  return [error.message]
}

/** WAHA's body and status for an error; the headers (Retry-After, WWW-Authenticate) are kept. */
export function wahaErrorBody(error: AppError, cause: unknown): { status: number; body: Record<string, unknown> } {
  if (error instanceof WahaStatusNotExpectedError) {
    return { status: 422, body: { error: error.message, session: error.session, status: error.status, expected: error.expected } }
  }
  if (error instanceof WahaUnprocessableError) return { status: 422, body: { statusCode: 422, message: error.message, error: REASONS[422] } }
  const details = (error.details ?? {}) as Record<string, unknown>
  switch (error.code) {
    case 'CLIENT_NOT_READY':
      return { status: 422, body: { error: 'Session status is not as expected. Try again later or restart the session', status: wahaStatus(String(details.status ?? 'STOPPED')), expected: ['WORKING'] } }
    case 'NOT_SUPPORTED': {
      const engine = ENGINE_NAMES[String(details.engine)] ?? String(details.engine ?? 'this').toUpperCase()
      return {
        status: 422,
        body: { statusCode: 422, message: `The method is not implemented by '${engine}' engine (${String(details.feature ?? 'this feature')}).`, error: REASONS[422] },
      }
    }
    case 'BAD_REQUEST':
      return { status: 400, body: { statusCode: 400, message: validationMessages(cause, error), error: REASONS[400] } }
    case 'UNAUTHORIZED':
      return { status: 401, body: { statusCode: 401, message: 'Unauthorized' } }
    case 'INTERNAL_ERROR':
      return { status: 500, body: { statusCode: 500, timestamp: new Date().toISOString(), exception: { message: error.message, name: 'InternalServerError' } } }
  }
  if (error.statusCode === 409 && typeof details.status === 'string' && typeof details.state === 'string') {
    // A link request (QR, pairing code) while none is pending: WAHA's status check.
    return { status: 422, body: { error: 'Session status is not as expected. Try again later or restart the session', status: wahaStatus(details.status), expected: ['SCAN_QR_CODE'] } }
  }
  const status = error.statusCode
  return { status, body: { statusCode: status, message: error.message, error: REASONS[status] ?? 'Error' } }
}

export function wahaStatus(status: string): WahaStatus {
  return status === 'CONFLICT' ? 'FAILED' : (status as WahaStatus)
}

/** The errors plugin's responder for WAHA's routes. */
export function wahaErrorResponder(request: Request, error: AppError, cause: unknown): Response | undefined {
  if (!isWahaPath(new URL(request.url).pathname)) return undefined
  const { status, body } = wahaErrorBody(error, cause)
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...error.headers } })
}
