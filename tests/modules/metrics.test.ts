import { afterEach, describe, expect, test } from 'bun:test'
import { spawn } from 'node:child_process'
import { sessionLabel } from '../../src/lib/metrics'
import { processGroupMemoryBytes } from '../../src/providers/webjs/chromium'
import { createTestServer, waitFor, type TestServer } from '../helpers/app'
import { startReceiver, type Receiver } from '../helpers/receiver'
import { FakeWhatsApp } from '../providers/webjs/fake-client'
import { webjsTestServer } from '../providers/webjs/http-server'

const A = '966500000001'
const B = '966500000002'
const METRICS_TOKEN = 'scrape-only-token-0123456789'

let server: TestServer | undefined
let receiver: Receiver | undefined
afterEach(async () => {
  await server?.close()
  await receiver?.close()
  server = undefined
  receiver = undefined
})

async function scrape(s: TestServer, headers: Record<string, string> = {}): Promise<string> {
  const response = await s.request('GET', '/metrics', Object.keys(headers).length > 0 ? { key: null, headers } : {})
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toStartWith('text/plain; version=0.0.4')
  return response.text()
}

/** The value of one series (exact label set, in the order prom-client writes them), or undefined. */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

/** Every label value of every sample line. */
function labelValues(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .flatMap((line) => [...line.matchAll(/="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!))
}

describe('GET /metrics: who may scrape', () => {
  test('no credential is 401; a wrong token is 401; an account key is 403; admin key and METRICS_TOKEN are 200', async () => {
    server = await createTestServer({ METRICS_TOKEN })
    const none = await server.call('GET', '/metrics', { key: null })
    expect(none.status).toBe(401)
    expect(none.body).toMatchObject({ code: 'UNAUTHORIZED', statusCode: 401 })
    expect(none.headers.get('www-authenticate')).toBeTruthy()

    const wrong = await server.call('GET', '/metrics', { key: null, headers: { authorization: 'Bearer not-the-metrics-token-000' } })
    expect(wrong.status).toBe(401)

    const created = await server.call<{ key: string }>('POST', '/api-keys', { body: { name: 'backend', accountId: 'org_a' } })
    expect(created.status).toBe(201)
    const account = await server.call('GET', '/metrics', { key: created.body.key })
    expect(account.status).toBe(403)
    expect(account.body).toMatchObject({ code: 'FORBIDDEN', error: expect.stringContaining('METRICS_TOKEN') })

    expect(await scrape(server)).toContain('whatsapp_sessions')
    expect(await scrape(server, { authorization: `Bearer ${METRICS_TOKEN}` })).toContain('whatsapp_sessions')
    // The metrics token is for scraping only: it opens nothing else.
    const other = await server.call('GET', '/sessions', { key: null, headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    expect(other.status).toBe(401)
  })

  test('without METRICS_TOKEN configured, a bearer is just another credential: the admin key works as Bearer too', async () => {
    server = await createTestServer()
    const response = await server.call('GET', '/metrics', { key: null, headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    expect(response.status).toBe(401)
    expect(await scrape(server, { authorization: 'Bearer test-admin-key-0123456789abcdef' })).toContain('http_requests_total')
  })
})

describe('GET /metrics: what it says', () => {
  test('every contracted name is present, with the default process metrics', async () => {
    server = await createTestServer()
    const text = await scrape(server)
    for (const name of [
      'whatsapp_sessions',
      'whatsapp_messages_total',
      'whatsapp_webhook_deliveries_total',
      'whatsapp_webhook_delivery_duration_seconds',
      'whatsapp_outbox_pending',
      'whatsapp_engine_restarts_total',
      'whatsapp_browser_memory_bytes',
      'http_requests_total',
      'http_request_duration_seconds',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text, name).toContain(`# TYPE ${name} `)
    }
    expect(text).toContain('# TYPE whatsapp_webhook_delivery_duration_seconds histogram')
    expect(text).toContain('# TYPE http_request_duration_seconds histogram')
  })

  test('sessions by engine and status; messages in and out; route patterns, never numbers, as labels', async () => {
    server = await createTestServer()
    await server.link(A)
    await server.link(B)
    await server.call('POST', '/966500000003/start')
    await waitFor(async () => (await server!.call('GET', '/966500000003/state')).body.status === 'SCAN_QR_CODE')
    const sent = await server.call('POST', `/${A}/send-text`, { body: { chatId: B, text: 'hello' } })
    expect(sent.status).toBe(200)
    await server.deps.ingest.idle()
    await server.call('GET', `/${A}/state`)
    await server.call('GET', '/966599999999/state') // 404: unknown session
    await server.call('GET', '/no/such/route/123')

    // Requests are counted once their response has gone out, a moment after the caller has it.
    let text = ''
    await waitFor(async () => valueOf((text = await scrape(server!)), 'http_requests_total{method="GET",route="unmatched",status="404"}') === 1)
    expect(valueOf(text, 'whatsapp_sessions{engine="simulator",status="WORKING"}')).toBe(2)
    expect(valueOf(text, 'whatsapp_sessions{engine="simulator",status="SCAN_QR_CODE"}')).toBe(1)
    // A's copy of the sent message is out; B receives it: in.
    expect(valueOf(text, 'whatsapp_messages_total{direction="out",engine="simulator"}')).toBe(1)
    expect(valueOf(text, 'whatsapp_messages_total{direction="in",engine="simulator"}')).toBe(1)

    expect(valueOf(text, 'http_requests_total{method="POST",route="/api/whatsapp/:phoneNumber/send-text",status="200"}')).toBe(1)
    expect(valueOf(text, 'http_requests_total{method="GET",route="/api/whatsapp/:phoneNumber/state",status="404"}')).toBe(1)
    expect(valueOf(text, 'http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1)
    expect(text).toContain('http_request_duration_seconds_count{method="POST",route="/api/whatsapp/:phoneNumber/send-text"} 1')

    const values = labelValues(text)
    for (const number of [A, B, '966500000003', '966599999999', '123']) {
      expect(values.some((value) => value.includes(number)), `a label value holds ${number}`).toBe(false)
    }
    // No label value is a bare number or an id, apart from status codes and histogram bounds.
    const suspicious = text
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .flatMap((line) => [...line.matchAll(/(\w+)="([^"]*)"/g)])
      .filter(([, name, value]) => !['status', 'le', 'version', 'major', 'minor', 'patch', 'space', 'kind', 'type'].includes(name!) && /\d{4,}/.test(value!))
    expect(suspicious.map((m) => m[0])).toEqual([])
  })

  test('webhook deliveries: delivered and retried attempts counted and timed; pending outbox shown', async () => {
    let failNext = 1
    receiver = startReceiver(() => (failNext-- > 0 ? new Response('busy', { status: 500 }) : new Response('ok')))
    server = await createTestServer({ OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32', WEBHOOK_RETRY_BASE_MS: '20', WEBHOOK_RETRY_MAX_MS: '50' })
    await server.link(A)
    const hook = await server.call('POST', `/${A}/webhooks`, { body: { url: `${receiver.url}/hook`, events: ['message'] } })
    expect(hook.status).toBe(201)
    const before = await scrape(server)
    expect(valueOf(before, 'whatsapp_webhook_deliveries_total{outcome="delivered"}')).toBe(0)

    await server.call('POST', `/${A}/sandbox/incoming`, { body: { from: '966511111111', text: 'hi' } })
    await waitFor(() => receiver!.received.length === 2)
    // The attempt is counted when its answer has been read, a moment after the receiver saw it.
    await waitFor(async () => valueOf(await scrape(server!), 'whatsapp_webhook_deliveries_total{outcome="delivered"}') === 1)
    await waitFor(async () => valueOf(await scrape(server!), 'whatsapp_outbox_pending') === 0)
    const after = await scrape(server)
    expect(valueOf(after, 'whatsapp_webhook_deliveries_total{outcome="retry"}')).toBe(1)
    expect(valueOf(after, 'whatsapp_webhook_deliveries_total{outcome="delivered"}')).toBe(1)
    expect(valueOf(after, 'whatsapp_webhook_delivery_duration_seconds_count')).toBe(2)
    expect(valueOf(after, 'whatsapp_outbox_pending')).toBe(0)

    // A receiver that is down: the delivery stays pending in the outbox.
    await receiver.stop()
    await server.call('POST', `/${A}/sandbox/incoming`, { body: { from: '966511111111', text: 'are you there' } })
    await server.deps.ingest.idle()
    await waitFor(async () => valueOf(await scrape(server!), 'whatsapp_outbox_pending') === 1)
  })

  test('engine restarts are counted per engine', async () => {
    server = await createTestServer()
    await server.link(A)
    const session = await server.deps.sessions.requireEngine(A)
    await session.sandbox!.crash('test crash')
    await waitFor(async () => valueOf(await scrape(server!), 'whatsapp_engine_restarts_total{engine="simulator"}') === 1)
  })
})

describe('whatsapp_browser_memory_bytes', () => {
  test('sums the resident memory of a process group from /proc', async () => {
    const child = spawn('sh', ['-c', 'sleep 30 & sleep 30 & wait'], { detached: true, stdio: 'ignore' })
    try {
      await waitFor(() => (processGroupMemoryBytes(child.pid!) ?? 0) > 0)
      const one = Number(/VmRSS:\s+(\d+)/.exec(await Bun.file(`/proc/${child.pid}/status`).text())![1]) * 1024
      // The shell and its two sleeps: more than the shell alone.
      await waitFor(() => processGroupMemoryBytes(child.pid!)! > one)
    } finally {
      process.kill(-child.pid!, 'SIGKILL')
    }
    expect(processGroupMemoryBytes(999_999_999)).toBeUndefined()
  })

  test("a webjs session's browser memory is a series labelled by the number's pseudonym, not the number", async () => {
    const browser = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' })
    try {
      const world = new FakeWhatsApp()
      world.browserPid = browser.pid
      server = await webjsTestServer(world)
      const PHONE = '15550001111'
      expect((await server.call('POST', `/${PHONE}/start`)).status).toBe(200)
      await waitFor(async () => (await server!.call<{ status: string }>('GET', `/${PHONE}/state`)).body.status === 'SCAN_QR_CODE')
      const text = await scrape(server)
      const label = sessionLabel(PHONE)
      expect(label).toMatch(/^[0-9a-f]{12}$/)
      expect(valueOf(text, `whatsapp_browser_memory_bytes{session="${label}",engine="webjs"}`)).toBeGreaterThan(0)
      expect(text).not.toContain(PHONE)
    } finally {
      browser.kill('SIGKILL')
    }
  })
})
