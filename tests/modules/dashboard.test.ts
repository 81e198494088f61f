/** The dashboard's shell and assets over HTTP: public, local, under a strict CSP; and the streams it listens to. */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { createTestServer, waitFor, type TestServer } from '../helpers/app'
import { SseReader } from '../helpers/sse'

let server: TestServer
const readers: SseReader[] = []

beforeEach(async () => {
  server = await createTestServer()
})

afterEach(async () => {
  for (const reader of readers.splice(0)) await reader.close()
  await server.close()
})

function cspOf(response: Response): Map<string, string> {
  const header = response.headers.get('content-security-policy') ?? ''
  return new Map(header.split(';').map((part) => part.trim()).filter(Boolean).map((part) => {
    const [name = '', ...values] = part.split(/\s+/)
    return [name, values.join(' ')] as [string, string]
  }))
}

describe('the dashboard page', () => {
  test('is public HTML under a strict CSP: own scripts only, no inline code or eval, no framing', async () => {
    const response = await server.request('GET', '/dashboard', { key: null })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toStartWith('text/html')
    const csp = cspOf(response)
    expect(csp.get('default-src')).toBe("'none'")
    expect(csp.get('script-src')).toBe("'self'")
    expect(csp.get('style-src')).toBe("'self'")
    expect(csp.get('connect-src')).toBe("'self'")
    expect(csp.get('frame-ancestors')).toBe("'none'")
    for (const value of csp.values()) {
      expect(value).not.toContain('unsafe-inline')
      expect(value).not.toContain('unsafe-eval')
      expect(value).not.toContain('*')
      expect(value).not.toContain('http')
    }
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')
    const html = await response.text()
    // No inline script or style, and nothing from another origin.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(html).not.toMatch(/\son[a-z]+=/i)
    expect(html).not.toContain('style=')
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
    // The contract's accessible names are in the shell.
    for (const label of ['API key', 'Sign in', 'Phone number', 'Start session', 'To', 'Message', 'Send']) expect(html).toContain(`>${label}<`)
    expect(html).toContain('aria-label="Events"')
  })

  test('serves every asset it references, locally, with the right type', async () => {
    const html = await (await server.request('GET', '/dashboard', { key: null })).text()
    const referenced = [...html.matchAll(/(?:src|href)="dashboard\/assets\/([^"]+)"/g)].map((match) => match[1]!)
    expect(referenced.sort()).toEqual(['app.js', 'style.css'])
    const scripts = readdirSync(join(import.meta.dir, '../../src/modules/dashboard/public')).filter((file) => file.endsWith('.js') || file.endsWith('.css'))
    for (const file of scripts) {
      const response = await server.request('GET', `/dashboard/assets/${file}`, { key: null })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toStartWith(file.endsWith('.css') ? 'text/css' : 'text/javascript')
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'")
      const body = await response.text()
      expect(body.length).toBeGreaterThan(100)
      // Text is never parsed as HTML, and nothing is evaluated.
      expect(body).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/)
      expect(body).not.toMatch(/document\.cookie|localStorage/)
      // Module imports stay on this server.
      for (const match of body.matchAll(/from '([^']+)'/g)) expect(match[1]).toStartWith('./')
    }
  })

  test('unknown or traversing asset names are 404 envelopes, never files', async () => {
    for (const name of ['nope.js', 'index.html', '..%2F..%2Findex.ts', '%2e%2e%2Fdashboard%2Findex.ts', 'app.js%00.css']) {
      const response = await server.request('GET', `/dashboard/assets/${name}`, { key: null })
      expect(response.status).toBe(404)
      expect(await response.json()).toMatchObject({ code: 'NOT_FOUND', statusCode: 404 })
    }
  })

  test('the OpenAPI document lists the dashboard as public and the streams as guarded', async () => {
    const spec = (await server.call<{ paths: Record<string, Record<string, { security?: unknown[] }>> }>('GET', '/swagger/json', { key: null })).body
    expect(spec.paths['/api/whatsapp/dashboard']?.get?.security).toEqual([])
    expect(spec.paths['/api/whatsapp/events']?.get).toBeDefined()
    expect(spec.paths['/api/whatsapp/{phoneNumber}/qr/events']?.get).toBeDefined()
    expect(spec.paths['/api/whatsapp/dashboard/assets/{file}']).toBeUndefined()
  })
})

const A = '966500000201'
const B = '966500000202'
const C = '966500000203'

async function stream(path: string, key: string): Promise<SseReader> {
  const response = await server.request('GET', path, { key })
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toStartWith('text/event-stream')
  const reader = new SseReader(response)
  readers.push(reader)
  return reader
}

describe('GET /events: every session of the caller on one stream', () => {
  test("an account sees its own numbers' events, including numbers started later, and nobody else's", async () => {
    const acme = (await server.call<{ key: string }>('POST', '/api-keys', { body: { name: 'acme', accountId: 'acme' } })).body.key
    const other = (await server.call<{ key: string }>('POST', '/api-keys', { body: { name: 'other', accountId: 'other' } })).body.key
    const onlyB = (await server.call<{ key: string }>('POST', '/api-keys', { body: { name: 'b only', accountId: 'acme', phoneNumber: B } })).body.key
    await server.link(A, { key: acme })
    const acmeStream = await stream('/events', acme)
    const onlyBStream = await stream('/events', onlyB)
    const adminStream = await stream('/events', 'test-admin-key-0123456789abcdef')
    await waitFor(() => server.deps.events.sse.subscriberCount() === 3)
    await server.link(B, { key: acme })
    await server.link(C, { key: other })
    await server.call('POST', `/${A}/stop`, { key: acme })
    await waitFor(() => adminStream.events.filter((event) => event.event === 'session.status').length >= 7)
    await server.deps.ingest.idle()
    await Bun.sleep(50)
    const sessionsIn = (reader: SseReader) => [...new Set(reader.events.map((event) => event.data.session as string))].sort()
    expect(sessionsIn(acmeStream)).toEqual([A, B])
    expect(sessionsIn(onlyBStream)).toEqual([B])
    expect(sessionsIn(adminStream)).toEqual([A, B, C])
    // In outbox order, with the stop announced.
    const ids = acmeStream.events.map((event) => Number(event.id))
    expect(ids).toEqual([...ids].sort((x, y) => x - y))
    expect(acmeStream.events.filter((event) => event.data.session === A).at(-1)?.data.payload.status).toBe('STOPPED')
  })

  test("revoking the stream's key ends the stream at its next event; reconnecting is 401", async () => {
    const created = (await server.call<{ id: string; key: string }>('POST', '/api-keys', { body: { name: 'acme', accountId: 'acme' } })).body
    await server.link(A, { key: created.key })
    const reader = await stream('/events', created.key)
    await waitFor(() => server.deps.events.sse.subscriberCount() === 1)
    await server.call('POST', `/${A}/send-text`, { key: created.key, body: { chatId: B, text: 'before' } })
    await waitFor(() => reader.events.some((event) => event.event === 'message.any'))
    expect((await server.call('DELETE', `/api-keys/${created.id}`)).status).toBe(200)
    await server.call('POST', `/${A}/send-text`, { body: { chatId: B, text: 'after' } })
    await waitFor(() => reader.ended)
    expect(reader.events.filter((event) => event.event === 'message.any').map((event) => event.data.payload.body)).toEqual(['before'])
    expect((await server.call('GET', '/events', { key: created.key })).status).toBe(401)
  })

  test('resumes with Last-Event-ID, filters by event name, and needs a credential', async () => {
    await server.link(A)
    const first = await stream('/events?events=session.status', 'test-admin-key-0123456789abcdef')
    // Nothing replayed without Last-Event-ID.
    await Bun.sleep(50)
    expect(first.events).toEqual([])
    const replayed = await stream('/events?lastEventId=1', 'test-admin-key-0123456789abcdef')
    await waitFor(() => replayed.events.length >= 2)
    expect(replayed.events.map((event) => event.data.payload.status)).toEqual(['SCAN_QR_CODE', 'WORKING'])
    expect((await server.call('GET', '/events', { key: null })).status).toBe(401)
    expect((await server.call('GET', '/events?events=bogus')).status).toBe(400)
    expect((await server.call('GET', '/events', { headers: { 'last-event-id': 'x' } })).status).toBe(400)
  })
})

describe('GET /:phoneNumber/qr/events: the QR as it rotates', () => {
  test('sends the status and the pending QR, each rotation, then ends after WORKING', async () => {
    await server.close()
    server = await createTestServer({ SIMULATOR_QR_REFRESH_MS: '100' })
    await server.call('POST', `/${A}/start`)
    await waitFor(async () => (await server.call('GET', `/${A}/state`)).body.status === 'SCAN_QR_CODE')
    const reader = await stream(`/${A}/qr/events`, 'test-admin-key-0123456789abcdef')
    await waitFor(() => reader.events.filter((event) => event.event === 'qr').length >= 3, 5000)
    const qrs = reader.frames.filter((frame) => frame.event === 'qr').map((frame) => JSON.parse(frame.data!) as { qrCode: string; value: string })
    expect(qrs[0]!.qrCode).toStartWith('data:image/png;base64,')
    expect(new Set(qrs.map((qr) => qr.value)).size).toBeGreaterThanOrEqual(2)
    expect(JSON.parse(reader.frames.find((frame) => frame.event === 'status')!.data!)).toMatchObject({ status: 'SCAN_QR_CODE', state: 'AUTHENTICATING' })
    await server.call('POST', `/${A}/sandbox/scan`)
    await waitFor(() => reader.ended, 5000)
    expect(JSON.parse(reader.frames.filter((frame) => frame.event === 'status').at(-1)!.data!)).toMatchObject({ status: 'WORKING', state: 'CONNECTED' })
  })

  test('is guarded like the number: 401, 403, 404, 400', async () => {
    const other = (await server.call<{ key: string }>('POST', '/api-keys', { body: { name: 'other', accountId: 'other' } })).body.key
    expect((await server.call('GET', `/${A}/qr/events`)).status).toBe(404)
    await server.call('POST', `/${A}/start`, { body: { accountId: 'acme' } })
    expect((await server.call('GET', `/${A}/qr/events`, { key: null })).status).toBe(401)
    expect((await server.call('GET', `/${A}/qr/events`, { key: other })).status).toBe(403)
    expect((await server.call('GET', '/12/qr/events')).status).toBe(400)
  })
})
