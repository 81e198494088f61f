/**
 * `POST /webhook/message` and `/webhook/state-change`: WAHA's envelopes, built from WAHA's
 * published OpenAPI document, enter the same pipeline as any engine's events.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { createTestServer, waitFor, type TestServer } from '../helpers/app'
import { CALLBACK_ENGINE, callbackEngine } from '../helpers/callback-engine'
import { startReceiver, type Receiver } from '../helpers/receiver'
import { SseReader } from '../helpers/sse'
import { loadWahaOpenApi } from '../helpers/waha-openapi'

const PHONE = '966500000001'
const OUTSIDER = '966511111111'
const WAHA_KEY = 'waha-callback-key-0123456789'
const openapi = loadWahaOpenApi()

let server: TestServer
let receiver: Receiver
const readers: SseReader[] = []

async function boot(env: Record<string, string> = {}) {
  server = await createTestServer(
    { WAHA_API_KEY: WAHA_KEY, OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32', ...env },
    { addEngines: [callbackEngine()] },
  )
}

beforeEach(async () => {
  receiver = startReceiver()
  await boot()
})
afterEach(async () => {
  for (const reader of readers.splice(0)) await reader.close()
  await server.close()
  await receiver.close()
})

/** A WAHA envelope sampled from the published schema, then pointed at our session. */
function wahaEnvelope(component: string, overrides: { payload?: Record<string, unknown>; [key: string]: unknown } = {}) {
  const sample = openapi.sample({ $ref: `#/components/schemas/${component}` }) as Record<string, unknown> & { payload: Record<string, unknown> }
  const envelope = {
    ...sample,
    id: `evt_${crypto.randomUUID().replace(/-/g, '').slice(0, 26)}`,
    session: PHONE,
    ...overrides,
    payload: { ...sample.payload, ...overrides.payload },
  }
  // What we post really is a WAHA envelope as WAHA documents it.
  expect(openapi.validateComponent(component, envelope)).toEqual([])
  return envelope
}

function incomingMessage(component = 'WAHAWebhookMessage', id = `false_${OUTSIDER}@c.us_${crypto.randomUUID().replace(/-/g, '').toUpperCase().slice(0, 20)}`) {
  return wahaEnvelope(component, {
    payload: { id, from: `${OUTSIDER}@c.us`, to: `${PHONE}@c.us`, fromMe: false, body: 'Hello from WAHA', hasMedia: false, participant: `${OUTSIDER}@c.us`, replyTo: undefined, location: undefined, vCards: undefined },
  })
}

async function post(path: string, body: unknown, headers: Record<string, string> = { 'x-api-key': WAHA_KEY }) {
  return server.call<{ success: boolean; published: number; duplicate: boolean }>('POST', path, { body, key: null, headers })
}

async function startOnWaha(): Promise<void> {
  const started = await server.call('POST', `/${PHONE}/start`, { body: { engine: CALLBACK_ENGINE } })
  expect(started.status).toBe(200)
  // The start's own status events are stored before a test subscribes for what follows.
  await server.deps.ingest.idle()
}

async function subscribe(): Promise<SseReader> {
  const response = await server.request('GET', `/${PHONE}/events`)
  expect(response.status).toBe(200)
  const reader = new SseReader(response)
  readers.push(reader)
  return reader
}

describe('WAHA callbacks', () => {
  test('401 without the key or with a wrong one; WAHA_API_KEY and the admin key are accepted', async () => {
    await startOnWaha()
    const envelope = incomingMessage()
    for (const headers of [{}, { 'x-api-key': 'not-the-key-0123456789' }] as Array<Record<string, string>>) {
      for (const path of ['/webhook/message', '/webhook/state-change']) {
        const response = await post(path, path.endsWith('message') ? envelope : wahaEnvelope('WAHAWebhookSessionStatus'), headers)
        expect(response.status, `${path} ${JSON.stringify(headers)}`).toBe(401)
        expect(response.body).toMatchObject({ code: 'UNAUTHORIZED' })
      }
    }
    expect((await post('/webhook/message', envelope)).status).toBe(200)
    expect((await server.call('POST', '/webhook/message', { body: incomingMessage() })).status).toBe(200)
  })

  test('a WAHA message envelope from the published schema reaches SSE and webhooks, once', async () => {
    await startOnWaha()
    const webhook = await server.call<{ id: string }>('POST', `/${PHONE}/webhooks`, { body: { url: receiver.url, events: ['message', 'message.any'] } })
    expect(webhook.status).toBe(201)
    const reader = await subscribe()

    const envelope = incomingMessage()
    const accepted = await post('/webhook/message', envelope)
    expect(accepted.status).toBe(200)
    expect(accepted.body).toEqual({ success: true, published: 1, duplicate: false })

    await waitFor(() => reader.events.filter((e) => e.event.startsWith('message')).length === 2)
    const messageEvent = reader.events.find((e) => e.event === 'message')!
    expect(messageEvent.data).toMatchObject({
      event: 'message',
      session: PHONE,
      engine: 'CALLBACK_FAKE',
      payload: { id: envelope.payload.id, from: `${OUTSIDER}@c.us`, to: `${PHONE}@c.us`, fromMe: false, body: 'Hello from WAHA', hasMedia: false },
    })
    // Our own envelope id, not WAHA's: the event is ours now.
    expect(messageEvent.data.id).not.toBe(envelope.id)
    await waitFor(() => receiver.received.length === 2)
    expect(receiver.received.map((r) => r.json.event).sort()).toEqual(['message', 'message.any'])
    expect(receiver.received.every((r) => r.json.payload.id === envelope.payload.id)).toBe(true)

    // WAHA retries the same envelope, and sends message.any for the same message: both are acknowledged, neither republished.
    expect((await post('/webhook/message', envelope)).body).toEqual({ success: true, published: 0, duplicate: true })
    const any = { ...envelope, id: `${envelope.id.slice(0, -1)}z`, event: 'message.any' }
    // An incoming message's `message.any` twin carries nothing new: acknowledged, nothing published.
    expect((await post('/webhook/message', any)).body).toMatchObject({ success: true, published: 0 })
    await Bun.sleep(50)
    expect(receiver.received).toHaveLength(2)
    expect(reader.events.filter((e) => e.event.startsWith('message'))).toHaveLength(2)
  })

  test('session.status updates the session and is published', async () => {
    await startOnWaha()
    const reader = await subscribe()
    const envelope = wahaEnvelope('WAHAWebhookSessionStatus', {
      me: { id: `${PHONE}@c.us`, pushName: 'Support desk' },
      payload: { name: PHONE, status: 'WORKING', statuses: [{ status: 'WORKING', timestamp: Date.now() }] },
    })
    const accepted = await post('/webhook/state-change', envelope)
    expect(accepted.status).toBe(200)
    expect(accepted.body.published).toBe(1)
    const state = await server.call('GET', `/${PHONE}/state`)
    expect(state.body).toMatchObject({ state: 'CONNECTED', status: 'WORKING', engine: CALLBACK_ENGINE, me: { id: `${PHONE}@c.us`, pushName: 'Support desk' } })
    await waitFor(() => reader.events.some((e) => e.event === 'session.status'))
    expect(reader.events.find((e) => e.event === 'session.status')!.data.payload).toMatchObject({ name: PHONE, status: 'WORKING' })

    const passkey = wahaEnvelope('WAHAWebhookSessionStatus', { payload: { name: PHONE, status: 'PASSKEY_REQUIRED', statuses: [] } })
    expect((await post('/webhook/state-change', passkey)).status).toBe(200)
    // WAHA's passkey steps are part of linking: AUTHENTICATING (status STARTING, with the reason).
    expect((await server.call('GET', `/${PHONE}/state`)).body).toMatchObject({ state: 'AUTHENTICATING', status: 'STARTING' })

    const deprecated = wahaEnvelope('WAHAWebhookStateChange', { payload: { state: 'CONNECTED' } })
    expect((await post('/webhook/state-change', deprecated)).body).toEqual({ success: true, published: 0, duplicate: false })
  })

  test('acks, reactions and presence map onto their events', async () => {
    await startOnWaha()
    const reader = await subscribe()
    const messageId = `true_${OUTSIDER}@c.us_AAAAAAAAAAAAAAAAAAAA`
    const ack = wahaEnvelope('WAHAWebhookMessageAck', { payload: { id: messageId, from: `${PHONE}@c.us`, to: `${OUTSIDER}@c.us`, participant: `${OUTSIDER}@c.us`, fromMe: true, ack: 3, ackName: 'READ' } })
    const reaction = wahaEnvelope('WAHAWebhookMessageReaction', {
      payload: { id: 'false_x_1', from: `${OUTSIDER}@c.us`, to: `${PHONE}@c.us`, fromMe: false, participant: `${OUTSIDER}@c.us`, reaction: { text: '👍', messageId } },
    })
    const presence = wahaEnvelope('WAHAWebhookPresenceUpdate', {
      payload: {
        id: `${OUTSIDER}@c.us`,
        presences: [
          { participant: `${OUTSIDER}@c.us`, lastKnownPresence: 'typing', lastSeen: 1700000000 },
          { participant: '966522222222@c.us', lastKnownPresence: 'online', lastSeen: 1700000001 },
        ],
      },
    })
    for (const envelope of [ack, reaction, presence]) expect((await post('/webhook/message', envelope)).status).toBe(200)
    await waitFor(() => reader.events.length >= 4)
    const names = reader.events.map((e) => e.event)
    expect(names).toEqual(['message.ack', 'message.reaction', 'presence.update', 'presence.update'])
    expect(reader.events[0]!.data.payload).toMatchObject({ id: messageId, ack: 3, ackName: 'READ', fromMe: true })
    expect(reader.events[1]!.data.payload).toMatchObject({ reaction: { text: '👍', messageId } })
    expect(reader.events[3]!.data.payload).toMatchObject({ id: `${OUTSIDER}@c.us`, presences: [{ participant: '966522222222@c.us', lastKnownPresence: 'online' }] })
  })

  test('malformed envelopes → 400', async () => {
    await startOnWaha()
    const good = incomingMessage()
    const bad: Array<[string, unknown]> = [
      ['not an object', 'hello'],
      ['no payload', { ...good, payload: undefined }],
      ['unknown event', { ...good, event: 'message.teleported' }],
      ['status on the message route', wahaEnvelope('WAHAWebhookSessionStatus')],
      ['payload without id', { ...good, payload: { ...good.payload, id: undefined } }],
      ['fromMe not a boolean', { ...good, payload: { ...good.payload, fromMe: 'no' } }],
      ['session not a phone number', { ...good, session: 'default' }],
    ]
    for (const [label, body] of bad) {
      const response = await post('/webhook/message', body)
      expect(response.status, label).toBe(400)
      expect(response.body, label).toMatchObject({ code: 'BAD_REQUEST', statusCode: 400 })
    }
    const raw = await server.call('POST', '/webhook/message', { rawBody: '{"event":', key: null, headers: { 'x-api-key': WAHA_KEY } })
    expect(raw.status).toBe(400)
    const status = wahaEnvelope('WAHAWebhookSessionStatus', { payload: { name: PHONE, status: 'WORKING', statuses: [] } })
    const badStatus = await post('/webhook/state-change', { ...status, payload: { ...status.payload, status: 'DANCING' } })
    expect(badStatus.status).toBe(400)
    expect((await post('/webhook/state-change', { ...status, payload: undefined })).status).toBe(400)
  })

  test('404 for an unknown session; 409 for a session on an engine that receives no callbacks, or not running', async () => {
    const unknown = await post('/webhook/message', incomingMessage())
    expect(unknown.status).toBe(404)
    await server.call('POST', `/${PHONE}/start`, { body: { engine: 'simulator' } })
    const simulator = await post('/webhook/message', incomingMessage())
    expect(simulator.status).toBe(409)
    expect(simulator.body).toMatchObject({ code: 'CONFLICT', details: { engine: 'simulator' } })
    expect((await post('/webhook/state-change', wahaEnvelope('WAHAWebhookSessionStatus', { payload: { status: 'WORKING' } }))).status).toBe(409)
    await server.call('POST', `/${PHONE}/stop`)
    await server.call('POST', `/${PHONE}/start`, { body: { engine: CALLBACK_ENGINE } })
    await server.call('POST', `/${PHONE}/stop`)
    expect((await post('/webhook/message', incomingMessage())).status).toBe(409)
  })

  test('with WAHA_WEBHOOK_HMAC_KEY, X-Webhook-Hmac over the raw body must verify', async () => {
    await server.close()
    await boot({ WAHA_WEBHOOK_HMAC_KEY: 'waha-hmac-key' })
    await startOnWaha()
    const body = JSON.stringify(incomingMessage())
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode('waha-hmac-key'), { name: 'HMAC', hash: 'SHA-512' }, false, ['sign'])
    const hmac = Buffer.from(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(body))).toString('hex')
    const send = (headers: Record<string, string>) =>
      server.call('POST', '/webhook/message', { rawBody: body, key: null, headers: { 'x-api-key': WAHA_KEY, ...headers } })
    expect((await send({})).status).toBe(401)
    expect((await send({ 'x-webhook-hmac': '00'.repeat(64) })).status).toBe(401)
    expect((await send({ 'x-webhook-hmac': hmac, 'x-webhook-hmac-algorithm': 'sha256' })).status).toBe(401)
    const ok = await send({ 'x-webhook-hmac': hmac, 'x-webhook-hmac-algorithm': 'sha512' })
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({ published: 1 })
  })
})
