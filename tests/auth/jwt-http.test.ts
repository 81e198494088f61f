/**
 * JWT authentication end to end: a JWKS served on 127.0.0.1 by the test, tokens sent to
 * the app as `Authorization: Bearer`, every rejection a 401 envelope with WWW-Authenticate.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { exportSPKI, base64url } from 'jose'
import { createHmac } from 'node:crypto'
import { rmSync } from 'node:fs'
import { ConfigError } from '../../src/config'
import { createTestServer, tempDir, type TestServer, ADMIN_KEY } from '../helpers/app'
import { AUDIENCE, ISSUER, jwtEnv, makeKey, nowSeconds, serveJwks, signToken, type JwksServer, type TestKey } from '../helpers/jwks'

let jwks: JwksServer
let server: TestServer
let rsa: TestKey
let ec: TestKey
let stranger: TestKey

const bearer = (token: string) => ({ key: null, headers: { authorization: `Bearer ${token}` } })

beforeAll(async () => {
  ;[rsa, ec, stranger] = await Promise.all([makeKey('RS256', 'rsa-1'), makeKey('ES256', 'ec-1'), makeKey('RS256', 'rsa-1')])
  jwks = serveJwks([rsa, ec])
  // Rate limits off: this file sends many rejected tokens on purpose.
  server = await createTestServer({ ...jwtEnv(jwks), RATE_LIMIT_PER_MINUTE: '0', AUTH_FAILURES_PER_MINUTE: '0' })
})
afterAll(async () => {
  await server.close()
  await jwks.stop()
})

async function expect401(options: Parameters<TestServer['call']>[2], reason: string | RegExp) {
  const response = await server.call('GET', '/sessions', options)
  expect(response.status).toBe(401)
  expect(response.body).toMatchObject({ code: 'UNAUTHORIZED', statusCode: 401 })
  expect((response.body as { error: string }).error).toMatch(reason)
  expect(response.headers.get('www-authenticate')).toContain('Bearer')
  return response
}

describe('tokens signed by a key in the JWKS pass', () => {
  test('RS256 (RSA): the account is org_id', async () => {
    const token = await signToken(rsa, { sub: 'user_1', org_id: 'org_rsa' })
    const started = await server.call('POST', '/966500000101/start', bearer(token))
    expect(started.status).toBe(200)
    expect((started.body.session as { accountId: string }).accountId).toBe('org_rsa')
    const list = await server.call<{ sessions: { phoneNumber: string }[] }>('GET', '/sessions', bearer(token))
    expect(list.status).toBe(200)
    expect(list.body.sessions.map((s) => s.phoneNumber)).toEqual(['966500000101'])
  })

  test('ES256 (EC P-256); without org_id the account is sub', async () => {
    const token = await signToken(ec, { sub: 'user_solo' })
    const started = await server.call('POST', '/966500000102/start', bearer(token))
    expect(started.status).toBe(200)
    expect((started.body.session as { accountId: string }).accountId).toBe('user_solo')
  })

  test('the Bearer scheme name is case-insensitive', async () => {
    const token = await signToken(rsa, { sub: 'user_1', org_id: 'org_rsa' })
    const response = await server.call('GET', '/sessions', { key: null, headers: { authorization: `bearer ${token}` } })
    expect(response.status).toBe(200)
  })
})

describe('each rejection is a 401 with WWW-Authenticate', () => {
  test('no token', async () => {
    await expect401({ key: null }, /Missing credentials/)
  })

  test('an Authorization header that is not Bearer', async () => {
    await expect401({ key: null, headers: { authorization: 'Basic dXNlcjpwYXNz' } }, /Bearer/)
  })

  test('garbage', async () => {
    await expect401(bearer('not-a-token'), /Invalid API key/)
    await expect401(bearer('aaa.bbb.ccc'), /Invalid API key/)
    await expect401(bearer(`${base64url.encode('{"alg":"RS256"}')}.bm90IGpzb24.c2ln`), /invalid token signature|malformed/)
  })

  test('expired', async () => {
    const token = await signToken(rsa, { sub: 'u', org_id: 'o' }, { exp: nowSeconds() - 600 })
    await expect401(bearer(token), 'token expired')
  })

  test('not yet valid', async () => {
    const token = await signToken(rsa, { sub: 'u', org_id: 'o' }, { nbf: nowSeconds() + 600 })
    await expect401(bearer(token), 'token not yet valid')
  })

  test('wrong issuer', async () => {
    const token = await signToken(rsa, { sub: 'u', org_id: 'o' }, { iss: 'https://evil.example.test' })
    await expect401(bearer(token), 'wrong issuer')
  })

  test('wrong audience', async () => {
    const token = await signToken(rsa, { sub: 'u', org_id: 'o' }, { aud: 'someone-else' })
    await expect401(bearer(token), 'wrong audience')
  })

  test('unsigned (alg: none)', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))
    const payload = base64url.encode(JSON.stringify({ sub: 'u', org_id: 'o', iss: ISSUER, aud: AUDIENCE, exp: nowSeconds() + 300 }))
    await expect401(bearer(`${header}.${payload}.`), 'token algorithm not allowed')
  })

  test('HS256 signed with the public key (algorithm confusion)', async () => {
    const pem = await exportSPKI(rsa.publicKey)
    const header = base64url.encode(JSON.stringify({ alg: 'HS256', kid: rsa.kid }))
    const payload = base64url.encode(JSON.stringify({ sub: 'u', org_id: 'o', iss: ISSUER, aud: AUDIENCE, exp: nowSeconds() + 300 }))
    const signature = createHmac('sha256', pem).update(`${header}.${payload}`).digest('base64url')
    await expect401(bearer(`${header}.${payload}.${signature}`), 'token algorithm not allowed')
  })

  test('unknown kid', async () => {
    const token = await signToken(rsa, { sub: 'u', org_id: 'o' }, { kid: 'nobody-knows-me' })
    await expect401(bearer(token), 'no matching signing key')
  })

  test('signed by another key under a published kid', async () => {
    const token = await signToken(stranger, { sub: 'u', org_id: 'o' })
    await expect401(bearer(token), 'invalid token signature')
  })

  test('a JWT sent as X-Api-Key is not a JWT login (X-Api-Key is for API keys only)', async () => {
    const token = await signToken(rsa, { sub: 'u', org_id: 'o' })
    await expect401({ key: token }, /Invalid API key/)
  })

  test('a token in the query string is ignored', async () => {
    const token = await signToken(rsa, { sub: 'u', org_id: 'o' })
    const response = await server.request('GET', `/sessions?access_token=${token}&api_key=${token}`, { key: null })
    expect(response.status).toBe(401)
  })

  test('so is the admin key in the query string (access_token, as @elysiajs/bearer would read it), on every guard', async () => {
    for (const path of ['/sessions', `/15550001111/state`, '/webhook/message']) {
      const method = path.startsWith('/webhook') ? 'POST' : 'GET'
      const response = await server.request(method, `${path}?access_token=${ADMIN_KEY}&api_key=${ADMIN_KEY}&x-api-key=${ADMIN_KEY}`, { key: null, ...(method === 'POST' && { body: {} }) })
      expect({ path, status: response.status }).toEqual({ path, status: 401 })
    }
  })

  test('no 401 leaks a stack or key material', async () => {
    const token = await signToken(stranger, { sub: 'u', org_id: 'o' })
    const response = await server.request('GET', '/sessions', bearer(token))
    const text = await response.text()
    expect(text).not.toContain('at ')
    expect(text).not.toContain(String(rsa.jwk.n).slice(0, 20))
  })
})

describe('key rotation', () => {
  test('a key published later under a new kid is picked up without a restart', async () => {
    const next = await makeKey('ES256', 'ec-2')
    const early = await signToken(next, { sub: 'u', org_id: 'org_rotate' })
    // Not published yet: unknown kid.
    expect((await server.call('GET', '/sessions', bearer(early))).status).toBe(401)

    const fetchesBefore = jwks.fetches
    jwks.keys = [rsa, ec, next]
    const token = await signToken(next, { sub: 'u', org_id: 'org_rotate' })
    const accepted = await server.call('GET', '/sessions', bearer(token))
    expect(accepted.status).toBe(200)
    expect(jwks.fetches).toBeGreaterThan(fetchesBefore)

    // The cached set answers known kids without refetching.
    const fetchesAfter = jwks.fetches
    expect((await server.call('GET', '/sessions', bearer(await signToken(rsa, { sub: 'u', org_id: 'o' })))).status).toBe(200)
    expect(jwks.fetches).toBe(fetchesAfter)
  })
})

describe('HS256 secret mode', () => {
  test('a token signed with JWT_SECRET passes; one signed with another secret is 401', async () => {
    const secret = 'a-shared-secret-of-at-least-32-bytes!!'
    const hs = await createTestServer({ JWT_SECRET: secret, RATE_LIMIT_PER_MINUTE: '0' })
    try {
      const sign = (key: string) => {
        const header = base64url.encode(JSON.stringify({ alg: 'HS256' }))
        const payload = base64url.encode(JSON.stringify({ sub: 'user_hs', exp: nowSeconds() + 60 }))
        return `${header}.${payload}.${createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url')}`
      }
      expect((await hs.call('GET', '/sessions', bearer(sign(secret)))).status).toBe(200)
      const wrong = await hs.call('GET', '/sessions', bearer(sign('another-secret-of-at-least-32-bytes!!!')))
      expect(wrong.status).toBe(401)
      expect(wrong.headers.get('www-authenticate')).toContain('Bearer')
    } finally {
      await hs.close()
    }
  })

  test('a JWT on a server without JWT configuration is a 401 naming the reason', async () => {
    const plain = await createTestServer()
    try {
      const token = await signToken(rsa, { sub: 'u' })
      const response = await plain.call('GET', '/sessions', bearer(token))
      expect(response.status).toBe(401)
      expect((response.body as { error: string }).error).toMatch(/not configured/)
    } finally {
      await plain.close()
    }
  })
})

describe('configuration', () => {
  const refusedAtBoot = async (env: Record<string, string>, message: RegExp) => {
    const dataDir = tempDir()
    try {
      const boot = createTestServer(env, {}, dataDir)
      await expect(boot).rejects.toBeInstanceOf(ConfigError)
      await expect(boot).rejects.toThrow(message)
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }

  test('a JWT_SECRET shorter than 32 bytes stops the boot', async () => {
    await refusedAtBoot({ JWT_SECRET: 'too-short' }, /JWT_SECRET must be at least 32 bytes/)
  })

  test('an unusable JWT_PUBLIC_KEY stops the boot with a configuration error', async () => {
    await refusedAtBoot({ JWT_PUBLIC_KEY: '{"kty":"oct","k":"AAAA"}' }, /use JWT_SECRET/)
  })
})
