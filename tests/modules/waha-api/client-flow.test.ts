/**
 * A WAHA client's flow end to end on the simulator, over real HTTP and a real WebSocket:
 * create a session with a webhook in its config, the QR in its three forms, scan,
 * `sendText` to a second session, the receiver's webhook gets WAHA's envelope and headers
 * with a valid `X-Webhook-Hmac`, `reply_to` with that payload's id, the history through
 * WAHA's route, and the same event over `/ws`.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { ADMIN_KEY, createTestServer, waitFor, type TestServer } from '../../helpers/app'
import { startReceiver, type Receiver } from '../../helpers/receiver'
import { loadWahaOpenApi } from '../../helpers/waha-openapi'

const SENDER = '966500000301'
const RECEIVER = '966500000302'
const HMAC_KEY = 'my-waha-hmac-key'
const jid = (phone: string) => `${phone}@c.us`
const spec = loadWahaOpenApi()

let server: TestServer
let receiver: Receiver
let listening: { stop(closeActiveConnections?: boolean): unknown; server: { port?: number } | null }
let socket: WebSocket | undefined
let base = ''

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'x-api-key': ADMIN_KEY, ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const bytes = new Uint8Array(await response.arrayBuffer())
  const text = new TextDecoder().decode(bytes)
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, json, bytes, type: response.headers.get('content-type') ?? '' }
}

beforeAll(async () => {
  receiver = startReceiver()
  server = await createTestServer({ OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32', WEBHOOK_RETRY_BASE_MS: '50' })
  const app = server.app.listen({ hostname: '127.0.0.1', port: 0 })
  listening = app as unknown as typeof listening
  base = `http://127.0.0.1:${listening.server!.port}`
})

afterAll(async () => {
  socket?.close()
  await listening?.stop(true)
  await server?.close()
  await receiver?.close()
})

test('a WAHA client creates, links, sends, receives a signed webhook, replies and reads history; /ws streams the event', async () => {
  // The receiving session, with a webhook in its WAHA config.
  const created = await call('POST', '/api/sessions', {
    name: RECEIVER,
    start: true,
    config: {
      metadata: { 'user.id': '123', 'user.email': 'email@example.com' },
      webhooks: [{ url: `${receiver.url}/waha`, events: ['message', 'session.status'], hmac: { key: HMAC_KEY }, customHeaders: [{ name: 'X-Tenant', value: 't-1' }] }],
    },
  })
  expect(created.status).toBe(201)
  expect(spec.validateComponent('SessionDTO', created.json)).toEqual([])
  expect(created.json.config.webhooks[0].url).toBe(`${receiver.url}/waha`)
  expect((await call('POST', '/api/sessions', { name: SENDER })).status).toBe(201)

  // The QR in its three forms.
  await waitFor(async () => (await call('GET', `/api/sessions/${SENDER}`)).json.status === 'SCAN_QR_CODE')
  const png = await call('GET', `/api/${SENDER}/auth/qr`)
  expect(png.status).toBe(200)
  expect(png.type).toBe('image/png')
  expect([...png.bytes.slice(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47])
  const base64 = await call('GET', `/api/${SENDER}/auth/qr`, undefined, { accept: 'application/json' })
  expect(base64.json.mimetype).toBe('image/png')
  expect([...Buffer.from(base64.json.data, 'base64').subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47])
  const raw = await call('GET', `/api/${SENDER}/auth/qr?format=raw`)
  expect(typeof raw.json.value).toBe('string')
  expect(raw.json.value.length).toBeGreaterThan(20)
  // A browser's Accept (not exactly application/json) gets the PNG.
  expect((await call('GET', `/api/${SENDER}/auth/qr`, undefined, { accept: 'application/json, text/plain, */*' })).type).toBe('image/png')

  // Scan both (the simulator's phone), then the sessions are WORKING.
  for (const phone of [SENDER, RECEIVER]) {
    await waitFor(async () => (await call('GET', `/api/sessions/${phone}`)).json.status === 'SCAN_QR_CODE')
    expect((await server.call('POST', `/${phone}/sandbox/scan`)).body.status).toBe('WORKING')
  }
  const info = await call('GET', `/api/sessions/${RECEIVER}`)
  expect(info.json.status).toBe('WORKING')
  expect(info.json.me.id).toBe(jid(RECEIVER))
  expect(spec.validateComponent('SessionInfo', info.json)).toEqual([])

  // The event monitor, as WAHA's dashboard opens it (the key in the query).
  const frames: any[] = []
  const ws = (socket = new WebSocket(`${base.replace('http', 'ws')}/ws?session=*&events=message&x-api-key=${ADMIN_KEY}`))
  ws.onmessage = (event) => frames.push(JSON.parse(String(event.data)))
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve()
    ws.onerror = () => reject(new Error('WebSocket failed'))
  })

  // Send.
  const sent = await call('POST', '/api/sendText', { session: SENDER, chatId: jid(RECEIVER), text: 'Hello, WAHA client' })
  expect(sent.status).toBe(201)
  expect(spec.validateComponent('WAMessage', sent.json)).toEqual([])
  expect(sent.json.id).toMatch(new RegExp(`^true_${jid(RECEIVER)}_`))

  // The receiver's webhook: WAHA's envelope, headers and HMAC.
  await waitFor(() => receiver.received.some((r) => r.json.event === 'message'), 10_000)
  const delivery = receiver.received.find((r) => r.json.event === 'message')!
  expect(delivery.path).toBe('/waha')
  expect(delivery.headers['x-webhook-hmac-algorithm']).toBe('sha512')
  expect(delivery.headers['x-webhook-hmac']).toBe(createHmac('sha512', HMAC_KEY).update(delivery.body).digest('hex'))
  expect(delivery.headers['x-webhook-request-id']).toMatch(/^[0-9a-z]{26}$/)
  expect(Number(delivery.headers['x-webhook-timestamp'])).toBeGreaterThan(Date.now() - 60_000)
  expect(delivery.headers['x-tenant']).toBe('t-1')
  const envelope = delivery.json
  expect(envelope.session).toBe(RECEIVER)
  expect(envelope.metadata).toEqual({ 'user.id': '123', 'user.email': 'email@example.com' })
  expect((envelope.environment as { engine: string }).engine).toBe('SIMULATOR')
  expect(envelope.payload.from).toBe(jid(SENDER))
  expect(envelope.payload.body).toBe('Hello, WAHA client')
  // WAHA's webhook schema, except that the engine is named truthfully (SIMULATOR is not in WAHA's enum).
  expect(envelope.engine).toBe('SIMULATOR')
  expect(spec.validateComponent('WAHAWebhookMessage', { ...envelope, engine: 'WEBJS' })).toEqual([])
  // session.status reached the webhook too (the config's second event).
  expect(receiver.received.some((r) => r.json.event === 'session.status' && (r.json.payload as { status?: string }).status === 'WORKING')).toBe(true)

  // Reply with the id from the webhook.
  const receivedId = envelope.payload.id as string
  const reply = await call('POST', '/api/sendText', { session: RECEIVER, chatId: jid(SENDER), text: 'Got it', reply_to: receivedId })
  expect(reply.status).toBe(201)
  expect(reply.json.replyTo.id).toBe(receivedId)
  // The same id works in our own API.
  expect((await server.call('POST', `/${RECEIVER}/messages/${encodeURIComponent(receivedId)}/react`, { body: { emoji: '👍' } })).status).toBe(200)

  // History through WAHA's route, newest first, with WAHA's message shape.
  const history = await call('GET', `/api/${RECEIVER}/chats/${jid(SENDER)}/messages?limit=10`)
  expect(history.status).toBe(200)
  expect(history.json.map((m: { body: string }) => m.body)).toEqual(['Got it', 'Hello, WAHA client'])
  for (const message of history.json) expect(spec.validateComponent('WAMessage', message)).toEqual([])
  expect(history.json[0].replyTo.id).toBe(receivedId)
  const onlyMine = await call('GET', `/api/${RECEIVER}/chats/${jid(SENDER)}/messages?limit=10&filter.fromMe=true`)
  expect(onlyMine.json.map((m: { body: string }) => m.body)).toEqual(['Got it'])
  const one = await call('GET', `/api/${RECEIVER}/chats/${jid(SENDER)}/messages/${encodeURIComponent(receivedId)}`)
  expect(one.json.id).toBe(receivedId)

  // The event over /ws: WAHA's envelope of the received message.
  await waitFor(() => frames.some((frame) => frame.session === RECEIVER && frame.payload?.id === receivedId), 10_000)
  const frame = frames.find((f) => f.session === RECEIVER && f.payload?.id === receivedId)
  expect(frame.event).toBe('message')
  expect(frame.environment.version).toBe(server.deps.version)
  expect(frames.every((f) => f.event === 'message')).toBe(true)
  ws.close()
}, 60_000)

test('/ws refuses a wrong key; the ?x-api-key= form works only there', async () => {
  const refused = await fetch(`${base}/ws?session=*&x-api-key=wrong`, { headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } })
  expect(refused.status).toBe(401)
  // The query form is only for /ws: other routes want the header.
  expect((await fetch(`${base}/api/sessions?x-api-key=${ADMIN_KEY}`)).status).toBe(401)
})
