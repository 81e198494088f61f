/**
 * The webjs engine behind the session routes and the session manager, wired to the
 * typed fake Client: QR as JSON and PNG, pairing code, crash restarts that reuse the
 * pairing, LOGOUT and wrong-number endings that are never restarted, and a missing
 * Chromium reported with the fix.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import QRCode from 'qrcode'
import type { SessionEvent } from '../../../src/events/bus'
import { createTestServer, waitFor, type TestServer } from '../../helpers/app'
import { FakeWhatsApp } from './fake-client'
import { webjsTestServer } from './http-server'

const PHONE = '15550001111'
let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function webjsServer(world: FakeWhatsApp, env: Record<string, string> = {}) {
  const created = await webjsTestServer(world, env)
  const events: SessionEvent[] = []
  created.deps.bus.subscribe((event) => {
    events.push(event)
  })
  server = created
  return { server: created, events }
}

async function status(s: TestServer): Promise<string> {
  return (await s.call<{ status: string }>('GET', `/${PHONE}/state`)).body.status
}

describe('webjs sessions over HTTP (fake whatsapp-web.js Client)', () => {
  test('start → the QR as JSON and PNG → scan → WORKING with me and every webjs capability', async () => {
    const world = new FakeWhatsApp()
    const { server: s } = await webjsServer(world)
    const started = await s.call('POST', `/${PHONE}/start`)
    expect(started.status).toBe(200)
    expect((started.body.session as { engine: string }).engine).toBe('webjs')
    await waitFor(async () => (await status(s)) === 'SCAN_QR_CODE')

    const qr = await s.call<{ qrCode: string; value: string }>('GET', `/${PHONE}/qr`)
    expect(qr.body.value).toStartWith('2@fake-ref-1,')
    const png = new Uint8Array(await (await s.request('GET', `/${PHONE}/qr`, { headers: { accept: 'image/png' } })).arrayBuffer())
    expect(png).toEqual(new Uint8Array(await QRCode.toBuffer(qr.body.value, { type: 'png', margin: 2, width: 320 })))

    const code = await s.call<{ code: string }>('POST', `/${PHONE}/pairing-code`)
    expect(code.body.code).toBe('ABCD-2345')
    expect(world.callsOf('requestPairingCode')).toEqual([[PHONE, undefined, undefined]])

    world.scan(PHONE, 'Support desk')
    await waitFor(async () => (await status(s)) === 'WORKING')
    const state = await s.call<{ me: unknown; capabilities: string[] }>('GET', `/${PHONE}/state`)
    expect(state.body.me).toEqual({ id: `${PHONE}@c.us`, pushName: 'Support desk' })
    expect(state.body.capabilities).toContain('groups.participants')
    expect(state.body.capabilities).not.toContain('sandbox')
    // The simulator-only routes stay 501 on webjs.
    expect((await s.call('POST', `/${PHONE}/sandbox/scan`)).status).toBe(501)
  })

  test('Chromium dying: the manager restarts the engine with backoff, the pairing is reused (no new QR)', async () => {
    const world = new FakeWhatsApp()
    const { server: s, events } = await webjsServer(world)
    await s.call('POST', `/${PHONE}/start`)
    await waitFor(async () => (await status(s)) === 'SCAN_QR_CODE')
    world.scan(PHONE)
    await waitFor(async () => (await status(s)) === 'WORKING')
    const qrsBefore = events.filter((e) => e.event.type === 'qr').length

    world.current.crashBrowser('Chromium exited')
    await waitFor(() => world.clients.length === 2)
    await waitFor(async () => (await status(s)) === 'WORKING')
    expect(world.clients[0]!.setup.signal.aborted).toBe(true)
    expect(events.filter((e) => e.event.type === 'qr')).toHaveLength(qrsBefore)
    const seen: string[] = events.flatMap((e) => (e.event.type === 'session.status' ? [e.event.status] : []))
    const afterCrash = seen.slice(seen.lastIndexOf('FAILED'))
    // The crashed engine's own teardown (STOPPED) is stale and never reaches the bus.
    expect(afterCrash).toEqual(['FAILED', 'STARTING', 'WORKING'])
  })

  test('LOGOUT from the phone: FAILED with the reason, auth wiped, and no restart', async () => {
    const world = new FakeWhatsApp()
    const { server: s } = await webjsServer(world)
    await s.call('POST', `/${PHONE}/start`)
    await waitFor(async () => (await status(s)) === 'SCAN_QR_CODE')
    world.scan(PHONE)
    await waitFor(async () => (await status(s)) === 'WORKING')
    const profile = world.current.setup.userDataDir
    expect(existsSync(profile)).toBe(true)

    world.current.emitEvent('disconnected', 'LOGOUT')
    world.current.emitEvent('qr', '2@after-logout,a,b,c,WEB')
    await waitFor(() => !existsSync(profile))
    const state = await s.call<{ status: string; reason: string; state: string }>('GET', `/${PHONE}/state`)
    expect(state.body).toMatchObject({ status: 'FAILED', state: 'DISCONNECTED' })
    expect(state.body.reason).toContain('Logged out from the phone')
    // Several restart delays later (ENGINE_RESTART_BASE_MS=10 in tests), still one client.
    await Bun.sleep(200)
    expect(world.clients).toHaveLength(1)
    expect(await status(s)).toBe('FAILED')
    expect((await s.call('GET', `/${PHONE}/qr`)).status).toBe(409)
    // Ended for good: a server restart will not bring it back.
    await waitFor(async () => (await s.deps.sessions.find(PHONE))?.desiredState === 'stopped')

    // Starting again is a fresh link.
    await s.call('POST', `/${PHONE}/start`)
    await waitFor(async () => (await status(s)) === 'SCAN_QR_CODE')
  })

  test('paired by another number: CONFLICT explained over HTTP; a restart asks for a new QR', async () => {
    const world = new FakeWhatsApp()
    const { server: s } = await webjsServer(world)
    await s.call('POST', `/${PHONE}/start`)
    await waitFor(async () => (await status(s)) === 'SCAN_QR_CODE')
    world.scan('15550009999')
    await waitFor(async () => (await status(s)) === 'CONFLICT')
    const state = await s.call<{ reason: string; state: string }>('GET', `/${PHONE}/state`)
    expect(state.body.state).toBe('CONFLICT')
    expect(state.body.reason).toContain('15550009999')
    await waitFor(() => world.clients[0]!.loggedOut)
    expect((await s.call('POST', `/${PHONE}/restart`)).status).toBe(200)
    await waitFor(async () => (await status(s)) === 'SCAN_QR_CODE')
  })

  test('logout and delete remove the session data', async () => {
    const world = new FakeWhatsApp()
    const { server: s } = await webjsServer(world)
    await s.call('POST', `/${PHONE}/start`)
    await waitFor(async () => (await status(s)) === 'SCAN_QR_CODE')
    world.scan(PHONE)
    await waitFor(async () => (await status(s)) === 'WORKING')
    expect((await s.call('POST', `/${PHONE}/logout`)).status).toBe(200)
    expect(world.callsOf('logout')).toHaveLength(1)
    expect(existsSync(join(s.dataDir, 'sessions', PHONE))).toBe(false)
    expect((await s.call('DELETE', `/${PHONE}`)).status).toBe(200)
    expect((await s.call('GET', `/${PHONE}/state`)).status).toBe(404)
  })
})

describe('Chromium missing', () => {
  test('a webjs start names the fix (CHROME_PATH / apt-get install chromium); the server stays up', async () => {
    server = await createTestServer({ WA_ENGINE: 'webjs', CHROME_PATH: '/nonexistent/chromium' })
    const started = await server.call<{ error: string; code: string }>('POST', `/${PHONE}/start`)
    // The machine cannot run the engine: 503 ENGINE_UNAVAILABLE (API.md §errors), never a 500.
    expect(started.status).toBe(503)
    expect(started.body.code).toBe('ENGINE_UNAVAILABLE')
    expect(started.body.error).toContain('CHROME_PATH is set to /nonexistent/chromium')
    expect(JSON.stringify(started.body)).not.toContain('    at ')
    // The simulator still works on the same server.
    expect((await server.call('POST', '/15550002222/start', { body: { engine: 'simulator' } })).status).toBe(200)
  })
})
