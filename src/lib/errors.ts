/**
 * Typed application errors. Every failure that reaches a client is one of these,
 * mapped to the contract's envelope `{error, code, statusCode, details?}` in one place
 * (`src/http/errors.ts`). Services and engines throw these; they never know HTTP.
 */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'CLIENT_NOT_READY'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'NOT_SUPPORTED'
  | 'UPSTREAM_ERROR'
  | 'ENGINE_UNAVAILABLE'
  | 'INTERNAL_ERROR'

export interface ErrorEnvelope {
  error: string
  code: ErrorCode
  statusCode: number
  details?: unknown
}

export class AppError extends Error {
  readonly headers: Record<string, string> = {}

  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
    this.name = new.target.name
  }

  toEnvelope(): ErrorEnvelope {
    const envelope: ErrorEnvelope = { error: this.message, code: this.code, statusCode: this.statusCode }
    if (this.details !== undefined) envelope.details = this.details
    return envelope
  }
}

export class BadRequestError extends AppError {
  constructor(message: string, details?: unknown) {
    super(400, 'BAD_REQUEST', message, details)
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Missing or invalid credentials', details?: unknown) {
    super(401, 'UNAUTHORIZED', message, details)
    // RFC 9110 §11.6.1: a 401 names the schemes that would be accepted.
    this.headers['WWW-Authenticate'] = 'Bearer realm="whatsapp-web-server", ApiKey header="X-Api-Key"'
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Forbidden', details?: unknown) {
    super(403, 'FORBIDDEN', message, details)
  }
}

export class NotFoundError extends AppError {
  constructor(message: string, details?: unknown) {
    super(404, 'NOT_FOUND', message, details)
  }
}

/** A request that conflicts with the current state, other than "not connected" (e.g. no QR pending). */
export class ConflictError extends AppError {
  constructor(message: string, details?: unknown) {
    super(409, 'CONFLICT', message, details)
  }
}

/** A link request (QR, pairing code, scan) while no link is pending: 409 naming the status, whatever it is. */
export class NoLinkPendingError extends ConflictError {
  constructor(what: string, state: string, status: string) {
    super(`No ${what} is pending: the session is ${status}`, { state, status })
  }
}

export class ClientNotReadyError extends AppError {
  constructor(state: string, status: string) {
    super(409, 'CLIENT_NOT_READY', `Session is not connected (state ${state}, status ${status})`, { state, status })
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message: string, details?: unknown) {
    super(413, 'PAYLOAD_TOO_LARGE', message, details)
  }
}

export class RateLimitedError extends AppError {
  constructor(readonly retryAfterSeconds: number, message = 'Too many requests') {
    super(429, 'RATE_LIMITED', message, { retryAfter: retryAfterSeconds })
    this.headers['Retry-After'] = String(retryAfterSeconds)
  }
}

export class NotSupportedError extends AppError {
  constructor(engine: string, feature: string) {
    super(501, 'NOT_SUPPORTED', `The ${engine} engine does not support ${feature}`, { engine, feature })
  }
}

export class UpstreamError extends AppError {
  constructor(message: string, details?: unknown) {
    super(502, 'UPSTREAM_ERROR', message, details)
  }
}

/** The engine cannot run on this machine (e.g. no Chromium for webjs); the message names the fix. */
export class EngineUnavailableError extends AppError {
  constructor(engine: string, message: string) {
    super(503, 'ENGINE_UNAVAILABLE', message, { engine })
  }
}

export class InternalError extends AppError {
  constructor(message = 'Internal server error') {
    super(500, 'INTERNAL_ERROR', message)
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError
}

/**
 * This node no longer holds the session's lease (another node took it over, or it could
 * not renew in time): whatever it was about to write for the session is refused. A request
 * that meets it can be retried; it reaches the session's new owner.
 */
export class LeaseLostError extends ConflictError {
  constructor(phoneNumber: string) {
    super(`This node no longer runs session ${phoneNumber} (its lease moved to another node); retry the request`)
  }
}
