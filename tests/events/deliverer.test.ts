/**
 * Webhook delivery semantics, through the HTTP API against receivers on 127.0.0.1:
 * retries, 410, Retry-After, redirects, timeouts, disabling, outages, restarts, fairness,
 * and signatures checked with an independent implementation (WebCrypto).
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { EventBus } from '../../src/events/bus'
import { parseRetryAfter, WebhookDeliverer } from '../../src/events/deliverer'
import { EventIngest } from '../../src/events/ingest'
import { Outbox } from '../../src/events/outbox'
import { WebhookStore } from '../../src/events/webhook-store'
import { silentLogger } from '../../src/lib/logger'
import { createSafeFetcher } from '../../src/lib/safe-fetch'
import { openStorage } from '../../src/storage/db'
import { createTestServer, tempDir, waitFor, type TestServer } from '../helpers/app'
import { startReceiver, type Received, type Receiver } from '../helpers/receiver'

const PHONE = '966500000001'
const OUTSIDER = '966511111111'
const cleanup: Array<() => Promise<void>> = []

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

const FAST_RETRIES = { OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32', WEBHOOK_RETRY_BASE_MS: '20', WEBHOOK_RETRY_MAX_MS: '100' }

async function setup(env: Record<string, string> = {}, respond?: Receiver['respond']) {
  const receiver = startReceiver(respond)
  const server = await createTestServer({ ...FAST_RETRIES, ...env })
  cleanup.push(() => receiver.close(), () => server.close())
  await server.link(PHONE)
  return { receiver, server }
}

async function addWebhook(server: TestServer, body: Record<string, unknown>) {
  const response = await server.call<{ id: string; secret?: string }>('POST', `/${PHONE}/webhooks`, { body: { events: ['message'], ...body } })
  expect(response.status).toBe(201)
  return response.body
}

async function incoming(server: TestServer, text: string): Promise<string> {
  const response = await server.call<{ messageId: string }>('POST', `/${PHONE}/sandbox/incoming`, { body: { from: OUTSIDER, text } })
  expect(response.status).toBe(200)
  return response.body.messageId
}

interface DeliveryBody {
  status: string
  attempts: number
  lastStatusCode: number | null
  lastError: string | null
  attemptLog: Array<{ statusCode: number | null; error: string | null; at: string }>
}

async function deliveries(server: TestServer, id: string): Promise<DeliveryBody[]> {
  return (await server.call<{ deliveries: DeliveryBody[] }>('GET', `/${PHONE}/webhooks/${id}/deliveries`)).body.deliveries
}

async function webhookState(server: TestServer, id: string) {
  const list = await server.call<{ webhooks: Array<{ id: string; status: string; disabledReason: string | null; failingSince: string | null }> }>('GET', `/${PHONE}/webhooks`)
  return list.body.webhooks.find((w) => w.id === id)!
}

// ─── Independent signature checks (WebCrypto, not src/events/signing.ts) ─────

async function expectedStandardSignature(secret: string, id: string, timestamp: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', Buffer.from(secret.slice('whsec_'.length), 'base64'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${id}.${timestamp}.${body}`))
  return `v1,${Buffer.from(mac).toString('base64')}`
}

async function expectedWahaHmac(key: string, body: string): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey('raw', new TextEncoder().encode(key), { name: 'HMAC', hash: 'SHA-512' }, false, ['sign'])
  return Buffer.from(await crypto.subtle.sign('HMAC', cryptoKey, new TextEncoder().encode(body))).toString('hex')
}

async function expectSigned(request: Received, secret: string, hmacKey = secret): Promise<void> {
  const id = request.headers['webhook-id']!
  const timestamp = request.headers['webhook-timestamp']!
  expect(id).toBe(request.json.id)
  expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60)
  expect(request.headers['webhook-signature']).toBe(await expectedStandardSignature(secret, id, timestamp, request.body))
  expect(request.headers['x-webhook-hmac']).toBe(await expectedWahaHmac(hmacKey, request.body))
  expect(request.headers['x-webhook-hmac-algorithm']).toBe('sha512')
}

describe('signatures', () => {
  test('every attempt verifies with an independent Standard Webhooks and WAHA HMAC check; the webhook-id is stable across retries', async () => {
    const { receiver, server } = await setup({}, (_request, index) => new Response(null, { status: index < 2 ? 500 : 200 }))
    const webhook = await addWebhook(server, { url: receiver.url, generateSecret: true })
    await incoming(server, 'signed')
    await waitFor(() => receiver.received.length === 3)
    const ids = new Set(receiver.received.map((r) => r.headers['webhook-id']))
    expect(ids.size).toBe(1)
    for (const request of receiver.received) await expectSigned(request, webhook.secret!)
    // A tampered body does not verify.
    const first = receiver.received[0]!
    const tampered = first.body.replace('signed', 'forged')
    expect(await expectedStandardSignature(webhook.secret!, first.headers['webhook-id']!, first.headers['webhook-timestamp']!, tampered)).not.toBe(first.headers['webhook-signature'])
  })

  test('a separate hmac.key keys X-Webhook-Hmac; without a secret nothing is signed', async () => {
    const { receiver, server } = await setup()
    await addWebhook(server, { url: `${receiver.url}/hmac`, hmac: { key: 'your-secret-key' } })
    await addWebhook(server, { url: `${receiver.url}/plain` })
    await incoming(server, 'x')
    await waitFor(() => receiver.received.length === 2)
    const hmac = receiver.received.find((r) => r.path === '/hmac')!
    expect(hmac.headers['x-webhook-hmac']).toBe(await expectedWahaHmac('your-secret-key', hmac.body))
    expect(hmac.headers['webhook-signature']).toBeUndefined()
    const plain = receiver.received.find((r) => r.path === '/plain')!
    expect(plain.headers['webhook-signature']).toBeUndefined()
    expect(plain.headers['x-webhook-hmac']).toBeUndefined()
    expect(plain.headers['webhook-id']).toBe(plain.json.id)
  })
})

describe('retry semantics', () => {
  test('500 is retried until a 2xx; the log keeps each status', async () => {
    const { receiver, server } = await setup({}, (_r, index) => new Response('busy', { status: index < 2 ? 500 : 204 }))
    const webhook = await addWebhook(server, { url: receiver.url })
    await incoming(server, 'retry me')
    await waitFor(async () => (await deliveries(server, webhook.id))[0]?.status === 'delivered')
    const [delivery] = await deliveries(server, webhook.id)
    expect(delivery!.attempts).toBe(3)
    expect(delivery!.attemptLog.map((a) => a.statusCode)).toEqual([500, 500, 204])
    expect(delivery!.attemptLog[0]!.error).toBe('HTTP 500: busy')
    expect(receiver.received).toHaveLength(3)
    expect((await webhookState(server, webhook.id)).failingSince).toBeNull()
  })

  test('410 disables the endpoint, says so, and nothing more is sent to it', async () => {
    const { receiver, server } = await setup({}, () => new Response('gone', { status: 410 }))
    const webhook = await addWebhook(server, { url: receiver.url })
    await incoming(server, 'one')
    await waitFor(async () => (await webhookState(server, webhook.id)).status === 'disabled')
    const state = await webhookState(server, webhook.id)
    expect(state.disabledReason).toContain('410')
    await incoming(server, 'two')
    await server.deps.ingest.idle()
    await Bun.sleep(100)
    expect(receiver.received).toHaveLength(1)
    const log = await deliveries(server, webhook.id)
    expect(log).toHaveLength(1)
    expect(log[0]).toMatchObject({ status: 'failed', lastStatusCode: 410 })
  })

  test('429 with Retry-After pauses the endpoint at least that long, for every delivery', async () => {
    const { receiver, server } = await setup({}, (_r, index) =>
      index === 0 ? new Response('slow down', { status: 429, headers: { 'retry-after': '1' } }) : new Response('ok'),
    )
    const webhook = await addWebhook(server, { url: receiver.url })
    await incoming(server, 'first')
    // Once the 429 is recorded, the endpoint is paused; a new event must wait too.
    await waitFor(async () => (await deliveries(server, webhook.id))[0]?.attempts === 1)
    await incoming(server, 'second')
    await waitFor(() => receiver.received.length === 3, 5000)
    const first = receiver.received[0]!
    // With a 20 ms backoff, only Retry-After explains waiting a second — for the retry and for the new event alike.
    for (const later of receiver.received.slice(1)) expect(later.at - first.at).toBeGreaterThanOrEqual(950)
    await waitFor(async () => (await deliveries(server, webhook.id)).every((d) => d.status === 'delivered'))
    const log = await deliveries(server, webhook.id)
    expect(log.map((d) => d.attempts).sort()).toEqual([1, 2])
  })

  test('503 with an HTTP-date Retry-After is honoured too', async () => {
    const { receiver, server } = await setup({}, (_r, index) =>
      index === 0 ? new Response(null, { status: 503, headers: { 'retry-after': new Date(Date.now() + 2000).toUTCString() } }) : new Response('ok'),
    )
    await addWebhook(server, { url: receiver.url })
    await incoming(server, 'x')
    await waitFor(() => receiver.received.length === 2, 5000)
    expect(receiver.received[1]!.at - receiver.received[0]!.at).toBeGreaterThanOrEqual(900)
  })

  test('a redirect is a failure: never followed, retried, and the log says why', async () => {
    const { receiver, server } = await setup({}, (request) =>
      request.path === '/hook' ? new Response(null, { status: 302, headers: { location: '/elsewhere' } }) : new Response('ok'),
    )
    const webhook = await addWebhook(server, { url: `${receiver.url}/hook` })
    await incoming(server, 'x')
    await waitFor(async () => ((await deliveries(server, webhook.id))[0]?.attempts ?? 0) >= 2)
    expect(receiver.received.every((r) => r.path === '/hook')).toBe(true)
    const [delivery] = await deliveries(server, webhook.id)
    expect(delivery).toMatchObject({ status: 'pending', lastStatusCode: 302 })
    expect(delivery!.lastError).toContain('redirect')
  })

  test('a receiver slower than the timeout: the attempt fails and is retried', async () => {
    const { receiver, server } = await setup({ WEBHOOK_TIMEOUT_MS: '150' }, async (_r, index) => {
      if (index === 0) await Bun.sleep(600)
      return new Response('ok')
    })
    const webhook = await addWebhook(server, { url: receiver.url })
    await incoming(server, 'x')
    await waitFor(async () => (await deliveries(server, webhook.id))[0]?.status === 'delivered', 5000)
    const [delivery] = await deliveries(server, webhook.id)
    expect(delivery!.attempts).toBe(2)
    expect(delivery!.attemptLog[0]).toMatchObject({ statusCode: null })
    expect(delivery!.attemptLog[0]!.error).toContain('timed out')
    expect(receiver.received[0]!.headers['webhook-id']).toBe(receiver.received[1]!.headers['webhook-id'])
  })

  test('an endpoint failing for longer than WEBHOOK_DISABLE_AFTER_MS is disabled and its deliveries given up', async () => {
    const { receiver, server } = await setup({ WEBHOOK_DISABLE_AFTER_MS: '300' }, () => new Response('down', { status: 500 }))
    const webhook = await addWebhook(server, { url: receiver.url })
    await incoming(server, 'a')
    await incoming(server, 'b')
    await waitFor(async () => (await webhookState(server, webhook.id)).status === 'disabled', 5000)
    const state = await webhookState(server, webhook.id)
    expect(state.disabledReason).toContain('failing')
    expect(state.disabledReason).toContain('HTTP 500')
    await waitFor(async () => (await deliveries(server, webhook.id)).every((d) => d.status === 'failed'))
    const count = receiver.received.length
    await Bun.sleep(200)
    expect(receiver.received.length).toBe(count)
  })

  test('a 2xx with a large body is a success, delivered once', async () => {
    const { receiver, server } = await setup({}, () => new Response('z'.repeat(500_000)))
    const webhook = await addWebhook(server, { url: receiver.url })
    await incoming(server, 'x')
    await waitFor(async () => (await deliveries(server, webhook.id))[0]?.status === 'delivered')
    await Bun.sleep(100)
    expect(receiver.received).toHaveLength(1)
  })

  test('connection refused is retried', async () => {
    const { receiver, server } = await setup()
    await receiver.stop()
    const webhook = await addWebhook(server, { url: receiver.url })
    await incoming(server, 'x')
    await waitFor(async () => ((await deliveries(server, webhook.id))[0]?.attempts ?? 0) >= 2)
    const [delivery] = await deliveries(server, webhook.id)
    expect(delivery).toMatchObject({ status: 'pending', lastStatusCode: null })
    expect(delivery!.lastError).toContain('refused')
  })

  test('Retry-After parsing: seconds, HTTP-date, garbage, and a cap', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(parseRetryAfter('3', now)).toBe(3000)
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000)
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(null, now)).toBeUndefined()
    expect(parseRetryAfter('99999999', now)).toBe(86_400_000)
  })
})

describe('durability and fairness', () => {
  test('a receiver that is down for a while, then up, gets every event exactly once per webhook-id', async () => {
    const { receiver, server } = await setup()
    const webhook = await addWebhook(server, { url: receiver.url, generateSecret: true })
    await receiver.stop()
    const sent: string[] = []
    for (let i = 0; i < 30; i++) sent.push(await incoming(server, `outage ${i}`))
    await waitFor(async () => (await deliveries(server, webhook.id)).some((d) => d.attempts >= 2))
    receiver.restart()
    await waitFor(() => new Set(receiver.received.map((r) => r.headers['webhook-id'])).size === 30, 10_000)
    await Bun.sleep(100)
    const byId = new Map<string, Received>()
    for (const request of receiver.received) byId.set(request.headers['webhook-id']!, request)
    expect(receiver.received.length).toBe(byId.size)
    expect([...byId.values()].map((r) => r.json.payload.id).sort()).toEqual([...sent].sort())
    for (const request of byId.values()) await expectSigned(request, webhook.secret!)
    await waitFor(async () => (await deliveries(server, webhook.id)).every((d) => d.status === 'delivered'))
  })

  test('deliveries pending at shutdown are sent after the restart, with the same webhook-id', async () => {
    const receiver = startReceiver()
    cleanup.push(() => receiver.close())
    await receiver.stop()
    const first = await createTestServer(FAST_RETRIES)
    await first.link(PHONE)
    const webhook = await addWebhook(first, { url: receiver.url })
    const sent: string[] = []
    for (let i = 0; i < 10; i++) sent.push(await incoming(first, `before restart ${i}`))
    await waitFor(async () => (await deliveries(first, webhook.id)).every((d) => d.attempts >= 1))
    const eventIds = (await first.call<{ deliveries: Array<{ eventId: string }> }>('GET', `/${PHONE}/webhooks/${webhook.id}/deliveries`)).body.deliveries.map((d) => d.eventId)
    await first.close({ keepData: true })

    receiver.restart()
    const second = await createTestServer(FAST_RETRIES, {}, first.dataDir)
    cleanup.push(() => second.close())
    await waitFor(() => receiver.received.length >= 10, 10_000)
    expect(receiver.received.map((r) => r.headers['webhook-id']).sort()).toEqual([...eventIds].sort())
    expect(receiver.received.map((r) => r.json.payload.id).sort()).toEqual([...sent].sort())
  })

  test('a slow endpoint does not hold up the others', async () => {
    const { receiver, server } = await setup({ WEBHOOK_TIMEOUT_MS: '10000', WEBHOOK_ENDPOINT_CONCURRENCY: '2', WEBHOOK_CONCURRENCY: '4' }, async (request) => {
      if (request.path === '/slow') await Bun.sleep(3000)
      return new Response('ok')
    })
    await addWebhook(server, { url: `${receiver.url}/slow` })
    await addWebhook(server, { url: `${receiver.url}/fast` })
    for (let i = 0; i < 20; i++) await incoming(server, `m${i}`)
    await waitFor(() => receiver.received.filter((r) => r.path === '/fast').length === 20, 5000)
    // The slow endpoint holds only its own two slots while the fast one received everything.
    expect(receiver.received.filter((r) => r.path === '/slow').length).toBeLessThanOrEqual(2)
    // The last fast delivery's outcome is recorded just after the receiver has it: wait for that.
    await waitFor(() => server.deps.events.deliverer.stats().inFlight <= 2, 2000)
    expect(server.deps.events.deliverer.stats().inFlight).toBeLessThanOrEqual(2)
  })
})

describe('memory bound', () => {
  test('beyond maxQueued, deliveries wait in the table and are all sent', async () => {
    const storage = await openStorage(`sqlite://${tempDir()}/bound.db`)
    const bus = new EventBus()
    const ingest = new EventIngest(storage.db, silentLogger)
    ingest.attach(bus)
    const store = new WebhookStore(storage.db)
    await store.load()
    const outbox = new Outbox(storage.db, store, { publicUrl: 'http://127.0.0.1:3000' })
    await outbox.attach(ingest)
    let concurrent = 0
    let maxConcurrent = 0
    const receiver = startReceiver(async () => {
      concurrent++
      maxConcurrent = Math.max(maxConcurrent, concurrent)
      await Bun.sleep(2)
      concurrent--
      return new Response('ok')
    })
    const fetcher = createSafeFetcher({ allowCidrs: ['127.0.0.1/32'], timeoutMs: 5000, maxBytes: 1024 })
    const deliverer = new WebhookDeliverer(
      storage.db,
      store,
      fetcher,
      { timeoutMs: 5000, retryBaseMs: 10, retryMaxMs: 50, disableAfterMs: 60_000, concurrency: 3, endpointConcurrency: 3, userAgent: 'test', maxQueued: 5, pollMs: 20 },
      silentLogger,
    )
    cleanup.push(async () => {
      await deliverer.stop()
      await receiver.close()
      await ingest.close()
      await storage.close()
    })
    const now = Date.now()
    await store.insert({
      id: 'wh_bound', session: PHONE, accountId: null, source: 'api', url: receiver.url, events: ['message'], headers: {}, secret: null, previousSecret: null, previousSecretUntil: null, hmacKey: null,
      status: 'active', disabledReason: null, disabledAt: null, failingSince: null, lastSuccessAt: null, createdAt: now, updatedAt: now,
    })
    deliverer.start(outbox)
    for (let i = 0; i < 60; i++) {
      bus.publish({
        session: PHONE,
        engine: 'simulator',
        receivedAt: Date.now(),
        event: { type: 'message', message: { id: `m${i}`, timestamp: 1, chatId: 'x@c.us', from: 'x@c.us', to: 'y@c.us', fromMe: false, type: 'text', body: `${i}`, hasMedia: false, ack: 2 } },
      })
    }
    await ingest.idle()
    const delivered = async () => {
      await deliverer.flush()
      const rows: Array<{ state: string; count: number }> = await storage.db`SELECT state, COUNT(*) AS count FROM webhook_deliveries GROUP BY state`
      return rows.map((r) => [r.state, Number(r.count)])
    }
    await waitFor(async () => JSON.stringify(await delivered()) === JSON.stringify([['delivered', 60]]), 10_000)
    expect(new Set(receiver.received.map((r) => r.json.payload.id)).size).toBe(60)
    // Read back from the table while others completed, yet none was sent twice.
    expect(receiver.received).toHaveLength(60)
    expect(maxConcurrent).toBeLessThanOrEqual(3)
    expect(deliverer.stats().queued).toBe(0)
  })
})
