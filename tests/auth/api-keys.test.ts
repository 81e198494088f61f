import { describe, expect, test } from 'bun:test'
import {
  API_KEY_ID_LENGTH,
  createAdminKeyMatcher,
  generateApiKey,
  hashAdminKey,
  hashSecret,
  parseApiKey,
  verifySecret,
} from '../../src/auth/api-keys'
import { looksLikeJwt } from '../../src/auth/jwt'

describe('account API keys', () => {
  test('generate → parse round-trip, and the secret verifies against its hash', () => {
    const generated = generateApiKey()
    expect(generated.key).toBe(`wws_${generated.id}_${generated.secret}`)
    expect(generated.id).toMatch(new RegExp(`^[0-9A-Za-z]{${API_KEY_ID_LENGTH}}$`))
    expect(generated.secret).toMatch(/^[A-Za-z0-9_-]{43}$/) // 32 bytes, base64url, no padding
    expect(Buffer.from(generated.secret, 'base64url')).toHaveLength(32)
    expect(generated.secretHash).toMatch(/^[0-9a-f]{64}$/)

    const parsed = parseApiKey(generated.key)
    expect(parsed).toEqual({ id: generated.id, secret: generated.secret })
    expect(verifySecret(parsed?.secret ?? '', generated.secretHash)).toBe(true)
    expect(looksLikeJwt(generated.key)).toBe(false)
  })

  test('the secret may contain "_" and "-" and still parses', () => {
    // Base64url secrets use both; the id is base62, so the second "_" is the only split.
    const secret = `_-${'a'.repeat(41)}`
    expect(parseApiKey(`wws_abcdefghijkl_${secret}`)).toEqual({ id: 'abcdefghijkl', secret })
  })

  test('the stored hash is the SHA-256 of the secret and does not contain it', () => {
    const { secret, secretHash, key, id } = generateApiKey()
    expect(secretHash).toBe(new Bun.CryptoHasher('sha256').update(secret).digest('hex'))
    expect(secretHash).toBe(hashSecret(secret))
    expect(secretHash).not.toContain(secret)
    expect(secretHash).not.toContain(key)
    expect(secretHash.includes(id)).toBe(false)
  })

  test('keys are random', () => {
    const keys = Array.from({ length: 200 }, () => generateApiKey())
    expect(new Set(keys.map((k) => k.id)).size).toBe(200)
    expect(new Set(keys.map((k) => k.secret)).size).toBe(200)
  })

  test('a tampered secret fails', () => {
    const { secret, secretHash } = generateApiKey()
    const last = secret.at(-1) === 'A' ? 'B' : 'A'
    expect(verifySecret(secret.slice(0, -1) + last, secretHash)).toBe(false)
    expect(verifySecret(secret.slice(1), secretHash)).toBe(false)
    expect(verifySecret(`${secret}x`, secretHash)).toBe(false)
    expect(verifySecret('', secretHash)).toBe(false)
    expect(verifySecret(generateApiKey().secret, secretHash)).toBe(false)
  })

  test('a malformed stored hash never matches', () => {
    const { secret, secretHash } = generateApiKey()
    expect(verifySecret(secret, secretHash.toUpperCase())).toBe(true) // hex is case-insensitive
    expect(verifySecret(secret, secretHash.slice(0, 62))).toBe(false)
    expect(verifySecret(secret, '')).toBe(false)
    expect(verifySecret(secret, 'z'.repeat(64))).toBe(false)
    expect(verifySecret(secret, '0'.repeat(64))).toBe(false)
  })

  test('parse rejects malformed keys', () => {
    const { id, secret } = generateApiKey()
    const malformed = [
      '',
      'wws',
      'wws_',
      `wws_${id}`,
      `wws_${id}_`,
      `${id}_${secret}`, // no prefix
      `WWS_${id}_${secret}`, // prefix is case-sensitive
      `sk_${id}_${secret}`,
      `wws-${id}-${secret}`,
      `wws_short_${secret}`, // id under 12 chars
      `wws_${'a'.repeat(65)}_${secret}`, // id over 64 chars
      `wws_${id.slice(0, 11)}-x_${secret}`, // id not base62
      `wws_${id}_${secret.slice(0, 42)}`, // secret under 32 bytes
      `wws_${id}_${secret}=`, // padding
      `wws_${id}_${secret.slice(0, -1)}+`, // not base64url
      `wws_${id}_${secret.slice(0, -1)}/`,
      ` wws_${id}_${secret}`,
      `wws_${id}_${secret} `,
      `wws_${id}_${secret}\n`,
      `wws_${id}_${'A'.repeat(129)}`, // too long
      `wws_${id}_${secret}`.repeat(3),
    ]
    for (const key of malformed) expect(parseApiKey(key)).toBeNull()
    expect(parseApiKey(undefined as unknown as string)).toBeNull()
  })
})

describe('admin key matcher', () => {
  const plain = 'admin-key-0123456789-abcdefghij'

  test('plain form: the exact key matches, nothing else does', () => {
    const matches = createAdminKeyMatcher(plain)
    expect(matches(plain)).toBe(true)
    expect(matches(`${plain}x`)).toBe(false)
    expect(matches(plain.slice(0, -1))).toBe(false)
    expect(matches(plain.toUpperCase())).toBe(false)
    expect(matches('')).toBe(false)
    expect(matches(undefined as unknown as string)).toBe(false)
  })

  test('sha256 form: the plain key matches, the hash itself does not', () => {
    const configured = hashAdminKey(plain)
    expect(configured).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(configured).not.toContain(plain)
    const matches = createAdminKeyMatcher(configured)
    expect(matches(plain)).toBe(true)
    expect(matches(configured)).toBe(false) // presenting the stored hash is not the key
    expect(matches(configured.slice('sha256:'.length))).toBe(false)
    expect(matches('wrong')).toBe(false)
  })

  test('sha256 form accepts upper-case hex and prefix (hand-made with sha256sum | tr)', () => {
    const hex = hashAdminKey(plain).slice('sha256:'.length)
    expect(createAdminKeyMatcher(`sha256:${hex.toUpperCase()}`)(plain)).toBe(true)
    expect(createAdminKeyMatcher(`SHA256:${hex}`)(plain)).toBe(true)
  })

  test('hashAdminKey is the SHA-256 of the plain key', () => {
    expect(hashAdminKey('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })

  test('an account key does not match the admin key', () => {
    const matches = createAdminKeyMatcher(plain)
    expect(matches(generateApiKey().key)).toBe(false)
  })

  test('bad configuration is refused with the setting named', () => {
    expect(() => createAdminKeyMatcher('')).toThrow('API_KEY must not be empty')
    expect(() => createAdminKeyMatcher('sha256:')).toThrow(/API_KEY.*64 hexadecimal/)
    expect(() => createAdminKeyMatcher(`sha256:${'a'.repeat(63)}`)).toThrow(/API_KEY/)
    expect(() => createAdminKeyMatcher(`sha256:${'g'.repeat(64)}`)).toThrow(/API_KEY/)
    expect(() => createAdminKeyMatcher(`${plain}\n`)).toThrow(/API_KEY must not contain whitespace/)
    expect(() => createAdminKeyMatcher(` ${plain}`)).toThrow(/API_KEY/)
    expect(() => hashAdminKey('')).toThrow(/API_KEY/)
  })
})
