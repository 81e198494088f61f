/**
 * Webhook signatures.
 *
 * 1. Standard Webhooks (https://www.standardwebhooks.com, spec v1.0.0), the scheme our
 *    own outbound webhooks use:
 *    - secret: `whsec_` + base64 of 24–64 random bytes; the HMAC key is the decoded bytes;
 *    - signed content: `${webhook-id}.${webhook-timestamp}.${body}` (timestamp in seconds);
 *    - `webhook-signature`: space-separated list of `v1,<base64 HMAC-SHA256>` (several
 *      signatures allow zero-downtime secret rotation; other versions such as `v1a` are
 *      ignored by a symmetric verifier).
 * 2. WAHA compatibility: WAHA signs the raw body with HMAC-SHA512 of its `hmac.key`
 *    (the key's UTF-8 bytes), hex encoded, in `X-Webhook-Hmac`, and names the algorithm in
 *    `X-Webhook-Hmac-Algorithm: sha512`. We can send it for WAHA consumers and check it on
 *    callbacks from a WAHA server.
 *
 * All comparisons are constant-time. Nothing here reads the environment or the clock
 * except through the `now` option's default.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

import { BadRequestError } from '../errors'

export const WEBHOOK_SECRET_PREFIX = 'whsec_'
/** The spec asks for at least 24 random bytes; 64 is the largest it allows. */
export const WEBHOOK_SECRET_MIN_BYTES = 24
export const WEBHOOK_SECRET_MAX_BYTES = 64
/** Five minutes either way, as the reference libraries do. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 5 * 60

export const STANDARD_WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const

export const WAHA_HMAC_HEADER = 'X-Webhook-Hmac'
export const WAHA_HMAC_ALGORITHM_HEADER = 'X-Webhook-Hmac-Algorithm'
export const WAHA_HMAC_ALGORITHM = 'sha512'

export type WebhookBody = string | Uint8Array

/** Anything a request's headers come as: a Fetch `Headers`, or a plain record (any case). */
export type HeaderSource = Headers | Readonly<Record<string, string | readonly string[] | undefined>>

const MAX_TIMESTAMP_SECONDS = 99_999_999_999
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** A new secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64')
}

/**
 * The HMAC key of a Standard Webhooks secret. The `whsec_` prefix is optional, as in the
 * reference libraries. Throws `BadRequestError` for anything that is not canonical base64.
 */
export function decodeWebhookSecret(secret: string): Buffer {
  const encoded = secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret
  if (encoded.length === 0 || !BASE64.test(encoded)) {
    throw new BadRequestError(`Invalid webhook secret: expected ${WEBHOOK_SECRET_PREFIX}<base64>`)
  }
  return Buffer.from(encoded, 'base64')
}

/** True for a secret we accept from a user: `whsec_` + canonical base64 of 24–64 bytes. */
export function isValidWebhookSecret(secret: string): boolean {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) return false
  try {
    const key = decodeWebhookSecret(secret)
    return key.length >= WEBHOOK_SECRET_MIN_BYTES && key.length <= WEBHOOK_SECRET_MAX_BYTES
  } catch {
    return false
  }
}

export interface StandardWebhookSignInput {
  /** `webhook-id`: stable across retries of one event. Must not contain `.`. */
  id: string
  /** `webhook-timestamp`: unix time of this attempt, in **seconds**. */
  timestamp: number
  /** The exact bytes sent as the request body. */
  body: WebhookBody
  secret: string
}

function assertSignable(id: string, timestamp: number): void {
  if (id.length === 0 || id.includes('.')) {
    // The signed content is delimited by full stops; an id with one could be shifted into the timestamp.
    throw new BadRequestError('Invalid webhook id: must be non-empty and contain no "."')
  }
  // Seconds, not milliseconds: anything past the year 5138 is a millisecond value by mistake.
  if (!Number.isSafeInteger(timestamp) || timestamp < 0 || timestamp > MAX_TIMESTAMP_SECONDS) {
    throw new BadRequestError('Invalid webhook timestamp: must be a non-negative integer number of seconds')
  }
}

function hmacSha256Base64(key: Buffer, id: string, timestamp: number, body: WebhookBody): string {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64')
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. */
export function signStandardWebhook(input: StandardWebhookSignInput): string {
  assertSignable(input.id, input.timestamp)
  return `v1,${hmacSha256Base64(decodeWebhookSecret(input.secret), input.id, input.timestamp, input.body)}`
}

export type StandardWebhookHeaders = {
  'webhook-id': string
  'webhook-timestamp': string
  'webhook-signature': string
}

/**
 * The three headers for one delivery attempt. Several secrets (current first, then the
 * ones being rotated out) give several space-separated signatures.
 */
export function standardWebhookHeaders(
  input: Omit<StandardWebhookSignInput, 'secret'> & { secret: string | readonly string[] },
): StandardWebhookHeaders {
  const secrets = typeof input.secret === 'string' ? [input.secret] : input.secret
  if (secrets.length === 0) throw new BadRequestError('At least one webhook secret is needed to sign')
  const signature = secrets
    .map((secret) => signStandardWebhook({ id: input.id, timestamp: input.timestamp, body: input.body, secret }))
    .join(' ')
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(input.timestamp),
    'webhook-signature': signature,
  }
}

export interface VerifyStandardWebhookOptions {
  /** How far `webhook-timestamp` may be from now, either way. Default 300 s. */
  toleranceSeconds?: number
  /** Current unix time in seconds (tests inject it). Default: the system clock. */
  now?: number
}

export type StandardWebhookVerifyFailure =
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'no_matching_signature'

export type StandardWebhookVerifyResult =
  | { valid: true; id: string; timestamp: number }
  | { valid: false; reason: StandardWebhookVerifyFailure }

/** Case-insensitive single header value (the first one when a record holds several). */
export function readHeader(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined
  const wanted = name.toLowerCase()
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue
    return typeof value === 'string' ? value : value[0]
  }
  return undefined
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8')
  const right = Buffer.from(b, 'utf8')
  // Lengths are public (every v1 signature has the same length); contents are compared in constant time.
  return left.length === right.length && timingSafeEqual(left, right)
}

/**
 * Checks a received Standard Webhook: the three headers are present, the timestamp is
 * within the tolerance, and at least one `v1` signature matches (constant-time). The body
 * must be the raw bytes received, not re-serialized JSON.
 */
export function verifyStandardWebhook(
  headers: HeaderSource,
  body: WebhookBody,
  secret: string,
  options: VerifyStandardWebhookOptions = {},
): StandardWebhookVerifyResult {
  const id = readHeader(headers, STANDARD_WEBHOOK_HEADERS.id)
  const timestampHeader = readHeader(headers, STANDARD_WEBHOOK_HEADERS.timestamp)
  const signatureHeader = readHeader(headers, STANDARD_WEBHOOK_HEADERS.signature)
  if (!id || !timestampHeader || !signatureHeader) return { valid: false, reason: 'missing_headers' }

  if (!/^\d{1,11}$/.test(timestampHeader)) return { valid: false, reason: 'invalid_timestamp' }
  const timestamp = Number(timestampHeader)
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS
  const now = options.now ?? Math.floor(Date.now() / 1000)
  if (timestamp < now - tolerance) return { valid: false, reason: 'timestamp_too_old' }
  if (timestamp > now + tolerance) return { valid: false, reason: 'timestamp_too_new' }

  const key = decodeWebhookSecret(secret)
  const expected = hmacSha256Base64(key, id, timestamp, body)
  let matched = false
  for (const candidate of signatureHeader.split(' ')) {
    const comma = candidate.indexOf(',')
    if (comma < 0 || candidate.slice(0, comma) !== 'v1') continue
    // No early exit: every candidate is compared, so timing does not tell which one matched.
    if (constantTimeEqual(candidate.slice(comma + 1), expected)) matched = true
  }
  return matched ? { valid: true, id, timestamp } : { valid: false, reason: 'no_matching_signature' }
}

/** WAHA's `X-Webhook-Hmac`: hex HMAC-SHA512 of the raw body, keyed with the UTF-8 bytes of `key`. */
export function signWahaHmac(body: WebhookBody, key: string): string {
  if (key.length === 0) throw new BadRequestError('The WAHA HMAC key must not be empty')
  return createHmac('sha512', key).update(body).digest('hex')
}

export type WahaHmacHeaders = {
  'X-Webhook-Hmac': string
  'X-Webhook-Hmac-Algorithm': typeof WAHA_HMAC_ALGORITHM
}

export function wahaHmacHeaders(body: WebhookBody, key: string): WahaHmacHeaders {
  return { 'X-Webhook-Hmac': signWahaHmac(body, key), 'X-Webhook-Hmac-Algorithm': WAHA_HMAC_ALGORITHM }
}

/**
 * Checks WAHA's HMAC on a callback. The algorithm header, when present, must say
 * `sha512` (the only one WAHA uses); the hex digest is compared case-insensitively in
 * constant time.
 */
export function verifyWahaHmac(headers: HeaderSource, body: WebhookBody, key: string): boolean {
  const received = readHeader(headers, WAHA_HMAC_HEADER)
  const algorithm = readHeader(headers, WAHA_HMAC_ALGORITHM_HEADER)
  if (!received || key.length === 0) return false
  if (algorithm !== undefined && algorithm.trim().toLowerCase() !== WAHA_HMAC_ALGORITHM) return false
  return constantTimeEqual(received.trim().toLowerCase(), signWahaHmac(body, key))
}
