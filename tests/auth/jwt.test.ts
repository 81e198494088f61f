import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { generateKeyPairSync } from 'node:crypto'
import {
  base64url,
  exportJWK,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  importPKCS8,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose'
import type { Server } from 'bun'
import { createJwtVerifier, looksLikeJwt, type JwtVerifier } from '../../src/auth/jwt'
import { UnauthorizedError } from '../../src/errors'

const ISSUER = 'https://auth.example.test'
const AUDIENCE = 'whatsapp-web-server'

interface TestKey {
  alg: 'RS256' | 'ES256' | 'PS256' | 'EdDSA'
  kid: string
  privateKey: CryptoKey
  publicKey: CryptoKey
  jwk: JWK
}

async function makeKey(alg: TestKey['alg'], kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { alg, kid, privateKey, publicKey, jwk }
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000)

interface SignOptions {
  alg?: string
  kid?: string | null
  iss?: string | null
  aud?: string | string[] | null
  exp?: number | null
  nbf?: number
}

/** Signs `claims` with sensible valid defaults; `null` leaves a claim or header out. */
async function sign(key: CryptoKey | Uint8Array, claims: JWTPayload, opts: SignOptions & { alg: string }): Promise<string> {
  const header: { alg: string; kid?: string } = { alg: opts.alg }
  if (opts.kid !== null && opts.kid !== undefined) header.kid = opts.kid
  const jwt = new SignJWT(claims).setProtectedHeader(header).setIssuedAt()
  if (opts.iss !== null) jwt.setIssuer(opts.iss ?? ISSUER)
  if (opts.aud !== null) jwt.setAudience(opts.aud ?? AUDIENCE)
  if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? nowSeconds() + 300)
  if (opts.nbf !== undefined) jwt.setNotBefore(opts.nbf)
  return jwt.sign(key)
}

const signWith = (key: TestKey, claims: JWTPayload = { sub: 'user_1', org_id: 'org_1' }, opts: SignOptions = {}) =>
  sign(key.privateKey, claims, { kid: key.kid, ...opts, alg: opts.alg ?? key.alg })

/** The same RSA key used for PS256 (WebCrypto binds a key to one RSA scheme, so re-import it). */
async function signPs256(key: TestKey): Promise<string> {
  const pss = await importPKCS8(await exportPKCS8(key.privateKey), 'PS256')
  return sign(pss, { sub: 'user_1', org_id: 'org_1' }, { alg: 'PS256', kid: key.kid })
}

/** Asserts the promise rejects with an UnauthorizedError whose message is short and safe. */
async function expectUnauthorized(promise: Promise<unknown>, message?: string | RegExp): Promise<UnauthorizedError> {
  let caught: unknown
  try {
    await promise
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(UnauthorizedError)
  const error = caught as UnauthorizedError
  expect(error.statusCode).toBe(401)
  expect(error.code).toBe('UNAUTHORIZED')
  expect(error.message.length).toBeLessThan(64)
  expect(error.message).not.toContain('BEGIN')
  expect(error.details).toBeUndefined()
  if (message !== undefined) expect(error.message).toMatch(message)
  return error
}

function unsignedToken(payload: JWTPayload, header: Record<string, unknown> = { alg: 'none', typ: 'JWT' }): string {
  const enc = (value: unknown) => base64url.encode(JSON.stringify(value))
  return `${enc(header)}.${enc(payload)}.`
}

// ---------------------------------------------------------------------------------------
// A JWKS endpoint served by the test itself.

let server: Server<undefined>
let jwksUrl: string
let published: JWK[] = []
let jwksFetches = 0
let rsa: TestKey
let ec: TestKey
let stranger: TestKey
let impostor: TestKey

beforeAll(async () => {
  rsa = await makeKey('RS256', 'rsa-1')
  ec = await makeKey('ES256', 'ec-1')
  stranger = await makeKey('RS256', 'not-published')
  impostor = await makeKey('RS256', 'rsa-1') // same kid as `rsa`, different key
  published = [rsa.jwk, ec.jwk]
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(request) {
      if (new URL(request.url).pathname !== '/.well-known/jwks.json') return new Response('not found', { status: 404 })
      jwksFetches++
      return Response.json({ keys: published })
    },
  })
  jwksUrl = `http://127.0.0.1:${server.port}/.well-known/jwks.json`
})

afterAll(async () => {
  await server.stop(true)
})

describe('JWKS mode', () => {
  let verifier: JwtVerifier
  beforeAll(() => {
    verifier = createJwtVerifier({ jwksUrl, issuer: ISSUER, audience: AUDIENCE, jwksCooldownMs: 0 })
  })

  test('pins asymmetric algorithms only', () => {
    expect(verifier.source).toBe('jwks')
    expect(verifier.algorithms).toContain('RS256')
    expect(verifier.algorithms).toContain('ES256')
    expect(verifier.algorithms).not.toContain('HS256')
    expect(verifier.algorithms).not.toContain('none' as never)
  })

  test('an RSA-signed token verifies and yields org_id as the account', async () => {
    const result = await verifier.verify(await signWith(rsa))
    expect(result.account).toBe('org_1')
    expect(result.subject).toBe('user_1')
    expect(result.claims.iss).toBe(ISSUER)
  })

  test('an EC (P-256) signed token verifies', async () => {
    const result = await verifier.verify(await signWith(ec, { sub: 'user_2', org_id: 'org_2' }))
    expect(result.account).toBe('org_2')
  })

  test('the account falls back to sub when there is no org_id', async () => {
    const result = await verifier.verify(await signWith(ec, { sub: 'user_3' }))
    expect(result).toMatchObject({ account: 'user_3', subject: 'user_3' })
  })

  test('a token with neither org_id nor sub is rejected', async () => {
    await expectUnauthorized(verifier.verify(await signWith(rsa, { scope: 'x' })), /no org_id or sub/)
  })

  test('the key set is fetched once and reused by the long-lived verifier', async () => {
    const fresh = createJwtVerifier({ jwksUrl, issuer: ISSUER, audience: AUDIENCE })
    const before = jwksFetches
    for (let i = 0; i < 5; i++) await fresh.verify(await signWith(i % 2 === 0 ? rsa : ec))
    expect(jwksFetches - before).toBe(1)
  })

  test('audience may be a list; one match is enough', async () => {
    const listVerifier = createJwtVerifier({ jwksUrl, audience: ['other', AUDIENCE] })
    expect((await listVerifier.verify(await signWith(rsa))).account).toBe('org_1')
  })

  describe('rejections', () => {
    test('no token / empty token', async () => {
      await expectUnauthorized(verifier.verify(undefined), 'missing token')
      await expectUnauthorized(verifier.verify(null), 'missing token')
      await expectUnauthorized(verifier.verify(''), 'missing token')
    })

    test('garbage', async () => {
      await expectUnauthorized(verifier.verify('not a token'), 'malformed token')
      await expectUnauthorized(verifier.verify('a.b.c'), 'malformed token')
      await expectUnauthorized(verifier.verify('x'.repeat(20_000)), 'token too large')
      const valid = await signWith(rsa)
      await expectUnauthorized(verifier.verify(`${valid}x`), /signature|malformed/)
    })

    test('expired beyond the clock tolerance', async () => {
      await expectUnauthorized(verifier.verify(await signWith(rsa, undefined, { exp: nowSeconds() - 60 })), 'token expired')
    })

    test('expired within the 5 s tolerance still passes', async () => {
      const result = await verifier.verify(await signWith(rsa, undefined, { exp: nowSeconds() - 2 }))
      expect(result.account).toBe('org_1')
    })

    test('not yet valid (nbf in the future beyond tolerance)', async () => {
      await expectUnauthorized(verifier.verify(await signWith(rsa, undefined, { nbf: nowSeconds() + 60 })), 'token not yet valid')
      // within tolerance: accepted
      await verifier.verify(await signWith(rsa, undefined, { nbf: nowSeconds() + 2 }))
    })

    test('wrong or missing issuer', async () => {
      await expectUnauthorized(verifier.verify(await signWith(rsa, undefined, { iss: 'https://evil.test' })), 'wrong issuer')
      await expectUnauthorized(verifier.verify(await signWith(rsa, undefined, { iss: null })), 'token has no issuer')
    })

    test('wrong or missing audience', async () => {
      await expectUnauthorized(verifier.verify(await signWith(rsa, undefined, { aud: 'someone-else' })), 'wrong audience')
      await expectUnauthorized(verifier.verify(await signWith(rsa, undefined, { aud: null })), 'token has no audience')
    })

    test('missing exp', async () => {
      await expectUnauthorized(verifier.verify(await signWith(rsa, undefined, { exp: null })), 'token has no expiry')
    })

    test('unsigned (alg: none, hand-built)', async () => {
      const token = unsignedToken({
        sub: 'user_1',
        org_id: 'org_1',
        iss: ISSUER,
        aud: AUDIENCE,
        exp: nowSeconds() + 300,
      })
      expect(looksLikeJwt(token)).toBe(true)
      await expectUnauthorized(verifier.verify(token), 'token algorithm not allowed')
      // same with a kid that exists, and with a forged signature segment
      const withKid = unsignedToken({ sub: 'u', exp: nowSeconds() + 300 }, { alg: 'none', kid: rsa.kid })
      await expectUnauthorized(verifier.verify(withKid))
      await expectUnauthorized(verifier.verify(`${withKid}AAAA`))
    })

    test('algorithm confusion: HS256 signed with the RSA public key PEM bytes', async () => {
      const pemBytes = new TextEncoder().encode(await exportSPKI(rsa.publicKey))
      const token = await sign(pemBytes, { sub: 'user_1', org_id: 'org_1' }, { alg: 'HS256', kid: rsa.kid })
      await expectUnauthorized(verifier.verify(token), 'token algorithm not allowed')
      // and with the JWK JSON as the HMAC key
      const jwkBytes = new TextEncoder().encode(JSON.stringify(rsa.jwk))
      const token2 = await sign(jwkBytes, { sub: 'user_1' }, { alg: 'HS256', kid: rsa.kid })
      await expectUnauthorized(verifier.verify(token2), 'token algorithm not allowed')
    })

    test('unknown kid', async () => {
      await expectUnauthorized(verifier.verify(await signWith(stranger)), 'no matching signing key')
    })

    test('a valid-looking token signed by another key with the same kid', async () => {
      await expectUnauthorized(verifier.verify(await signWith(impostor)), 'invalid token signature')
    })

    test('an EC token whose header claims RS256 is rejected', async () => {
      const token = await signWith(ec)
      const [, payload, signature] = token.split('.')
      const forgedHeader = base64url.encode(JSON.stringify({ alg: 'RS256', kid: rsa.kid }))
      await expectUnauthorized(verifier.verify(`${forgedHeader}.${payload}.${signature}`))
    })
  })

  test('a custom accountClaim names the account, sub still the fallback', async () => {
    const custom = createJwtVerifier({ jwksUrl, accountClaim: 'tenant' })
    expect((await custom.verify(await signWith(rsa, { sub: 'user_1', org_id: 'org_1', tenant: 'acme' }))).account).toBe(
      'acme',
    )
    expect((await custom.verify(await signWith(rsa, { sub: 'user_1', org_id: 'org_1' }))).account).toBe('user_1')
    // a non-string claim is not an account
    expect((await custom.verify(await signWith(rsa, { sub: 'user_1', tenant: 42 }))).account).toBe('user_1')
  })

  test('onFailure sees the reason and the cause; the client never does', async () => {
    const seen: Array<[string, unknown]> = []
    const observed = createJwtVerifier({ jwksUrl, onFailure: (reason, cause) => seen.push([reason, cause]) })
    await expectUnauthorized(observed.verify(await signWith(impostor)))
    expect(seen).toHaveLength(1)
    expect(seen[0]?.[0]).toBe('invalid token signature')
    expect(seen[0]?.[1]).toBeInstanceOf(Error)
  })

  test('an unreachable JWKS is a 401 with a generic reason, not a crash', async () => {
    const dead = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('down', { status: 503 }) })
    const url = `http://127.0.0.1:${dead.port}/jwks.json`
    try {
      const broken = createJwtVerifier({ jwksUrl: url, jwksTimeoutMs: 1000 })
      await expectUnauthorized(broken.verify(await signWith(rsa)), 'signing keys unavailable')
      const refused = createJwtVerifier({ jwksUrl: 'http://127.0.0.1:1/jwks.json' })
      await expectUnauthorized(refused.verify(await signWith(rsa)), 'signing keys unavailable')
    } finally {
      await dead.stop(true)
    }
  })
})

describe('key rotation', () => {
  test('a new kid published later verifies once the refetch cooldown has passed', async () => {
    const verifier = createJwtVerifier({ jwksUrl, jwksCooldownMs: 200 })
    await verifier.verify(await signWith(rsa)) // primes the cache
    const rotated = await makeKey('RS256', 'rsa-2')
    const token = await signWith(rotated)

    // Not yet published: unknown kid.
    await expectUnauthorized(verifier.verify(token), 'no matching signing key')

    published = [...published, rotated.jwk]
    try {
      // Within the cooldown jose does not refetch: still unknown.
      await expectUnauthorized(verifier.verify(token), 'no matching signing key')
      await Bun.sleep(250)
      // After the cooldown the unknown kid triggers a refetch and the token verifies.
      const result = await verifier.verify(token)
      expect(result.account).toBe('org_1')
      // The old key keeps working during the overlap.
      await verifier.verify(await signWith(rsa))
    } finally {
      published = published.filter((jwk) => jwk.kid !== 'rsa-2')
    }
  })
})

describe('public-key mode', () => {
  test('PEM SPKI (RSA): RS256 and PS256 accepted, HS256 and ES256 refused', async () => {
    const pem = await exportSPKI(rsa.publicKey)
    const verifier = createJwtVerifier({ publicKey: pem })
    expect(verifier.source).toBe('publicKey')
    expect([...verifier.algorithms].sort()).toEqual(['PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'])
    expect((await verifier.verify(await signWith(rsa))).account).toBe('org_1')
    expect((await verifier.verify(await signPs256(rsa))).account).toBe('org_1')

    const confused = await sign(new TextEncoder().encode(pem), { sub: 'u' }, { alg: 'HS256' })
    await expectUnauthorized(verifier.verify(confused), 'token algorithm not allowed')
    await expectUnauthorized(verifier.verify(await signWith(ec)), 'token algorithm not allowed')
    await expectUnauthorized(verifier.verify(await signWith(impostor)), 'invalid token signature')
    await expectUnauthorized(verifier.verify(unsignedToken({ sub: 'u', exp: nowSeconds() + 60 })))
  })

  test('PEM with literal \\n (one-line env var) is accepted', async () => {
    const pem = (await exportSPKI(rsa.publicKey)).trim().replace(/\n/g, '\\n')
    const verifier = createJwtVerifier({ publicKey: pem })
    expect((await verifier.verify(await signWith(rsa))).account).toBe('org_1')
  })

  test('JWK JSON (EC P-256): ES256 only', async () => {
    const verifier = createJwtVerifier({ publicKey: JSON.stringify(ec.jwk), issuer: ISSUER })
    expect(verifier.algorithms).toEqual(['ES256'])
    expect((await verifier.verify(await signWith(ec))).account).toBe('org_1')
    await expectUnauthorized(verifier.verify(await signWith(rsa)), 'token algorithm not allowed')
    const other = await makeKey('ES256', ec.kid)
    await expectUnauthorized(verifier.verify(await signWith(other)), 'invalid token signature')
  })

  test('JWK JSON with alg pins that one algorithm', async () => {
    const verifier = createJwtVerifier({ publicKey: JSON.stringify(rsa.jwk) }) // jwk.alg = RS256
    expect(verifier.algorithms).toEqual(['RS256'])
    await expectUnauthorized(verifier.verify(await signPs256(rsa)), 'token algorithm not allowed')
  })

  test('Ed25519 (OKP) key: EdDSA', async () => {
    const ed = await makeKey('EdDSA', 'ed-1')
    const verifier = createJwtVerifier({ publicKey: await exportSPKI(ed.publicKey) })
    expect(verifier.algorithms).toContain('EdDSA')
    expect(verifier.algorithms).not.toContain('RS256')
    expect((await verifier.verify(await signWith(ed))).account).toBe('org_1')
  })

  test('configuration errors name the setting', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true })
    expect(() => createJwtVerifier({ publicKey: 'not a key' })).toThrow(/JWT_PUBLIC_KEY/)
    expect(() => createJwtVerifier({ publicKey: '-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----' })).toThrow(
      /JWT_PUBLIC_KEY/,
    )
    expect(() => createJwtVerifier({ publicKey: '{not json' })).toThrow(/JWT_PUBLIC_KEY/)
    const privatePem = await exportPKCS8(privateKey)
    expect(() => createJwtVerifier({ publicKey: privatePem })).toThrow(/JWT_PUBLIC_KEY/)
    const privateJwk = await exportJWK(privateKey)
    expect(() => createJwtVerifier({ publicKey: JSON.stringify(privateJwk) })).toThrow(/private key/)
    expect(() => createJwtVerifier({ publicKey: JSON.stringify({ kty: 'oct', k: 'abc' }) })).toThrow(/JWT_SECRET/)
    expect(() => createJwtVerifier({ publicKey: JSON.stringify({ ...rsa.jwk, alg: 'ES256' }) })).toThrow(
      /does not match/,
    )
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' })
    expect(() => createJwtVerifier({ publicKey: String(weak) })).toThrow(/2048/)
    const x25519 = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'pem' })
    expect(() => createJwtVerifier({ publicKey: String(x25519) })).toThrow(/JWT_PUBLIC_KEY key type x25519/)
  })
})

describe('secret mode (HS256)', () => {
  const secret = 'a-very-long-shared-secret-of-32+bytes!'

  test('HS256 passes', async () => {
    const verifier = createJwtVerifier({ secret, audience: AUDIENCE })
    expect(verifier.algorithms).toEqual(['HS256'])
    const token = await sign(new TextEncoder().encode(secret), { sub: 'user_9' }, { alg: 'HS256' })
    expect(await verifier.verify(token)).toMatchObject({ account: 'user_9', subject: 'user_9' })
  })

  test('a 31-byte secret is refused at construction; 32 bytes is enough', () => {
    expect(() => createJwtVerifier({ secret: 'x'.repeat(31) })).toThrow('JWT_SECRET must be at least 32 bytes')
    expect(() => createJwtVerifier({ secret: new Uint8Array(31) })).toThrow('JWT_SECRET must be at least 32 bytes')
    expect(() => createJwtVerifier({ secret: 'x'.repeat(32) })).not.toThrow()
  })

  test('RS256, HS512, a wrong secret and alg:none are refused', async () => {
    const verifier = createJwtVerifier({ secret })
    await expectUnauthorized(verifier.verify(await signWith(rsa)), 'token algorithm not allowed')
    const hs512 = await sign(new TextEncoder().encode(secret), { sub: 'u' }, { alg: 'HS512' })
    await expectUnauthorized(verifier.verify(hs512), 'token algorithm not allowed')
    const wrong = await sign(new TextEncoder().encode('b'.repeat(32)), { sub: 'u' }, { alg: 'HS256' })
    await expectUnauthorized(verifier.verify(wrong), 'invalid token signature')
    await expectUnauthorized(verifier.verify(unsignedToken({ sub: 'u', exp: nowSeconds() + 60 })))
  })
})

describe('configuration', () => {
  test('exactly one key source', () => {
    expect(() => createJwtVerifier({})).toThrow(/JWT_JWKS_URL, JWT_PUBLIC_KEY or JWT_SECRET/)
    expect(() => createJwtVerifier({ jwksUrl: '', secret: '' })).toThrow(/one of/)
    expect(() => createJwtVerifier({ jwksUrl, secret: 'x'.repeat(32) })).toThrow(/only one/)
  })

  test('JWKS URL must be https except on loopback', () => {
    expect(() => createJwtVerifier({ jwksUrl: 'not a url' })).toThrow(/JWT_JWKS_URL/)
    expect(() => createJwtVerifier({ jwksUrl: 'ftp://example.com/jwks' })).toThrow(/JWT_JWKS_URL/)
    expect(() => createJwtVerifier({ jwksUrl: 'http://idp.example.com/jwks' })).toThrow(/https/)
    expect(() => createJwtVerifier({ jwksUrl: 'https://user:pw@idp.example.com/jwks' })).toThrow(/credentials/)
    expect(() => createJwtVerifier({ jwksUrl: 'http://idp.internal/jwks', allowInsecureJwksUrl: true })).not.toThrow()
    expect(() => createJwtVerifier({ jwksUrl: 'https://api.workos.com/sso/jwks/client_123' })).not.toThrow()
  })

  test('other options are validated', () => {
    expect(() => createJwtVerifier({ jwksUrl, clockToleranceSeconds: -1 })).toThrow(/clockToleranceSeconds/)
    expect(() => createJwtVerifier({ jwksUrl, audience: [] })).toThrow(/JWT_AUDIENCE/)
    expect(() => createJwtVerifier({ jwksUrl, issuer: ' ' })).toThrow(/JWT_ISSUER/)
    expect(() => createJwtVerifier({ jwksUrl, accountClaim: '' })).toThrow(/JWT_ACCOUNT_CLAIM/)
    expect(() => createJwtVerifier({ jwksUrl, algorithms: ['HS256'] })).toThrow(/does not match/)
    expect(() => createJwtVerifier({ secret: 'x'.repeat(32), algorithms: ['RS256'] })).toThrow(/does not match/)
    expect(createJwtVerifier({ jwksUrl, algorithms: ['RS256'] }).algorithms).toEqual(['RS256'])
  })
})

describe('looksLikeJwt', () => {
  test('tells a JWT from an API key', async () => {
    expect(looksLikeJwt(await signWith(rsa))).toBe(true)
    expect(looksLikeJwt('wws_abcdefghijkl_' + 'A'.repeat(43))).toBe(false)
    expect(looksLikeJwt('')).toBe(false)
    expect(looksLikeJwt('a.b.c')).toBe(false) // header is not JSON
    expect(looksLikeJwt(`${base64url.encode('{"typ":"JWT"}')}.e30.sig`)).toBe(false) // no alg
    expect(looksLikeJwt(`${base64url.encode('[1]')}.e30.sig`)).toBe(false)
    expect(looksLikeJwt(`${base64url.encode('{"alg":"HS256"}')}.e30`)).toBe(false) // two segments
    expect(looksLikeJwt(`${base64url.encode('{"alg":"HS256"}')}.e30.a.b`)).toBe(false)
    expect(looksLikeJwt(`${base64url.encode('{"alg":"HS256"}')}.e30.s+g`)).toBe(false) // not base64url
    expect(looksLikeJwt(unsignedToken({ sub: 'x' }))).toBe(true)
  })
})
