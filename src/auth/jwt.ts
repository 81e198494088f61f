/**
 * JWT verification for `Authorization: Bearer <jwt>` (API.md §2).
 *
 * One long-lived verifier per process, built from configuration and validated when it is
 * built: exactly one key source (a JWKS URL, a public key, or an HS256 secret), and the
 * accepted algorithms pinned to that source's key family, so `alg: none` and algorithm
 * confusion (an HS256 token "signed" with the public key bytes) never reach a signature
 * check. Every failure becomes an `UnauthorizedError` with a short, safe message.
 */
import { createPublicKey, type JsonWebKeyInput, type KeyObject } from 'node:crypto'
import {
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWSAlgorithm,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose'
import { UnauthorizedError } from '../errors'

/** Asymmetric JWS algorithms accepted from a JWKS (the key's own `kty`/`crv` narrows further). */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const satisfies readonly JWSAlgorithm[]

const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const
const RSA_PSS_ALGORITHMS = ['PS256', 'PS384', 'PS512'] as const
const OKP_ALGORITHMS = ['EdDSA', 'Ed25519'] as const
/** OpenSSL curve name → the one ES algorithm defined for it (RFC 7518 §3.4). */
const EC_CURVE_ALGORITHM: Record<string, JWSAlgorithm> = {
  prime256v1: 'ES256',
  'P-256': 'ES256',
  secp384r1: 'ES384',
  'P-384': 'ES384',
  secp521r1: 'ES512',
  'P-521': 'ES512',
}

const MIN_SECRET_BYTES = 32
const MIN_RSA_BITS = 2048
/** Far above any real access token; refuses pathological input before parsing it. */
const MAX_TOKEN_LENGTH = 16 * 1024
const MAX_ACCOUNT_LENGTH = 255
const DEFAULT_ACCOUNT_CLAIM = 'org_id'
const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

export interface JwtVerifierOptions {
  /** `JWT_JWKS_URL`: an https URL (http only on loopback, or with `allowInsecureJwksUrl`). */
  jwksUrl?: string
  /** `JWT_PUBLIC_KEY`: a PEM SPKI public key (`-----BEGIN PUBLIC KEY-----`) or a public JWK as JSON. */
  publicKey?: string
  /** `JWT_SECRET`: the HS256 shared secret, at least 32 bytes. */
  secret?: string | Uint8Array
  /** `JWT_ISSUER`: when set, `iss` must be present and equal (one of) it. */
  issuer?: string | readonly string[]
  /** `JWT_AUDIENCE`: when set, `aud` must be present and contain (one of) it. */
  audience?: string | readonly string[]
  /** `JWT_ACCOUNT_CLAIM`: the claim naming the account; `sub` is the fallback. Default `org_id`. */
  accountClaim?: string
  /** Leeway for `exp`/`nbf`, in seconds. Default 5. */
  clockToleranceSeconds?: number
  /** Narrow the accepted algorithms further; must be a subset of the key family's. */
  algorithms?: readonly JWSAlgorithm[]
  /** JWKS: minimum time between refetches triggered by an unknown `kid` (jose default 30 000). */
  jwksCooldownMs?: number
  /** JWKS: maximum age of the cached key set (jose default 600 000). */
  jwksCacheMaxAgeMs?: number
  /** JWKS: HTTP timeout of a key-set fetch (jose default 5 000). */
  jwksTimeoutMs?: number
  /** Accept an `http:` JWKS URL on a non-loopback host (keys could then be swapped in transit). */
  allowInsecureJwksUrl?: boolean
  /**
   * Called with the short reason and the underlying error of every rejected token, so the
   * server can log causes (e.g. an unreachable JWKS) that the client is never shown.
   */
  onFailure?: (reason: string, cause: unknown) => void
}

export interface VerifiedJwt {
  /** The account the token acts for: `accountClaim` (default `org_id`), else `sub`. */
  account: string
  /** The `sub` claim when it is a string. */
  subject: string | undefined
  claims: JWTPayload
}

export type JwtKeySource = 'jwks' | 'publicKey' | 'secret'

export interface JwtVerifier {
  readonly source: JwtKeySource
  /** The algorithms this verifier accepts, pinned at construction. */
  readonly algorithms: readonly JWSAlgorithm[]
  /** Verifies a compact JWS JWT; throws `UnauthorizedError` on any failure. */
  verify(token: string | null | undefined): Promise<VerifiedJwt>
}

type VerificationKey = JWTVerifyGetKey | KeyObject | Uint8Array

interface ResolvedKey {
  source: JwtKeySource
  key: VerificationKey
  family: readonly JWSAlgorithm[]
}

export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const resolved = resolveKey(options)
  const algorithms = pinAlgorithms(resolved.family, options.algorithms)
  const issuer = validateStringList(options.issuer, 'JWT_ISSUER')
  const audience = validateStringList(options.audience, 'JWT_AUDIENCE')
  const accountClaim = validateAccountClaim(options.accountClaim)
  const clockTolerance = validateNonNegative(
    options.clockToleranceSeconds,
    DEFAULT_CLOCK_TOLERANCE_SECONDS,
    'clockToleranceSeconds',
  )
  const onFailure = options.onFailure

  const verifyOptions: JWTVerifyOptions = {
    algorithms: [...algorithms],
    requiredClaims: ['exp'],
    clockTolerance,
  }
  if (issuer !== undefined) verifyOptions.issuer = issuer
  if (audience !== undefined) verifyOptions.audience = audience

  const reject = (reason: string, cause: unknown): never => {
    if (onFailure) {
      try {
        onFailure(reason, cause)
      } catch {
        // A failing logger must not turn a 401 into a 500.
      }
    }
    throw new UnauthorizedError(reason)
  }

  async function verify(token: string | null | undefined): Promise<VerifiedJwt> {
    if (typeof token !== 'string' || token.length === 0) return reject('missing token', undefined)
    if (token.length > MAX_TOKEN_LENGTH) return reject('token too large', undefined)
    if (!looksLikeJwt(token)) return reject('malformed token', undefined)

    let claims: JWTPayload
    try {
      claims = (await jwtVerify(token, resolved.key, verifyOptions)).payload
    } catch (error) {
      return reject(describeFailure(error, resolved.source), error)
    }

    const subject = typeof claims.sub === 'string' && claims.sub.length > 0 ? claims.sub : undefined
    const account = accountFrom(claims, accountClaim) ?? subject
    if (account === undefined) return reject(`token has no ${accountClaim} or sub claim`, undefined)
    if (account.length > MAX_ACCOUNT_LENGTH) return reject('token account claim too long', undefined)
    return { account, subject, claims }
  }

  return { source: resolved.source, algorithms, verify }
}

/**
 * Whether a bearer token has the shape of a compact JWS: three base64url segments (the
 * signature may be empty) whose first decodes to a JSON object with a string `alg`. Used to
 * route `Authorization: Bearer` to the JWT verifier rather than the API-key check; it
 * proves nothing about validity.
 */
export function looksLikeJwt(token: string): boolean {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return false
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)) return false
  const headerSegment = token.slice(0, token.indexOf('.'))
  try {
    const header: unknown = JSON.parse(Buffer.from(headerSegment, 'base64url').toString('utf8'))
    return isPlainObject(header) && typeof header.alg === 'string'
  } catch {
    return false
  }
}

// ---------------------------------------------------------------------------------------
// Configuration

function isSet(value: string | Uint8Array | undefined): boolean {
  return value !== undefined && value.length > 0
}

function resolveKey(options: JwtVerifierOptions): ResolvedKey {
  const configured = [
    isSet(options.jwksUrl) ? 'JWT_JWKS_URL' : undefined,
    isSet(options.publicKey) ? 'JWT_PUBLIC_KEY' : undefined,
    isSet(options.secret) ? 'JWT_SECRET' : undefined,
  ].filter((name): name is string => name !== undefined)
  if (configured.length === 0) {
    throw new Error('JWT verification needs one of JWT_JWKS_URL, JWT_PUBLIC_KEY or JWT_SECRET')
  }
  if (configured.length > 1) {
    throw new Error(`Set only one of JWT_JWKS_URL, JWT_PUBLIC_KEY, JWT_SECRET (got ${configured.join(' and ')})`)
  }
  if (options.jwksUrl !== undefined && options.jwksUrl.length > 0) return resolveJwks(options.jwksUrl, options)
  if (options.publicKey !== undefined && options.publicKey.length > 0) return resolvePublicKey(options.publicKey)
  return resolveSecret(options.secret ?? '')
}

function resolveJwks(raw: string, options: JwtVerifierOptions): ResolvedKey {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new Error('JWT_JWKS_URL must be an absolute https URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error('JWT_JWKS_URL must be an https URL')
  }
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname) && options.allowInsecureJwksUrl !== true) {
    throw new Error('JWT_JWKS_URL must use https (plain http is only accepted for localhost)')
  }
  if (url.username !== '' || url.password !== '') {
    throw new Error('JWT_JWKS_URL must not contain credentials')
  }
  const remoteOptions: Parameters<typeof createRemoteJWKSet>[1] = {}
  if (options.jwksCooldownMs !== undefined) {
    remoteOptions.cooldownDuration = validateNonNegative(options.jwksCooldownMs, 0, 'jwksCooldownMs')
  }
  if (options.jwksCacheMaxAgeMs !== undefined) {
    remoteOptions.cacheMaxAge = validateNonNegative(options.jwksCacheMaxAgeMs, 0, 'jwksCacheMaxAgeMs')
  }
  if (options.jwksTimeoutMs !== undefined) {
    const timeout = validateNonNegative(options.jwksTimeoutMs, 0, 'jwksTimeoutMs')
    if (!Number.isInteger(timeout) || timeout === 0) throw new Error('jwksTimeoutMs must be a positive integer')
    remoteOptions.timeoutDuration = timeout
  }
  // Created once: jose caches the key set, dedupes concurrent fetches and refetches on an
  // unknown `kid` at most once per cooldown.
  return { source: 'jwks', key: createRemoteJWKSet(url, remoteOptions), family: ASYMMETRIC_ALGORITHMS }
}

function resolvePublicKey(raw: string): ResolvedKey {
  const text = raw.trim()
  let keyObject: KeyObject
  let jwkAlg: string | undefined
  if (text.startsWith('{')) {
    let jwk: unknown
    try {
      jwk = JSON.parse(text)
    } catch {
      throw new Error('JWT_PUBLIC_KEY is not valid JSON (expected a PEM public key or a JWK)')
    }
    if (!isPlainObject(jwk) || typeof jwk.kty !== 'string') {
      throw new Error('JWT_PUBLIC_KEY JWK must be an object with a "kty"')
    }
    if (jwk.kty === 'oct') throw new Error('JWT_PUBLIC_KEY must be a public key; use JWT_SECRET for a shared secret')
    if ('d' in jwk || 'p' in jwk || 'q' in jwk || 'priv' in jwk) {
      throw new Error('JWT_PUBLIC_KEY is a private key; configure only the public part')
    }
    if (jwk.use !== undefined && jwk.use !== 'sig') throw new Error('JWT_PUBLIC_KEY JWK "use" must be "sig"')
    if (jwk.alg !== undefined && typeof jwk.alg !== 'string') throw new Error('JWT_PUBLIC_KEY JWK "alg" must be a string')
    jwkAlg = jwk.alg
    try {
      keyObject = createPublicKey({ key: jwk, format: 'jwk' } as JsonWebKeyInput)
    } catch {
      throw new Error('JWT_PUBLIC_KEY JWK could not be imported')
    }
  } else {
    // Environment files often carry PEM on one line with literal "\n".
    const pem = text.replace(/\\n/g, '\n')
    if (!pem.startsWith('-----BEGIN PUBLIC KEY-----')) {
      throw new Error('JWT_PUBLIC_KEY must be a PEM SPKI public key ("-----BEGIN PUBLIC KEY-----") or a JWK')
    }
    try {
      keyObject = createPublicKey({ key: pem, format: 'pem' })
    } catch {
      throw new Error('JWT_PUBLIC_KEY PEM could not be parsed')
    }
  }
  if (keyObject.type !== 'public') throw new Error('JWT_PUBLIC_KEY must be a public key')

  const family = algorithmsForKey(keyObject)
  if (jwkAlg !== undefined) {
    if (!isOneOf(jwkAlg, family)) {
      throw new Error(`JWT_PUBLIC_KEY JWK "alg" ${jwkAlg} does not match its key type`)
    }
    return { source: 'publicKey', key: keyObject, family: [jwkAlg] }
  }
  return { source: 'publicKey', key: keyObject, family }
}

function algorithmsForKey(key: KeyObject): readonly JWSAlgorithm[] {
  const details = key.asymmetricKeyDetails
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss': {
      const bits = details?.modulusLength ?? 0
      if (bits < MIN_RSA_BITS) throw new Error(`JWT_PUBLIC_KEY RSA key must be at least ${MIN_RSA_BITS} bits`)
      return key.asymmetricKeyType === 'rsa' ? RSA_ALGORITHMS : RSA_PSS_ALGORITHMS
    }
    case 'ec': {
      const alg = EC_CURVE_ALGORITHM[details?.namedCurve ?? '']
      if (alg === undefined) {
        throw new Error('JWT_PUBLIC_KEY EC key must be on P-256, P-384 or P-521')
      }
      return [alg]
    }
    case 'ed25519':
      return OKP_ALGORITHMS
    default:
      throw new Error(`JWT_PUBLIC_KEY key type ${key.asymmetricKeyType ?? 'unknown'} is not supported`)
  }
}

function resolveSecret(secret: string | Uint8Array): ResolvedKey {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : new Uint8Array(secret)
  if (bytes.byteLength < MIN_SECRET_BYTES) {
    throw new Error(`JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes`)
  }
  return { source: 'secret', key: bytes, family: ['HS256'] }
}

function pinAlgorithms(
  family: readonly JWSAlgorithm[],
  requested: readonly JWSAlgorithm[] | undefined,
): readonly JWSAlgorithm[] {
  if (requested === undefined) return Object.freeze([...family])
  if (!Array.isArray(requested) || requested.length === 0) {
    throw new Error('JWT algorithms must be a non-empty list when set')
  }
  for (const alg of requested) {
    if (!isOneOf(alg, family)) {
      throw new Error(`JWT algorithm ${String(alg)} does not match the configured key (allowed: ${family.join(', ')})`)
    }
  }
  return Object.freeze([...new Set(requested)])
}

function validateStringList(
  value: string | readonly string[] | undefined,
  setting: string,
): string | string[] | undefined {
  if (value === undefined) return undefined
  const list = typeof value === 'string' ? [value] : [...value]
  if (list.length === 0 || list.some((item) => typeof item !== 'string' || item.trim().length === 0)) {
    throw new Error(`${setting} must be a non-empty string or list of non-empty strings`)
  }
  return list.length === 1 ? list[0] : list
}

function validateAccountClaim(value: string | undefined): string {
  if (value === undefined) return DEFAULT_ACCOUNT_CLAIM
  if (typeof value !== 'string' || !/^[A-Za-z0-9_:.\-/]{1,128}$/.test(value)) {
    throw new Error('JWT_ACCOUNT_CLAIM must be a claim name (letters, digits, _ : . - /)')
  }
  return value
}

function validateNonNegative(value: number | undefined, fallback: number, setting: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`${setting} must be a non-negative number`)
  }
  return value
}

// ---------------------------------------------------------------------------------------
// Verification helpers

function accountFrom(claims: JWTPayload, claim: string): string | undefined {
  const value = claims[claim]
  return typeof value === 'string' && value.length > 0 ? value : undefined
}

/** Maps a jose failure to a short reason safe to send to the client (no key material, no claims). */
function describeFailure(error: unknown, source: JwtKeySource): string {
  if (error instanceof joseErrors.JWTExpired) return 'token expired'
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const missing = error.reason === 'missing'
    switch (error.claim) {
      case 'exp':
        return missing ? 'token has no expiry' : 'invalid exp claim'
      case 'nbf':
        return 'token not yet valid'
      case 'iss':
        return missing ? 'token has no issuer' : 'wrong issuer'
      case 'aud':
        return missing ? 'token has no audience' : 'wrong audience'
      case 'iat':
        return 'invalid iat claim'
      default:
        return 'invalid token claims'
    }
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm not allowed'
  if (error instanceof joseErrors.JOSENotSupported) return 'token algorithm not supported'
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'invalid token signature'
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no matching signing key'
  if (error instanceof joseErrors.JWKSMultipleMatchingKeys) return 'ambiguous signing key'
  if (error instanceof joseErrors.JWKSTimeout) return 'signing keys unavailable'
  if (error instanceof joseErrors.JWKSInvalid) return 'signing keys unavailable'
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) return 'malformed token'
  // What is left is not about the token: with a JWKS, a failed fetch (connection refused,
  // non-200 answer) or an unusable published key; otherwise a key that cannot do the job.
  if (source === 'jwks') return 'signing keys unavailable'
  return 'token could not be verified'
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isOneOf<T extends string>(value: unknown, list: readonly T[]): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value)
}
