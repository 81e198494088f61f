import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { createApp } from '../../src/app'
import type { Principal } from '../../src/auth/principal'
import { UnauthorizedError } from '../../src/errors'
import { loadConfig } from '../../src/config'
import { createDeps } from '../../src/deps'
import { ADMIN_KEY, BASE, createTestServer, tempDir, testEnv, waitFor, type TestServer } from '../helpers/app'
import { startReceiver, type Receiver } from '../helpers/receiver'

const PHONE = '966500000001'
const OUTSIDER = '966511111111'
let server: TestServer
let receiver: Receiver

interface WebhookBody {
  id: string
  url: string
  events: string[]
  status: string
  signed: boolean
  secret?: string
  phoneNumber: string | null
  disabledReason: string | null
  headers: Record<string, string>
}

beforeEach(async () => {
  receiver = startReceiver()
  server = await createTestServer({ OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32', WEBHOOK_RETRY_BASE_MS: '20', WEBHOOK_RETRY_MAX_MS: '100' })
})
afterEach(async () => {
  await server.close()
  await receiver.close()
})

async function create(body: Record<string, unknown>, phone = PHONE) {
  return server.call<WebhookBody>('POST', `/${phone}/webhooks`, { body })
}

describe('webhook CRUD', () => {
  test('create, list, deliver, list deliveries, delete', async () => {
    await server.link(PHONE)
    const created = await create({ url: `${receiver.url}/hook`, events: ['message'], headers: { 'X-Receiver-Token': 'abc' }, generateSecret: true })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ phoneNumber: PHONE, url: `${receiver.url}/hook`, events: ['message'], status: 'active', signed: true, headers: { 'X-Receiver-Token': 'abc' } })
    expect(created.body.id).toMatch(/^wh_[0-9a-z]{26}$/)
    expect(created.body.secret).toMatch(/^whsec_/)

    const listed = await server.call<{ webhooks: WebhookBody[] }>('GET', `/${PHONE}/webhooks`)
    expect(listed.status).toBe(200)
    expect(listed.body.webhooks.map((w) => w.id)).toEqual([created.body.id])
    expect(listed.body.webhooks[0]!.secret).toBeUndefined()

    const sent = await server.call<{ messageId: string }>('POST', `/${PHONE}/sandbox/incoming`, { body: { from: OUTSIDER, text: 'hello' } })
    await waitFor(() => receiver.received.length === 1)
    const hit = receiver.received[0]!
    expect(hit.path).toBe('/hook')
    expect(hit.headers['x-receiver-token']).toBe('abc')
    expect(hit.json).toMatchObject({ event: 'message', session: PHONE, engine: 'SIMULATOR', payload: { id: sent.body.messageId, body: 'hello', fromMe: false } })

    await waitFor(async () => {
      const log = await server.call<{ deliveries: Array<{ status: string }> }>('GET', `/${PHONE}/webhooks/${created.body.id}/deliveries`)
      return log.body.deliveries[0]?.status === 'delivered'
    })
    const deliveries = await server.call<{ deliveries: Array<Record<string, unknown>> }>('GET', `/${PHONE}/webhooks/${created.body.id}/deliveries`)
    expect(deliveries.status).toBe(200)
    expect(deliveries.body.deliveries).toHaveLength(1)
    expect(deliveries.body.deliveries[0]).toMatchObject({ eventId: hit.json.id, event: 'message', status: 'delivered', attempts: 1, lastStatusCode: 200, lastError: null })
    expect((deliveries.body.deliveries[0]!.attemptLog as unknown[]).length).toBe(1)

    const deleted = await server.call('DELETE', `/${PHONE}/webhooks/${created.body.id}`)
    expect(deleted.status).toBe(200)
    expect(deleted.body).toEqual({ success: true, id: created.body.id })
    expect((await server.call<{ webhooks: unknown[] }>('GET', `/${PHONE}/webhooks`)).body.webhooks).toEqual([])
    await server.call('POST', `/${PHONE}/sandbox/incoming`, { body: { from: OUTSIDER, text: 'after delete' } })
    await server.deps.ingest.idle()
    await Bun.sleep(50)
    expect(receiver.received).toHaveLength(1)
  })

  test('the event filter: only the named events, or every one with *', async () => {
    await server.link(PHONE)
    const onlyAny = await create({ url: `${receiver.url}/any`, events: ['message.any'] })
    const all = await create({ url: `${receiver.url}/all`, events: ['*'] })
    expect(onlyAny.status).toBe(201)
    expect(all.status).toBe(201)
    await server.call('POST', `/${PHONE}/sandbox/incoming`, { body: { from: OUTSIDER, text: 'x' } })
    await waitFor(() => receiver.received.length === 3)
    await Bun.sleep(30)
    const byPath = (path: string) => receiver.received.filter((r) => r.path === path).map((r) => r.json.event).sort()
    expect(byPath('/any')).toEqual(['message.any'])
    expect(byPath('/all')).toEqual(['message', 'message.any'])
  })

  test('a given secret is accepted and never shown again; secrets that are not whsec_ are refused', async () => {
    await server.link(PHONE)
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`
    const created = await create({ url: receiver.url, events: ['*'], secret })
    expect(created.status).toBe(201)
    expect(created.body.secret).toBe(secret)
    expect(created.body.signed).toBe(true)
    const unsigned = await create({ url: receiver.url, events: ['*'] })
    expect(unsigned.body.signed).toBe(false)
    expect(unsigned.body.secret).toBeUndefined()

    for (const bad of ['plain-secret', 'whsec_', `whsec_${Buffer.alloc(8).toString('base64')}`, 'whsec_not base64!']) {
      const response = await create({ url: receiver.url, events: ['*'], secret: bad })
      expect(response.status, bad).toBe(400)
      expect(response.body).toMatchObject({ code: 'BAD_REQUEST' })
    }
    const both = await create({ url: receiver.url, events: ['*'], secret, generateSecret: true })
    expect(both.status).toBe(400)
  })

  test('400 for a bad URL', async () => {
    await server.call('POST', `/${PHONE}/start`)
    for (const url of ['not a url', 'ftp://example.com/x', '/relative/path', 'http://10.0.0.5/hook', 'http://169.254.169.254/latest', 'http://[::1]:8080/', 'http://127.0.0.2:9/']) {
      const response = await create({ url, events: ['*'] })
      expect(response.status, url).toBe(400)
      expect(response.body).toMatchObject({ code: 'BAD_REQUEST', statusCode: 400 })
    }
    expect((await create({ events: ['*'] })).status).toBe(400)
  })

  test('400 for bad events', async () => {
    await server.call('POST', `/${PHONE}/start`)
    for (const events of [[], ['message', 'message'], ['nope'], 'message', [42]]) {
      const response = await create({ url: receiver.url, events })
      expect(response.status, JSON.stringify(events)).toBe(400)
      expect(response.body).toMatchObject({ code: 'BAD_REQUEST' })
    }
    expect((await create({ url: receiver.url })).status).toBe(400)
  })

  test('400 for headers the server owns or that are malformed, and for malformed JSON', async () => {
    await server.call('POST', `/${PHONE}/start`)
    for (const headers of [{ 'webhook-id': 'x' }, { 'Content-Type': 'text/plain' }, { 'X-Webhook-Hmac': 'x' }, { 'bad name': 'x' }, { 'X-Ok': 'a\r\nInjected: 1' }]) {
      const response = await create({ url: receiver.url, events: ['*'], headers })
      expect(response.status, JSON.stringify(headers)).toBe(400)
    }
    const malformed = await server.call('POST', `/${PHONE}/webhooks`, { rawBody: '{"url":' })
    expect(malformed.status).toBe(400)
  })

  test('404 for an unknown session, an unknown webhook, and a webhook of another session', async () => {
    expect((await create({ url: receiver.url, events: ['*'] })).status).toBe(404)
    expect((await server.call('GET', `/${PHONE}/webhooks`)).status).toBe(404)
    await server.call('POST', `/${PHONE}/start`)
    await server.call('POST', `/${OUTSIDER}/start`)
    const other = await create({ url: receiver.url, events: ['*'] }, OUTSIDER)
    for (const [method, path] of [
      ['DELETE', `/${PHONE}/webhooks/wh_nope`],
      ['GET', `/${PHONE}/webhooks/wh_nope/deliveries`],
      ['DELETE', `/${PHONE}/webhooks/${other.body.id}`],
      ['GET', `/${PHONE}/webhooks/${other.body.id}/deliveries`],
    ] as const) {
      const response = await server.call(method, path)
      expect(response.status, `${method} ${path}`).toBe(404)
      expect(response.body).toMatchObject({ code: 'NOT_FOUND' })
    }
    expect((await server.call('DELETE', `/${OUTSIDER}/webhooks/${other.body.id}`)).status).toBe(200)
  })

  test('400 for a bad phone number or deliveries query', async () => {
    expect((await server.call('GET', '/12ab/webhooks')).status).toBe(400)
    await server.call('POST', `/${PHONE}/start`)
    const webhook = await create({ url: receiver.url, events: ['*'] })
    expect((await server.call('GET', `/${PHONE}/webhooks/${webhook.body.id}/deliveries?limit=0`)).status).toBe(400)
    expect((await server.call('GET', `/${PHONE}/webhooks/${webhook.body.id}/deliveries?status=lost`)).status).toBe(400)
  })

  test('401 without or with a wrong key', async () => {
    await server.call('POST', `/${PHONE}/start`)
    for (const key of [null, 'wrong-key-0123456789']) {
      const responses = [
        await server.call('POST', `/${PHONE}/webhooks`, { key, body: { url: receiver.url, events: ['*'] } }),
        await server.call('GET', `/${PHONE}/webhooks`, { key }),
        await server.call('DELETE', `/${PHONE}/webhooks/wh_x`, { key }),
        await server.call('GET', `/${PHONE}/webhooks/wh_x/deliveries`, { key }),
      ]
      for (const response of responses) expect(response.status).toBe(401)
    }
  })

  test('409 beyond 20 webhooks per session', async () => {
    await server.call('POST', `/${PHONE}/start`)
    for (let i = 0; i < 20; i++) expect((await create({ url: `${receiver.url}/${i}`, events: ['*'] })).status).toBe(201)
    const over = await create({ url: receiver.url, events: ['*'] })
    expect(over.status).toBe(409)
    expect(over.body).toMatchObject({ code: 'CONFLICT' })
  })

  test('a deleted session takes its webhooks and stored events with it', async () => {
    await server.link(PHONE)
    const webhook = await create({ url: receiver.url, events: ['*'] })
    await server.call('POST', `/${PHONE}/sandbox/incoming`, { body: { from: OUTSIDER, text: 'x' } })
    await waitFor(() => receiver.received.length === 2)
    expect((await server.call('DELETE', `/${PHONE}`)).status).toBe(200)
    expect(server.deps.events.webhooks.get(webhook.body.id)).toBeUndefined()
    expect(await server.deps.events.outbox.replay(PHONE, 0, 100)).toEqual([])
  })
})

describe('the default webhook from configuration', () => {
  test('receives every session; visible to the admin; cannot be deleted through the API', async () => {
    const configured = await createTestServer({ OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32', WEBHOOK_URL: `${receiver.url}/default`, WEBHOOK_EVENTS: 'message' })
    try {
      await configured.link(PHONE)
      await configured.link(OUTSIDER)
      await configured.call('POST', `/${PHONE}/sandbox/incoming`, { body: { from: '966522222222', text: 'a' } })
      await configured.call('POST', `/${OUTSIDER}/sandbox/incoming`, { body: { from: '966522222222', text: 'b' } })
      await waitFor(() => receiver.received.length === 2)
      expect(receiver.received.map((r) => r.json.session).sort()).toEqual([PHONE, OUTSIDER].sort())
      expect(receiver.received.every((r) => r.path === '/default' && r.json.event === 'message')).toBe(true)

      const listed = await configured.call<{ webhooks: WebhookBody[] }>('GET', `/${PHONE}/webhooks`)
      expect(listed.body.webhooks).toHaveLength(1)
      expect(listed.body.webhooks[0]).toMatchObject({ id: 'default', phoneNumber: null, source: 'config', status: 'active' })
      const deleted = await configured.call('DELETE', `/${PHONE}/webhooks/default`)
      expect(deleted.status).toBe(409)
      const deliveries = await configured.call<{ deliveries: Array<{ status: string }> }>('GET', `/${PHONE}/webhooks/default/deliveries`)
      expect(deliveries.status).toBe(200)
      expect(deliveries.body.deliveries).toHaveLength(1)
    } finally {
      await configured.close()
    }
  })

  test('bad webhook settings stop the boot with a message naming them', () => {
    expect(() => loadConfig(testEnv(tempDir(), { WEBHOOK_URL: 'ftp://x' }))).toThrow('WEBHOOK_URL')
    expect(() => loadConfig(testEnv(tempDir(), { WEBHOOK_URL: 'https://example.com', WEBHOOK_EVENTS: 'message,bogus' }))).toThrow('WEBHOOK_EVENTS')
    expect(() => loadConfig(testEnv(tempDir(), { WEBHOOK_URL: 'https://example.com', WEBHOOK_SECRET: 'short' }))).toThrow('WEBHOOK_SECRET')
    expect(() => loadConfig(testEnv(tempDir(), { WEBHOOK_SECRET: `whsec_${Buffer.alloc(32).toString('base64')}` }))).toThrow('need WEBHOOK_URL')
    expect(() => loadConfig(testEnv(tempDir(), { OUTBOUND_ALLOW_CIDRS: '127.0.0.1/33' }))).toThrow('OUTBOUND_ALLOW_CIDRS')
    expect(() => loadConfig(testEnv(tempDir(), { PUBLIC_URL: 'not-a-url' }))).toThrow('PUBLIC_URL')
  })
})

describe('403: another account', () => {
  test("an account cannot see or change the webhooks of another account's number", async () => {
    const dir = tempDir()
    const deps = await createDeps(loadConfig(testEnv(dir, { OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32' })))
    // Two account credentials in front of the admin key, as the identity layer provides them.
    const accounts: Record<string, Principal> = {
      'key-of-account-a-0123456789': { kind: 'account-key', accountId: 'acct_a', isAdmin: false, credentialId: 'a' },
      'key-of-account-b-0123456789': { kind: 'account-key', accountId: 'acct_b', isAdmin: false, credentialId: 'b' },
    }
    const admin = deps.authenticator
    // The guards the route modules receive were built with the real authenticator: swap it there.
    deps.guards.authenticator = {
      async authenticate(headers) {
        const key = headers.get('x-api-key') ?? ''
        if (accounts[key]) return accounts[key]
        if (key === ADMIN_KEY) return admin.authenticate(headers)
        throw new UnauthorizedError()
      },
    }
    const app = createApp(deps)
    const call = async (method: string, path: string, key: string, body?: unknown) => {
      const response = await app.handle(
        new Request(`${BASE}${path}`, { method, headers: { 'x-api-key': key, 'content-type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) }),
      )
      return { status: response.status, body: (await response.json()) as Record<string, unknown> }
    }
    try {
      const [a, b] = Object.keys(accounts) as [string, string]
      expect((await call('POST', `/${PHONE}/start`, a)).status).toBe(200)
      const created = await call('POST', `/${PHONE}/webhooks`, a, { url: receiver.url, events: ['*'] })
      expect(created.status).toBe(201)
      const id = created.body.id as string
      for (const [method, path, body] of [
        ['POST', `/${PHONE}/webhooks`, { url: receiver.url, events: ['*'] }],
        ['GET', `/${PHONE}/webhooks`, undefined],
        ['DELETE', `/${PHONE}/webhooks/${id}`, undefined],
        ['GET', `/${PHONE}/webhooks/${id}/deliveries`, undefined],
        ['GET', `/${PHONE}/webhooks/${id}`, undefined],
        ['PATCH', `/${PHONE}/webhooks/${id}`, { enabled: false }],
        ['POST', `/${PHONE}/webhooks/${id}/test`, undefined],
        ['POST', `/${PHONE}/webhooks/${id}/deliveries/1/retry`, undefined],
        ['GET', `/${PHONE}/events`, undefined],
      ] as const) {
        const response = await call(method, path, b, body)
        expect(response.status, `${method} ${path}`).toBe(403)
        expect(response.body).toMatchObject({ code: 'FORBIDDEN' })
      }
      expect((await call('GET', `/${PHONE}/webhooks`, a)).status).toBe(200)
    } finally {
      await deps.close()
    }
  })
})
