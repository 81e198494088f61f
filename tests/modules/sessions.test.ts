import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { createTestServer, waitFor, type TestServer } from '../helpers/app'

const PHONE = '966500000001'
let server: TestServer

beforeEach(async () => {
  server = await createTestServer()
})
afterEach(async () => {
  await server.close()
})

async function status(phone = PHONE): Promise<string> {
  return (await server.call<{ status: string }>('GET', `/${phone}/state`)).body.status
}

describe('session lifecycle on the simulator', () => {
  test('start shows a QR, the scan connects, and state reports the linked account', async () => {
    const started = await server.call('POST', `/${PHONE}/start`)
    expect(started.status).toBe(200)
    expect(started.body).toMatchObject({ success: true, state: 'AUTHENTICATING' })
    await waitFor(async () => (await status()) === 'SCAN_QR_CODE')

    const qr = await server.call<{ qrCode: string; value: string }>('GET', `/${PHONE}/qr`)
    expect(qr.status).toBe(200)
    expect(qr.body.qrCode).toStartWith('data:image/png;base64,')
    expect(qr.body.value).toStartWith('2@')
    const png = Buffer.from(qr.body.qrCode.split(',')[1]!, 'base64')
    expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG')

    const scanned = await server.call('POST', `/${PHONE}/sandbox/scan`, { body: { pushName: 'Support desk' } })
    expect(scanned.body).toMatchObject({ success: true, state: 'CONNECTED', status: 'WORKING' })

    const state = await server.call('GET', `/${PHONE}/state`)
    expect(state.body).toMatchObject({
      state: 'CONNECTED',
      status: 'WORKING',
      engine: 'simulator',
      me: { id: `${PHONE}@c.us`, pushName: 'Support desk' },
    })
    expect(state.body.capabilities).toContain('session.qr')
  })

  test('a leading + is accepted and stripped', async () => {
    const started = await server.call('POST', `/%2B${PHONE}/start`)
    expect(started.status).toBe(200)
    expect((started.body.session as { phoneNumber: string }).phoneNumber).toBe(PHONE)
  })

  test('the QR as PNG with Accept: image/png', async () => {
    await server.call('POST', `/${PHONE}/start`)
    await waitFor(async () => (await status()) === 'SCAN_QR_CODE')
    const response = await server.request('GET', `/${PHONE}/qr`, { headers: { accept: 'image/png' } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('image/png')
    const bytes = new Uint8Array(await response.arrayBuffer())
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  })

  test('start is idempotent: a second start returns the same pending session', async () => {
    await server.call('POST', `/${PHONE}/start`)
    await waitFor(async () => (await status()) === 'SCAN_QR_CODE')
    const qrBefore = (await server.call<{ value: string }>('GET', `/${PHONE}/qr`)).body.value
    const again = await server.call('POST', `/${PHONE}/start`)
    expect(again.status).toBe(200)
    expect(again.body.status).toBe('SCAN_QR_CODE')
    expect((await server.call<{ value: string }>('GET', `/${PHONE}/qr`)).body.value).toBe(qrBefore)
  })

  test('concurrent starts and stops of one number do not race', async () => {
    const results = await Promise.all([
      server.call('POST', `/${PHONE}/start`),
      server.call('POST', `/${PHONE}/start`),
      server.call('POST', `/${PHONE}/start`),
    ])
    expect(results.map((r) => r.status)).toEqual([200, 200, 200])
    const sessions = await server.call<{ sessions: unknown[] }>('GET', '/sessions')
    expect(sessions.body.sessions).toHaveLength(1)
    const mixed = await Promise.all([server.call('POST', `/${PHONE}/stop`), server.call('POST', `/${PHONE}/start`), server.call('POST', `/${PHONE}/stop`)])
    expect(mixed.map((r) => r.status)).toEqual([200, 200, 200])
    expect(await status()).toBe('STOPPED')
  })

  test('stop keeps the pairing: the next start connects without a QR', async () => {
    await server.link(PHONE)
    const stopped = await server.call('POST', `/${PHONE}/stop`)
    expect(stopped.body).toMatchObject({ success: true, state: 'DISCONNECTED', status: 'STOPPED' })
    await server.call('POST', `/${PHONE}/start`)
    await waitFor(async () => (await status()) === 'WORKING')
    const qr = await server.call('GET', `/${PHONE}/qr`)
    expect(qr.status).toBe(409)
  })

  test('restart brings a linked session back to WORKING without a QR', async () => {
    await server.link(PHONE)
    const restarted = await server.call('POST', `/${PHONE}/restart`)
    expect(restarted.status).toBe(200)
    const seen: string[] = []
    await waitFor(async () => {
      seen.push(await status())
      return seen.at(-1) === 'WORKING'
    })
    expect(seen).not.toContain('SCAN_QR_CODE')
  })

  test('logout forgets the pairing: the next start needs a QR', async () => {
    await server.link(PHONE)
    const out = await server.call('POST', `/${PHONE}/logout`)
    expect(out.body).toMatchObject({ success: true, status: 'STOPPED' })
    await server.call('POST', `/${PHONE}/start`)
    await waitFor(async () => (await status()) === 'SCAN_QR_CODE')
  })

  test('delete removes the session and its data; later calls are 404', async () => {
    await server.link(PHONE)
    const { existsSync } = await import('node:fs')
    const dir = `${server.dataDir}/sessions/${PHONE}`
    expect(existsSync(dir)).toBe(true)
    const deleted = await server.call('DELETE', `/${PHONE}`)
    expect(deleted.status).toBe(200)
    expect(existsSync(dir)).toBe(false)
    expect((await server.call('GET', `/${PHONE}/state`)).status).toBe(404)
    expect((await server.call<{ sessions: unknown[] }>('GET', '/sessions')).body.sessions).toHaveLength(0)
  })

  test('pairing code while waiting for a scan, then the phone confirms it', async () => {
    await server.call('POST', `/${PHONE}/start`)
    await waitFor(async () => (await status()) === 'SCAN_QR_CODE')
    const pairing = await server.call<{ code: string }>('POST', `/${PHONE}/pairing-code`)
    expect(pairing.status).toBe(200)
    expect(pairing.body.code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/)
    await server.call('POST', `/${PHONE}/sandbox/scan`)
    expect(await status()).toBe('WORKING')
    const late = await server.call('POST', `/${PHONE}/pairing-code`)
    // Linked already: nothing to pair (a WORKING session is not "not ready").
    expect(late.status).toBe(409)
    expect(late.body).toMatchObject({ code: 'CONFLICT', details: { status: 'WORKING' } })
  })

  test('a phone of another number linking puts the session in CONFLICT', async () => {
    await server.call('POST', `/${PHONE}/start`)
    await waitFor(async () => (await status()) === 'SCAN_QR_CODE')
    const scanned = await server.call('POST', `/${PHONE}/sandbox/scan`, { body: { phone: '966599999999' } })
    expect(scanned.body).toMatchObject({ success: false, state: 'CONFLICT', status: 'CONFLICT' })
    expect(String(scanned.body.reason)).toContain('966599999999')
  })

  test('GET /sessions lists sessions with their state', async () => {
    await server.link(PHONE)
    await server.call('POST', '/966500000002/start')
    const list = await server.call<{ sessions: Array<{ phoneNumber: string; state: string }> }>('GET', '/sessions')
    expect(list.status).toBe(200)
    expect(list.body.sessions.map((s) => [s.phoneNumber, s.state])).toEqual([
      [PHONE, 'CONNECTED'],
      ['966500000002', 'AUTHENTICATING'],
    ])
  })

  test('a crashed engine is restarted with backoff and returns to WORKING', async () => {
    await server.link(PHONE)
    const published: string[] = []
    server.deps.bus.subscribe(({ event }) => {
      if (event.type === 'session.status') published.push(event.status)
    })
    const crashed = await server.call('POST', `/${PHONE}/sandbox/crash`)
    expect(crashed.status).toBe(200)
    expect(await status()).toBe('FAILED')
    await waitFor(async () => (await status()) === 'WORKING')
    expect(published).toEqual(['FAILED', 'STARTING', 'WORKING'])
  })
})

describe('session failure paths', () => {
  const badNumbers = [
    ['letters', 'abcdefghij'],
    ['too short', '123456'],
    ['too long', '1234567890123456'],
    ['path traversal', '..%2Fx'],
    ['mixed', '96650000000a'],
  ]
  for (const [label, number] of badNumbers) {
    test(`400 for a bad number (${label})`, async () => {
      for (const [method, path] of [
        ['POST', `/${number}/start`],
        ['GET', `/${number}/state`],
        ['DELETE', `/${number}`],
      ] as const) {
        const response = await server.call(method, path)
        expect(response.status).toBe(400)
        expect(response.body).toMatchObject({ code: 'BAD_REQUEST', statusCode: 400 })
      }
    })
  }

  test('401 without a key, with a wrong key, and with a wrong bearer; WWW-Authenticate is set', async () => {
    for (const options of [{ key: null }, { key: 'wrong-key' }, { key: null, headers: { authorization: 'Bearer nope' } }]) {
      const response = await server.call('POST', `/${PHONE}/start`, options)
      expect(response.status).toBe(401)
      expect(response.body).toMatchObject({ code: 'UNAUTHORIZED', statusCode: 401 })
      expect(response.headers.get('www-authenticate')).toContain('Bearer')
    }
    expect((await server.call('GET', '/sessions', { key: null })).status).toBe(401)
  })

  test('the admin key works as a Bearer token too', async () => {
    const response = await server.call('GET', '/sessions', { key: null, headers: { authorization: `Bearer ${server.config.apiKey}` } })
    expect(response.status).toBe(200)
  })

  test('404 for every route of an unknown session', async () => {
    for (const [method, path] of [
      ['POST', 'stop'],
      ['POST', 'restart'],
      ['POST', 'logout'],
      ['GET', 'qr'],
      ['POST', 'pairing-code'],
      ['GET', 'state'],
      ['POST', 'sandbox/scan'],
    ] as const) {
      const response = await server.call(method, `/${PHONE}/${path}`)
      expect(response.status, `${method} ${path}`).toBe(404)
      expect(response.body).toMatchObject({ code: 'NOT_FOUND', statusCode: 404 })
    }
    expect((await server.call('DELETE', `/${PHONE}`)).status).toBe(404)
  })

  test('409 for the QR when none is pending', async () => {
    await server.link(PHONE)
    const response = await server.call('GET', `/${PHONE}/qr`)
    expect(response.status).toBe(409)
    expect(response.body).toMatchObject({ code: 'CONFLICT', details: { status: 'WORKING' } })
    await server.call('POST', `/${PHONE}/stop`)
    expect((await server.call('GET', `/${PHONE}/qr`)).status).toBe(409)
  })

  test('400 for an unknown engine or a wrong type in the start body, and for malformed JSON', async () => {
    const engine = await server.call('POST', `/${PHONE}/start`, { body: { engine: 'baileys' } })
    expect(engine.status).toBe(400)
    expect(engine.body.error).toContain('engine')
    const wrongType = await server.call('POST', `/${PHONE}/start`, { body: { accountId: 42 } })
    expect(wrongType.status).toBe(400)
    expect(wrongType.body.error).toContain('accountId')
    const malformed = await server.call('POST', `/${PHONE}/start`, { rawBody: '{"engine":' })
    expect(malformed.status).toBe(400)
    expect(malformed.body).toMatchObject({ code: 'BAD_REQUEST' })
  })

  test('501 when the engine is not available on this server', async () => {
    const response = await server.call('POST', `/${PHONE}/start`, { body: { engine: 'waha' } })
    expect(response.status).toBe(501)
    expect(response.body).toMatchObject({ code: 'NOT_SUPPORTED', details: { engine: 'waha' } })
  })

  test('409 when switching engines on a running session', async () => {
    await server.call('POST', `/${PHONE}/start`)
    const response = await server.call('POST', `/${PHONE}/start`, { body: { engine: 'webjs' } })
    expect(response.status).toBe(409)
  })

  test('404 with the envelope for an unknown route; no stack traces anywhere', async () => {
    const response = await server.call('GET', '/no/such/route/here')
    expect(response.status).toBe(404)
    expect(response.body).toMatchObject({ code: 'NOT_FOUND', statusCode: 404 })
    expect(JSON.stringify(response.body)).not.toContain('at ')
  })

  test('413 for a body over the configured limit', async () => {
    const small = await createTestServer({ MAX_BODY_BYTES: '2048' })
    try {
      const response = await small.call('POST', `/${PHONE}/sandbox/incoming`, { body: { from: '966511111111', text: 'x'.repeat(5000) } })
      expect(response.status).toBe(413)
      expect(response.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', statusCode: 413 })
    } finally {
      await small.close()
    }
  })

  test('health is public', async () => {
    const response = await server.call('GET', '/health', { key: null })
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ status: 'ok', engines: expect.arrayContaining(['simulator']), defaultEngine: 'simulator' })
  })
})

describe('sandbox routes', () => {
  test('an incoming message lands in the chat history', async () => {
    await server.link(PHONE)
    const incoming = await server.call<{ messageId: string }>('POST', `/${PHONE}/sandbox/incoming`, { body: { from: '+966511111111', text: 'Hello' } })
    expect(incoming.status).toBe(200)
    expect(incoming.body.messageId).toContain('966511111111@c.us')
  })

  test('409 before pairing, 400 for a bad body, and strict base64 for media', async () => {
    await server.call('POST', `/${PHONE}/start`)
    expect((await server.call('POST', `/${PHONE}/sandbox/incoming`, { body: { from: '966511111111', text: 'x' } })).status).toBe(409)
    await server.link(PHONE)
    expect((await server.call('POST', `/${PHONE}/sandbox/incoming`, { body: { text: 'no sender' } })).status).toBe(400)
    expect((await server.call('POST', `/${PHONE}/sandbox/incoming`, { body: { from: '966511111111' } })).status).toBe(400)
    const bad = await server.call('POST', `/${PHONE}/sandbox/incoming`, { body: { from: '966511111111', media: { data: 'not*base64', mimeType: 'image/png' } } })
    expect(bad.status).toBe(400)
    expect(bad.body.error).toContain('base64')
  })
})
