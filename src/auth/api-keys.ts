/**
 * API key cryptography (API.md §2; no storage here).
 *
 * Account keys look like `wws_<id>_<secret>`: the id (base62) is the lookup handle and can be
 * shown and logged; the secret (32 random bytes, base64url) is shown once and only its
 * SHA-256 is stored. A fast hash is right here: the secret has 256 bits of entropy, so
 * there is nothing to brute-force, and a slow KDF would only cost CPU per request.
 *
 * The admin key (`API_KEY`) is configured either in plain text or as `sha256:<hex>` of
 * the plain key, so a deployment need not keep the key itself in its environment.
 */
import { timingSafeEqual } from 'node:crypto'

export const API_KEY_PREFIX = 'wws'
/** Length of a generated id; `parseApiKey` accepts 12 to 64. */
export const API_KEY_ID_LENGTH = 16
/** Random bytes in a generated secret (43 base64url characters). */
export const API_KEY_SECRET_BYTES = 32

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const API_KEY_PATTERN = /^wws_([0-9A-Za-z]{12,64})_([A-Za-z0-9_-]{43,128})$/
const MAX_API_KEY_LENGTH = 4 + 64 + 1 + 128
const SHA256_HEX = /^[0-9a-fA-F]{64}$/
const ADMIN_HASH_PREFIX = 'sha256:'
/** A header value cannot carry these reliably; a key containing them is a configuration slip. */
const WHITESPACE_OR_CONTROL = /[\s\p{Cc}]/u

export interface GeneratedApiKey {
  /** Public lookup id (store it, show it, log it). */
  id: string
  /** The secret part; never stored. */
  secret: string
  /** The full key `wws_<id>_<secret>`, shown to the user once. */
  key: string
  /** Hex SHA-256 of `secret`: the only thing stored. */
  secretHash: string
}

export interface ParsedApiKey {
  id: string
  secret: string
}

export function generateApiKey(): GeneratedApiKey {
  const id = randomBase62(API_KEY_ID_LENGTH)
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(API_KEY_SECRET_BYTES))).toString('base64url')
  return { id, secret, key: `${API_KEY_PREFIX}_${id}_${secret}`, secretHash: hashSecret(secret) }
}

/** Splits a presented key into id and secret, or `null` when it is not exactly our format. */
export function parseApiKey(key: string): ParsedApiKey | null {
  if (typeof key !== 'string' || key.length > MAX_API_KEY_LENGTH) return null
  const match = API_KEY_PATTERN.exec(key)
  if (match === null) return null
  const [, id, secret] = match
  if (id === undefined || secret === undefined) return null
  return { id, secret }
}

/** Hex SHA-256 of an API key secret, as stored. */
export function hashSecret(secret: string): string {
  return new Bun.CryptoHasher('sha256').update(secret).digest('hex')
}

/** Whether `secret` hashes to `storedHashHex`, compared in constant time. */
export function verifySecret(secret: string, storedHashHex: string): boolean {
  if (typeof secret !== 'string' || typeof storedHashHex !== 'string') return false
  const presented = sha256(secret)
  // A malformed stored hash still costs one comparison, against a buffer that cannot match.
  const valid = SHA256_HEX.test(storedHashHex)
  const stored = valid ? Buffer.from(storedHashHex, 'hex') : Buffer.alloc(presented.length)
  return timingSafeEqual(presented, stored) && valid
}

/** The `sha256:<hex>` form of an admin key, for `API_KEY` or for keeping a generated key's hash. */
export function hashAdminKey(plain: string): string {
  assertUsableKey(plain, 'API_KEY')
  return `${ADMIN_HASH_PREFIX}${sha256(plain).toString('hex')}`
}

/**
 * Builds a constant-time matcher for the configured admin key (`API_KEY`), given in plain
 * text or as `sha256:<64 hex>`. Both sides are reduced to a 32-byte SHA-256 before the
 * comparison, so neither the length nor the content of the key leaks through timing, and
 * presenting the stored hash itself does not match.
 */
export function createAdminKeyMatcher(configured: string): (presented: string) => boolean {
  if (typeof configured !== 'string' || configured.length === 0) {
    throw new Error('API_KEY must not be empty')
  }
  let expected: Buffer
  if (configured.toLowerCase().startsWith(ADMIN_HASH_PREFIX)) {
    const hex = configured.slice(ADMIN_HASH_PREFIX.length)
    if (!SHA256_HEX.test(hex)) {
      throw new Error('API_KEY in sha256: form must be followed by 64 hexadecimal characters')
    }
    expected = Buffer.from(hex, 'hex')
  } else {
    assertUsableKey(configured, 'API_KEY')
    expected = sha256(configured)
  }
  return (presented: string): boolean => {
    if (typeof presented !== 'string' || presented.length === 0) return false
    return timingSafeEqual(sha256(presented), expected)
  }
}

function assertUsableKey(plain: string, setting: string): void {
  if (typeof plain !== 'string' || plain.length === 0) throw new Error(`${setting} must not be empty`)
  if (WHITESPACE_OR_CONTROL.test(plain)) {
    throw new Error(`${setting} must not contain whitespace or control characters`)
  }
}

function sha256(value: string): Buffer {
  return Buffer.from(new Bun.CryptoHasher('sha256').update(value).digest())
}

/** Uniform base62 string: rejection sampling avoids the modulo bias of `byte % 62`. */
function randomBase62(length: number): string {
  let out = ''
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < 248) out += BASE62.charAt(byte % 62)
      if (out.length === length) break
    }
  }
  return out
}
