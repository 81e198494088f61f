/**
 * Single-account enforcement over the app's whole route table: every route with a
 * `:phoneNumber` is found in `app.routes` (none hand-picked), its other params and body
 * filled from the schemas' own examples, and called as each kind of caller.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { API_BASE } from '../../src/app'
import { ForbiddenError } from '../../src/errors'
import { createTestServer, waitFor, type RequestOptions, type TestServer } from '../helpers/app'
import { jwtEnv, makeKey, serveJwks, signToken, type JwksServer } from '../helpers/jwks'

const PHONE_A = '966500000301'
const PHONE_A2 = '966500000302'
const PHONE_ADMIN = '966500000303'

interface Route {
  method: string
  path: string
  params?: Schema
  body?: Schema
}
interface Schema {
  examples?: unknown[]
  properties?: Record<string, Schema>
}

let jwks: JwksServer
let server: TestServer
let routes: Route[]
let frontendA: RequestOptions
let backendB: RequestOptions
let restrictedA: RequestOptions

const bearer = (token: string): RequestOptions => ({ key: null, headers: { authorization: `Bearer ${token}` } })

async function accountKey(accountId: string, phoneNumber?: string): Promise<RequestOptions> {
  const created = await server.call<{ key: string }>('POST', '/api-keys', { body: { name: `${accountId} backend`, accountId, ...(phoneNumber && { phoneNumber }) } })
  if (created.status !== 201) throw new Error(`key for ${accountId}: ${created.status}`)
  return { key: created.body.key }
}

/** The request path of a route for a number: `:phoneNumber` set, other params from their schema's example. */
function pathFor(route: Route, phoneNumber: string): string {
  const relative = route.path.slice(API_BASE.length)
  return relative.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    if (name === 'phoneNumber') return phoneNumber
    const example = route.params?.properties?.[name]?.examples?.[0]
    return encodeURIComponent(typeof example === 'string' ? example : 'x')
  })
}

async function callRoute(route: Route, phoneNumber: string, as: RequestOptions) {
  const example = route.body?.examples?.[0]
  const withBody = route.method !== 'GET' && route.method !== 'HEAD'
  const response = await server.request(route.method, pathFor(route, phoneNumber), {
    ...as,
    ...(withBody && { body: example ?? {} }),
  })
  // A live stream (SSE) never ends: the status is the answer, the body is dropped.
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
    await response.body?.cancel()
    return { status: response.status, text: '' }
  }
  const text = await response.text().catch(() => '')
  return { status: response.status, text }
}

/** Puts the number back in its owner's hands if a previous call (delete, logout) released it. */
async function ensureOwned(phoneNumber: string, owner: RequestOptions): Promise<void> {
  if (await server.deps.sessions.find(phoneNumber)) return
  const started = await server.call('POST', `/${phoneNumber}/start`, owner)
  if (started.status !== 200) throw new Error(`re-claim ${phoneNumber}: ${started.status}`)
}

beforeAll(async () => {
  const key = await makeKey('RS256', 'k1')
  jwks = serveJwks([key])
  server = await createTestServer({ ...jwtEnv(jwks), RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_SENDS_PER_MINUTE: '0' })
  frontendA = bearer(await signToken(key, { sub: 'user_a', org_id: 'org_a' }, { exp: Math.floor(Date.now() / 1000) + 3600 }))
  backendB = await accountKey('org_b')
  restrictedA = await accountKey('org_a', PHONE_A)

  routes = server.app.routes
    .filter((route) => route.path.startsWith('/api/whatsapp/') && route.path.includes(':phoneNumber'))
    .map((route) => ({
      method: route.method,
      path: route.path,
      params: route.hooks?.params as Schema | undefined,
      body: route.hooks?.body as Schema | undefined,
    }))

  // Account A (a JWT frontend) claims two numbers and links one.
  await server.link(PHONE_A, frontendA)
  expect((await server.call('POST', `/${PHONE_A2}/start`, frontendA)).status).toBe(200)
})
afterAll(async () => {
  await server.close()
  await jwks.stop()
})

describe('the route table', () => {
  test('has the number routes this matrix must cover', () => {
    const seen = routes.map((r) => `${r.method} ${r.path.slice(API_BASE.length)}`)
    // A floor, not the list: routes added later are covered without touching this file.
    for (const known of ['POST /:phoneNumber/start', 'GET /:phoneNumber/state', 'DELETE /:phoneNumber', 'GET /:phoneNumber/qr']) {
      expect(seen).toContain(known)
    }
    expect(routes.length).toBeGreaterThanOrEqual(10)
  })
})

describe('ownership matrix', () => {
  test('without credentials every number route is 401 with WWW-Authenticate', async () => {
    for (const route of routes) {
      const response = await server.request(route.method, pathFor(route, PHONE_A), { key: null, body: route.body?.examples?.[0] ?? {} })
      expect({ route: `${route.method} ${route.path}`, status: response.status }).toEqual({ route: `${route.method} ${route.path}`, status: 401 })
      expect(response.headers.get('www-authenticate')).toContain('Bearer')
    }
  })

  test("another account gets 403 FORBIDDEN on every route of A's number", async () => {
    for (const route of routes) {
      await ensureOwned(PHONE_A, frontendA)
      const result = await callRoute(route, PHONE_A, backendB)
      expect({ route: `${route.method} ${route.path}`, status: result.status }).toEqual({ route: `${route.method} ${route.path}`, status: 403 })
      expect(JSON.parse(result.text)).toMatchObject({ code: 'FORBIDDEN', statusCode: 403 })
    }
    // Nothing B did reached the session.
    expect((await server.call('GET', `/${PHONE_A}/state`, frontendA)).body).toMatchObject({ status: 'WORKING' })
  })

  test('a key restricted to one number gets 403 on every route of another number of its own account', async () => {
    for (const route of routes) {
      await ensureOwned(PHONE_A2, frontendA)
      const result = await callRoute(route, PHONE_A2, restrictedA)
      expect({ route: `${route.method} ${route.path}`, status: result.status }).toEqual({ route: `${route.method} ${route.path}`, status: 403 })
    }
    // …and on a number nobody has claimed yet, which it therefore cannot claim.
    const unclaimed = await server.call('POST', '/966500000399/start', restrictedA)
    expect(unclaimed.status).toBe(403)
    expect(await server.deps.sessions.find('966500000399')).toBeUndefined()
  })

  test('the owner and the admin pass the guard on every route', async () => {
    for (const [who, as] of [['owner', frontendA], ['restricted key on its number', restrictedA], ['admin', {}]] as const) {
      for (const route of routes) {
        await ensureOwned(PHONE_A, frontendA)
        const result = await callRoute(route, PHONE_A, as)
        expect({ who, route: `${route.method} ${route.path}`, denied: [401, 403].includes(result.status) }).toEqual({
          who,
          route: `${route.method} ${route.path}`,
          denied: false,
        })
      }
    }
  })
})

describe('claiming numbers', () => {
  test('the first account to start a number owns it; a concurrent start by another account is 403', async () => {
    const phone = '966500000310'
    const results = await Promise.all([
      server.call('POST', `/${phone}/start`, frontendA),
      server.call('POST', `/${phone}/start`, backendB),
      server.call('POST', `/${phone}/start`, frontendA),
      server.call('POST', `/${phone}/start`, backendB),
    ])
    const owner = (await server.deps.sessions.find(phone))!.accountId
    const statuses = results.map((r) => r.status)
    expect(statuses.filter((s) => s === 200).length).toBe(2)
    expect(statuses.filter((s) => s === 403).length).toBe(2)
    expect(statuses).toEqual(owner === 'org_a' ? [200, 403, 200, 403] : [403, 200, 403, 200])
  })

  test('the session manager re-checks the owner under the number lock (the guard alone could race)', async () => {
    const phone = '966500000314'
    await server.deps.sessions.start(phone, { accountId: 'org_a', requireOwner: 'org_a' })
    // As if B had passed the guard just before A's start created the row.
    await expect(server.deps.sessions.start(phone, { accountId: 'org_b', requireOwner: 'org_b' })).rejects.toBeInstanceOf(ForbiddenError)
    expect((await server.deps.sessions.find(phone))!.accountId).toBe('org_a')
    // Without the expectation (the admin's start) the owner is kept, never replaced.
    await server.deps.sessions.start(phone, { accountId: 'org_b' })
    expect((await server.deps.sessions.find(phone))!.accountId).toBe('org_a')
  })

  test('the admin starts a number on behalf of an account, which then owns it', async () => {
    const phone = '966500000311'
    const started = await server.call('POST', `/${phone}/start`, { body: { accountId: 'org_b' } })
    expect(started.status).toBe(200)
    expect((started.body.session as { accountId: string }).accountId).toBe('org_b')
    expect((await server.call('GET', `/${phone}/state`, backendB)).status).toBe(200)
    expect((await server.call('GET', `/${phone}/state`, frontendA)).status).toBe(403)
    // Only the admin may name an account.
    expect((await server.call('POST', '/966500000312/start', { ...backendB, body: { accountId: 'org_b' } })).status).toBe(403)
    // The admin cannot silently hand an owned number to someone else.
    const moved = await server.call('POST', `/${phone}/start`, { body: { accountId: 'org_a' } })
    expect(moved.status).toBe(409)
    expect((await server.deps.sessions.find(phone))!.accountId).toBe('org_b')
  })

  test("a number the admin started for no account is the admin's alone", async () => {
    expect((await server.call('POST', `/${PHONE_ADMIN}/start`)).status).toBe(200)
    for (const as of [frontendA, backendB]) {
      expect((await server.call('GET', `/${PHONE_ADMIN}/state`, as)).status).toBe(403)
      expect((await server.call('POST', `/${PHONE_ADMIN}/start`, as)).status).toBe(403)
    }
    expect((await server.deps.sessions.find(PHONE_ADMIN))!.accountId).toBeNull()
    // The admin may still assign it, running as it is.
    const assigned = await server.call('POST', `/${PHONE_ADMIN}/start`, { body: { accountId: 'org_b' } })
    expect((assigned.body.session as { accountId: string }).accountId).toBe('org_b')
    expect((await server.call('GET', `/${PHONE_ADMIN}/state`, backendB)).status).toBe(200)
  })

  test('deleting a number releases the claim', async () => {
    const phone = '966500000313'
    await server.call('POST', `/${phone}/start`, backendB)
    expect((await server.call('DELETE', `/${phone}`, backendB)).status).toBe(200)
    const claimed = await server.call('POST', `/${phone}/start`, frontendA)
    expect(claimed.status).toBe(200)
    expect((claimed.body.session as { accountId: string }).accountId).toBe('org_a')
  })
})

describe('a JWT frontend and an API-key backend share one server', () => {
  test("GET /sessions shows each only its own numbers; the admin sees all", async () => {
    const phoneB = '966500000320'
    await server.link(phoneB, backendB)
    const ofA = await server.call<{ sessions: { phoneNumber: string; accountId: string }[] }>('GET', '/sessions', frontendA)
    const ofB = await server.call<{ sessions: { phoneNumber: string; accountId: string }[] }>('GET', '/sessions', backendB)
    expect(ofA.status).toBe(200)
    expect(ofB.status).toBe(200)
    expect(ofA.body.sessions.length).toBeGreaterThan(0)
    expect(ofB.body.sessions.length).toBeGreaterThan(0)
    expect(ofA.body.sessions.every((s) => s.accountId === 'org_a')).toBe(true)
    expect(ofB.body.sessions.every((s) => s.accountId === 'org_b')).toBe(true)
    expect(ofA.body.sessions.map((s) => s.phoneNumber)).toContain(PHONE_A)
    expect(ofA.body.sessions.map((s) => s.phoneNumber)).not.toContain(phoneB)
    expect(ofB.body.sessions.map((s) => s.phoneNumber)).toContain(phoneB)
    expect(ofB.body.sessions.map((s) => s.phoneNumber)).not.toContain(PHONE_A)

    // A key restricted to one number lists only that number.
    const restricted = await server.call<{ sessions: { phoneNumber: string }[] }>('GET', '/sessions', restrictedA)
    expect(restricted.body.sessions.map((s) => s.phoneNumber)).toEqual([PHONE_A])

    const all = await server.call<{ sessions: { phoneNumber: string }[] }>('GET', '/sessions')
    expect(all.body.sessions.map((s) => s.phoneNumber)).toEqual(expect.arrayContaining([PHONE_A, phoneB]))

    // Each side's number works for it and is closed to the other.
    await waitFor(async () => (await server.call('GET', `/${phoneB}/state`, backendB)).body.status === 'WORKING')
    expect((await server.call('GET', `/${phoneB}/qr`, frontendA)).status).toBe(403)
    expect((await server.call('POST', `/${PHONE_A}/stop`, backendB)).status).toBe(403)
  })
})
