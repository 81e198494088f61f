/**
 * Rate limits through HTTP: per credential on the whole API, lower on sends, per IP on
 * failed authentication. The limiter's clock is injected and stepped, so nothing sleeps.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import { SignJWT } from 'jose'
import { API_BASE } from '../../src/app'
import { authGuards } from '../../src/auth/guards'
import { isSendRoute } from '../../src/auth/request-limits'
import { errorsPlugin } from '../../src/http/errors'
import { ADMIN_KEY, createTestServer, type RequestOptions, type TestServer } from '../helpers/app'

const START = Date.parse('2030-01-01T00:00:00.000Z')
const PHONE = '966500000401'
const JWT_SECRET = 'a-shared-secret-of-at-least-32-bytes!!'

let server: TestServer | undefined
let clock = START

afterEach(async () => {
  await server?.close()
  server = undefined
})

async function boot(env: Record<string, string>): Promise<TestServer> {
  clock = START
  server = await createTestServer(env, { now: () => clock })
  return server
}

async function accountKey(s: TestServer, accountId: string): Promise<RequestOptions> {
  const created = await s.call<{ key: string }>('POST', '/api-keys', { body: { name: 'k', accountId } })
  return { key: created.body.key }
}

function headersOf(response: { headers: Headers }) {
  return {
    limit: response.headers.get('ratelimit-limit'),
    remaining: response.headers.get('ratelimit-remaining'),
    reset: response.headers.get('ratelimit-reset'),
    retryAfter: response.headers.get('retry-after'),
  }
}

describe('per-credential limit on the whole API', () => {
  test('over the limit is 429 RATE_LIMITED with Retry-After; requests pass again once it has passed', async () => {
    const s = await boot({ RATE_LIMIT_PER_MINUTE: '3' })
    const keyA = await accountKey(s, 'org_a') // the admin's request: its own bucket
    const seen = []
    for (let i = 0; i < 3; i++) {
      const response = await s.call('GET', '/sessions', keyA)
      expect(response.status).toBe(200)
      seen.push(headersOf(response))
    }
    expect(seen.map((h) => h.remaining)).toEqual(['2', '1', '0'])
    expect(seen.every((h) => h.limit === '3' && h.retryAfter === null)).toBe(true)

    const refused = await s.call('GET', '/sessions', keyA)
    expect(refused.status).toBe(429)
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', statusCode: 429, details: { retryAfter: 20 } })
    expect(headersOf(refused)).toEqual({ limit: '3', remaining: '0', reset: '60', retryAfter: '20' })

    // Other credentials have their own budget.
    expect((await s.call('GET', '/sessions', await accountKey(s, 'org_b'))).status).toBe(200)
    expect((await s.call('GET', '/sessions')).status).toBe(200)

    clock += 19_000
    expect((await s.call('GET', '/sessions', keyA)).status).toBe(429)
    clock += 1_000
    const again = await s.call('GET', '/sessions', keyA)
    expect(again.status).toBe(200)
    expect(headersOf(again).remaining).toBe('0')
    clock += 60_000
    expect(headersOf(await s.call('GET', '/sessions', keyA)).remaining).toBe('2')
  })

  test('refused requests cost nothing, and errors after authentication still carry RateLimit headers', async () => {
    const s = await boot({ RATE_LIMIT_PER_MINUTE: '2' })
    const missing = await s.call('GET', `/${PHONE}/state`)
    expect(missing.status).toBe(404)
    expect(headersOf(missing)).toMatchObject({ limit: '2', remaining: '1' })
    expect((await s.call('GET', '/sessions')).status).toBe(200)
    for (let i = 0; i < 5; i++) expect((await s.call('GET', '/sessions')).status).toBe(429)
    clock += 30_000
    expect((await s.call('GET', '/sessions')).status).toBe(200)
  })

  test('a JWT account is one credential, whichever token it presents', async () => {
    const s = await boot({ RATE_LIMIT_PER_MINUTE: '2', JWT_SECRET })
    const token = (sub: string) =>
      new SignJWT({ org_id: 'org_jwt' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(sub)
        .setExpirationTime(Math.floor(Date.now() / 1000) + 300)
        .sign(new TextEncoder().encode(JWT_SECRET))
    const as = async (sub: string): Promise<RequestOptions> => ({ key: null, headers: { authorization: `Bearer ${await token(sub)}` } })
    expect((await s.call('GET', '/sessions', await as('user_1'))).status).toBe(200)
    expect((await s.call('GET', '/sessions', await as('user_2'))).status).toBe(200)
    expect((await s.call('GET', '/sessions', await as('user_3'))).status).toBe(429)
  })

  test('public routes are not limited and carry no RateLimit headers', async () => {
    const s = await boot({ RATE_LIMIT_PER_MINUTE: '1' })
    for (let i = 0; i < 5; i++) {
      for (const path of ['/health', '/swagger/json']) {
        const response = await s.call('GET', path, { key: null })
        expect(response.status).toBe(200)
        expect(response.headers.get('ratelimit-limit')).toBeNull()
      }
    }
  })

  test('0 turns the limit off', async () => {
    const s = await boot({ RATE_LIMIT_PER_MINUTE: '0' })
    for (let i = 0; i < 50; i++) {
      const response = await s.call('GET', '/sessions')
      expect(response.status).toBe(200)
      expect(response.headers.get('ratelimit-limit')).toBeNull()
    }
  })
})

describe('the send limit', () => {
  test('recognises send routes by method and path pattern', () => {
    for (const path of ['send-text', 'send-image', 'send-file', 'send-voice', 'send-poll', 'send-contact', 'messages/:messageId/forward', 'messages/:id/forward', 'status']) {
      expect(isSendRoute('POST', `${API_BASE}/:phoneNumber/${path}`)).toBe(true)
    }
    for (const [method, path] of [
      ['GET', 'status'],
      ['GET', 'send-text'],
      ['POST', 'messages/:messageId/react'],
      ['POST', 'messages/:messageId/edit'],
      ['POST', 'chat/:chatId/seen'],
      ['POST', 'start'],
      ['GET', 'state'],
      ['POST', 'sandbox/incoming'],
    ]) {
      expect(isSendRoute(method!, `${API_BASE}/:phoneNumber/${path}`)).toBe(false)
    }
  })

  /**
   * The messaging routes live in another module; these stand-ins use the same guard and the
   * same path patterns, so the limit is proven on real route matching.
   */
  function appWithSendRoutes(s: TestServer) {
    const guardDeps = { authenticator: s.deps.authenticator, sessions: s.deps.sessions, limits: s.deps.limits }
    const sent = ({ phoneNumber }: { phoneNumber: string }) => ({ messageId: `sent-by-${phoneNumber}`, timestamp: 1 })
    return new Elysia()
      .use(errorsPlugin(s.deps.logger, s.config.maxBodyBytes))
      .use(
        new Elysia({ prefix: API_BASE })
          .use(authGuards(guardDeps))
          .post('/:phoneNumber/send-text', sent, { requireSingleAccountProtected: true })
          .post('/:phoneNumber/send-image', sent, { requireSingleAccountProtected: true })
          .post('/:phoneNumber/messages/:messageId/forward', sent, { requireSingleAccountProtected: true })
          .post('/:phoneNumber/status', sent, { requireSingleAccountProtected: true })
          .get('/:phoneNumber/messages', () => ({ messages: [] }), { requireSingleAccountProtected: true }),
      )
  }

  test('sends have their own, lower budget; other requests keep going', async () => {
    const s = await boot({ RATE_LIMIT_PER_MINUTE: '100', RATE_LIMIT_SENDS_PER_MINUTE: '3' })
    const app = appWithSendRoutes(s)
    const call = (method: string, path: string, key = ADMIN_KEY) =>
      app.handle(new Request(`http://localhost${API_BASE}/${PHONE}${path}`, { method, headers: { 'x-api-key': key } }))

    const first = await call('POST', '/send-text')
    expect(first.status).toBe(200)
    expect(headersOf(first)).toMatchObject({ limit: '3', remaining: '2' })
    expect((await call('POST', '/messages/ABC/forward')).status).toBe(200)
    expect((await call('POST', '/status')).status).toBe(200)

    const refused = await call('POST', '/send-image')
    expect(refused.status).toBe(429)
    expect(await refused.json()).toMatchObject({ code: 'RATE_LIMITED', error: expect.stringContaining('sends') })
    expect(headersOf(refused)).toMatchObject({ limit: '3', remaining: '0', retryAfter: '20' })

    // Not a send: the global limit (100) still has room.
    const read = await call('GET', '/messages')
    expect(read.status).toBe(200)
    expect(headersOf(read)).toMatchObject({ limit: '100' })
    expect(Number(headersOf(read).remaining)).toBeLessThan(100)

    // Another credential sends freely.
    const other = await s.call<{ key: string }>('POST', '/api-keys', { body: { name: 'k', accountId: 'org_b' } })
    expect((await call('POST', '/send-text', other.body.key)).status).toBe(200)

    clock += 20_000
    expect((await call('POST', '/send-text')).status).toBe(200)
  })

  test('sends also count against the global limit', async () => {
    const s = await boot({ RATE_LIMIT_PER_MINUTE: '2', RATE_LIMIT_SENDS_PER_MINUTE: '10' })
    const app = appWithSendRoutes(s)
    const send = () => app.handle(new Request(`http://localhost${API_BASE}/${PHONE}/send-text`, { method: 'POST', headers: { 'x-api-key': ADMIN_KEY } }))
    expect((await send()).status).toBe(200)
    expect((await send()).status).toBe(200)
    const refused = await send()
    expect(refused.status).toBe(429)
    expect(await refused.json()).toMatchObject({ error: expect.stringContaining('requests') })
  })
})

describe('failed authentication per client IP', () => {
  test('past the limit an IP gets 429 for failures, never for a valid credential, until its budget refills', async () => {
    const s = await boot({ AUTH_FAILURES_PER_MINUTE: '3', RATE_LIMIT_PER_MINUTE: '0' })
    const listening = s.app.listen({ hostname: '127.0.0.1', port: 0 })
    try {
      const base = `http://127.0.0.1:${listening.server!.port}${API_BASE}`
      const get = (key: string) => fetch(`${base}/sessions`, { headers: { 'x-api-key': key } })

      // Successes never count.
      for (let i = 0; i < 10; i++) expect((await get(ADMIN_KEY)).status).toBe(200)
      for (let i = 0; i < 3; i++) expect((await get(`wrong-key-${i}-0123456789`)).status).toBe(401)

      const blocked = await get('wrong-key-3-0123456789')
      expect(blocked.status).toBe(429)
      expect(blocked.headers.get('retry-after')).toBe('20')
      expect(await blocked.json()).toMatchObject({ code: 'RATE_LIMITED', error: expect.stringContaining('failed authentication') })
      // A valid credential is never refused for its address: a few wrong keys from the same
      // proxy or NAT cannot lock the admin out.
      expect((await get(ADMIN_KEY)).status).toBe(200)
      expect((await get('wrong-key-3b-0123456789')).status).toBe(429)
      // Public routes stay open.
      expect((await fetch(`${base}/health`)).status).toBe(200)

      clock += 20_000
      expect((await get(ADMIN_KEY)).status).toBe(200)
      // One more failure fits in the refilled budget; the next is refused again.
      expect((await get('wrong-key-4-0123456789')).status).toBe(401)
      expect((await get('wrong-key-5-0123456789')).status).toBe(429)
    } finally {
      await listening.stop(true)
    }
  })

  test('behind a proxy, without TRUST_PROXY, X-Forwarded-For is ignored: every client is the peer', async () => {
    const s = await boot({ AUTH_FAILURES_PER_MINUTE: '2', RATE_LIMIT_PER_MINUTE: '0' })
    const listening = s.app.listen({ hostname: '127.0.0.1', port: 0 })
    try {
      const get = (key: string, forwardedFor: string) =>
        fetch(`http://127.0.0.1:${listening.server!.port}${API_BASE}/sessions`, { headers: { 'x-api-key': key, 'x-forwarded-for': forwardedFor } })
      expect((await get('wrong-key-0-0123456789', '203.0.113.1')).status).toBe(401)
      expect((await get('wrong-key-1-0123456789', '203.0.113.2')).status).toBe(401)
      // A forged header does not buy a fresh budget.
      expect((await get('wrong-key-2-0123456789', '203.0.113.3')).status).toBe(429)
      expect((await get(ADMIN_KEY, '203.0.113.4')).status).toBe(200)
    } finally {
      await listening.stop(true)
    }
  })

  for (const [trust, label] of [
    ['1', 'a hop count'],
    ['127.0.0.0/8,::1', 'the proxies’ CIDRs'],
  ] as const) {
    test(`TRUST_PROXY as ${label}: X-Forwarded-For names the client, so one client's failures do not block another`, async () => {
      const s = await boot({ AUTH_FAILURES_PER_MINUTE: '2', RATE_LIMIT_PER_MINUTE: '0', TRUST_PROXY: trust })
      const listening = s.app.listen({ hostname: '127.0.0.1', port: 0 })
      try {
        const get = (key: string, forwardedFor: string) =>
          fetch(`http://127.0.0.1:${listening.server!.port}${API_BASE}/sessions`, { headers: { 'x-api-key': key, 'x-forwarded-for': forwardedFor } })
        // The attacker forges an address in front; the proxy (the peer) appended the real one.
        for (let i = 0; i < 2; i++) expect((await get(`wrong-key-${i}-0123456789`, `198.51.100.${i}, 203.0.113.66`)).status).toBe(401)
        expect((await get('wrong-key-2-0123456789', '198.51.100.9, 203.0.113.66')).status).toBe(429)
        // Another client behind the same proxy still gets plain 401s, and the admin gets in.
        expect((await get('wrong-key-3-0123456789', '203.0.113.77')).status).toBe(401)
        expect((await get(ADMIN_KEY, '203.0.113.66')).status).toBe(200)
      } finally {
        await listening.stop(true)
      }
    })
  }

  test('without a peer address (in-process app.handle) failures are not attributed to anyone', async () => {
    const s = await boot({ AUTH_FAILURES_PER_MINUTE: '1' })
    for (let i = 0; i < 5; i++) expect((await s.call('GET', '/sessions', { key: 'wrong-key-0123456789' })).status).toBe(401)
    expect((await s.call('GET', '/sessions')).status).toBe(200)
  })
})
