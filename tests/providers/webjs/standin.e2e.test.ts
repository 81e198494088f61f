/**
 * End to end: the server's webjs engine — real whatsapp-web.js, puppeteer and Debian's
 * Chromium — against the WhatsApp Web stand-in (tests/fixtures/wweb-standin), through the
 * session routes. Link by QR, messages both ways, acks, Chromium killed and brought back
 * without a QR, a real server restart restoring the session, and a LOGOUT from the phone
 * that ends in FAILED with the pairing wiped and no restart.
 *
 * The steps build on each other and run in order. Timeouts only keep a broken run from
 * hanging; nothing here asserts speed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import QRCode from 'qrcode'
import type { SessionEvent } from '../../../src/events/bus'
import type { MessageDTO, EngineEvent } from '../../../src/providers/engine'
import { killProfileProcesses, profileProcesses } from '../../../src/providers/webjs/chromium'
import { startWwebStandin, type WwebStandin } from '../../fixtures/wweb-standin'
import { ADMIN_KEY, createTestServer, tempDir, waitFor, type TestServer } from '../../helpers/app'
import { chromiumPath, withoutChromium } from '../../helpers/chromium'
import { startServerProcess, type ServerProcess } from '../../helpers/process'

const PHONE = '15550001111'
const PEER = '15550002222'
const STEP = 90_000
const WAIT = 45_000

let standin: WwebStandin
let dataDir: string
let profile: string
let env: Record<string, string>
let server: TestServer | undefined
let child: ServerProcess | undefined
const events: SessionEvent[] = []

function ofType<T extends EngineEvent['type']>(type: T): Array<Extract<EngineEvent, { type: T }>> {
  return events.flatMap((e) => (e.event.type === type ? [e.event as Extract<EngineEvent, { type: T }>] : []))
}

async function status(): Promise<string> {
  return (await server!.call<{ status: string }>('GET', `/${PHONE}/state`)).body.status
}

function browserPid(): number | undefined {
  return profileProcesses(profile).find((p) => p.main)?.pid
}

async function childState(): Promise<{ status: string; reason?: string }> {
  const response = await fetch(`${child!.baseUrl}/${PHONE}/state`, { headers: { 'x-api-key': ADMIN_KEY } })
  return (await response.json()) as { status: string; reason?: string }
}

const skip = withoutChromium(import.meta.path)

beforeAll(async () => {
  if (skip) return
  standin = await startWwebStandin()
  dataDir = tempDir('wws-webjs-e2e-')
  profile = join(dataDir, 'sessions', PHONE, 'webjs', `session-${PHONE}`)
  // The host rule's value holds spaces: quoted, as an operator would write CHROME_ARGS.
  const chromeArgs = standin.chromeArgs.map((arg) => (arg.includes(' ') ? arg.replace(/=(.*)$/, '="$1"') : arg)).join(' ')
  env = {
    WA_ENGINE: 'webjs',
    CHROME_PATH: chromiumPath(),
    CHROME_ARGS: chromeArgs,
    WEBJS_INIT_TIMEOUT_MS: String(WAIT),
    // The probe runs against the real page all along; it must never see a healthy session as hung.
    WEBJS_HEALTH_INTERVAL_MS: '1000',
    ENGINE_RESTART_BASE_MS: '200',
    ENGINE_RESTART_MAX_MS: '2000',
  }
  server = await createTestServer(env, {}, dataDir)
  server.deps.bus.subscribe((event) => {
    events.push(event)
  })
})

afterAll(async () => {
  await server?.close({ keepData: true })
  await child?.stop('SIGKILL')
  await standin?.close()
  // Last resort, by this test's own profile only.
  if (profile) await killProfileProcesses(profile)
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

describe.skipIf(skip)('webjs engine on the WhatsApp Web stand-in', () => {
  let incoming: MessageDTO

  test(
    'start → GET /qr is the stand-in’s QR (JSON value and PNG) → scan → WORKING',
    async () => {
      expect((await server!.call('POST', `/${PHONE}/start`)).status).toBe(200)
      await waitFor(async () => (await status()) === 'SCAN_QR_CODE', WAIT, 50)

      const qr = await server!.call<{ qrCode: string; value: string }>('GET', `/${PHONE}/qr`)
      expect(qr.status).toBe(200)
      const ref = qr.body.value.split(',')[0]
      expect(standin.control.connections().map((c) => c.ref)).toContain(ref)
      const png = new Uint8Array(await (await server!.request('GET', `/${PHONE}/qr`, { headers: { accept: 'image/png' } })).arrayBuffer())
      expect(png).toEqual(new Uint8Array(await QRCode.toBuffer(qr.body.value, { type: 'png', margin: 2, width: 320 })))
      expect(qr.body.qrCode).toBe(await QRCode.toDataURL(qr.body.value, { margin: 2, width: 320 }))

      await standin.control.scan({ phone: PHONE, pushname: 'Support desk', ref: qr.body.value })
      await waitFor(async () => (await status()) === 'WORKING', WAIT, 50)
      const state = await server!.call('GET', `/${PHONE}/state`)
      expect(state.body).toMatchObject({ state: 'CONNECTED', engine: 'webjs', me: { id: `${PHONE}@c.us`, pushName: 'Support desk' } })
      expect(browserPid()).toBeNumber()
    },
    STEP,
  )

  test(
    'incoming text and media reach the engine’s `message` event on the bus, media with its bytes',
    async () => {
      const text = await standin.control.incoming({ from: PEER, body: 'Hello, is this support?', pushname: 'Bob' })
      await waitFor(() => ofType('message').some((e) => e.message.id === text.id), WAIT, 20)
      incoming = ofType('message').find((e) => e.message.id === text.id)!.message
      expect(incoming).toMatchObject({ fromMe: false, from: `${PEER}@c.us`, to: `${PHONE}@c.us`, chatId: `${PEER}@c.us`, type: 'text', body: 'Hello, is this support?', timestamp: text.timestamp })

      const bytes = new Uint8Array(5000).map((_, i) => (i * 13 + 1) % 256)
      const image = await standin.control.incoming({ from: PEER, media: { data: bytes, mimetype: 'image/jpeg', filename: 'receipt.jpg', caption: 'receipt' } })
      await waitFor(() => ofType('message').some((e) => e.message.id === image.id), WAIT, 20)
      const event = ofType('message').find((e) => e.message.id === image.id)!
      expect(event.message).toMatchObject({ type: 'image', body: 'receipt', hasMedia: true, media: { mimetype: 'image/jpeg', filename: 'receipt.jpg' } })
      expect(event.media?.data).toEqual(bytes)
      expect(events.find((e) => e.event === event)).toMatchObject({ session: PHONE, engine: 'webjs', me: { id: `${PHONE}@c.us` } })
    },
    STEP,
  )

  test(
    'a text sent through the engine (as send-text does) reaches the stand-in as a reply; its acks come back',
    async () => {
      const engine = await server!.deps.sessions.requireConnected(PHONE, 'send.text')
      const sent = await engine.send({ chatId: `${PEER}@c.us`, content: { type: 'text', text: 'Yes! How can we help?' }, quotedMsgId: incoming.id })
      expect(sent).toMatchObject({ fromMe: true, chatId: `${PEER}@c.us`, body: 'Yes! How can we help?', replyTo: incoming.id })
      const recorded = await standin.control.waitForSent((m) => m.id === sent.id)
      expect(recorded).toMatchObject({ from: `${PHONE}@c.us`, to: `${PEER}@c.us`, body: 'Yes! How can we help?', type: 'chat', quotedMessageId: incoming.id })
      // A send does not mark the chat read by itself.
      expect(standin.control.seen()).not.toContain(`${PEER}@c.us`)

      await standin.control.ack({ id: sent.id, ack: 3 })
      await waitFor(() => ofType('message.ack').some((e) => e.id === sent.id && e.ack === 3), WAIT, 20)
      expect(ofType('message').some((e) => e.message.id === sent.id && e.message.fromMe)).toBe(true)
    },
    STEP,
  )

  test(
    'Chromium killed: noticed, restarted with backoff, WORKING again without a new QR',
    async () => {
      const pid = browserPid()!
      const qrsBefore = ofType('qr').length
      const statusesBefore = ofType('session.status').length
      process.kill(pid, 'SIGKILL')

      await waitFor(() => ofType('session.status').slice(statusesBefore).some((e) => e.status === 'FAILED'), WAIT, 20)
      const failed = ofType('session.status').slice(statusesBefore).find((e) => e.status === 'FAILED')!
      expect(failed.reason).toContain('Chromium went away')
      await waitFor(async () => (await status()) === 'WORKING' && browserPid() !== undefined && browserPid() !== pid, WAIT, 50)
      expect(ofType('qr')).toHaveLength(qrsBefore)
      expect(ofType('session.status').slice(statusesBefore).map((e) => e.status)).toEqual(['FAILED', 'STARTING', 'WORKING'])

      const after = await standin.control.incoming({ from: PEER, body: 'still there?' })
      await waitFor(() => ofType('message').some((e) => e.message.id === after.id), WAIT, 20)
      // Only the kill ever failed the session: the health probe never mistook a live page for a hung one.
      expect(ofType('session.status').filter((e) => e.status === 'FAILED')).toHaveLength(1)
    },
    STEP,
  )

  test(
    'a server restart (a real process) brings the session back WORKING with no QR; shutdown leaves no Chromium',
    async () => {
      await server!.close({ keepData: true })
      server = undefined
      expect(profileProcesses(profile)).toEqual([])

      child = await startServerProcess({ ...env, DATA_DIR: dataDir, API_KEY: ADMIN_KEY, LOG_LEVEL: 'info' })
      const seen: string[] = []
      await waitFor(
        async () => {
          seen.push((await childState()).status)
          return seen.at(-1) === 'WORKING'
        },
        WAIT,
        100,
      )
      expect(seen).not.toContain('SCAN_QR_CODE')
      expect(child.output()).not.toContain('"status":"SCAN_QR_CODE"')
    },
    STEP,
  )

  test(
    'LOGOUT from the phone: FAILED with the reason, the pairing wiped, and never restarted',
    async () => {
      expect(standin.control.logout({ phone: PHONE })).toEqual({ devices: expect.any(Number) })
      await waitFor(async () => (await childState()).status === 'FAILED', WAIT, 50)
      expect((await childState()).reason).toContain('Logged out from the phone')
      await waitFor(() => !existsSync(profile) && profileProcesses(profile).length === 0, WAIT, 50)
      // Restarts here would take 200 ms and more; the session stays FAILED with no browser.
      await Bun.sleep(1500)
      expect((await childState()).status).toBe('FAILED')
      expect(profileProcesses(profile)).toEqual([])
      expect(child!.output()).not.toContain('engine crashed; restarting')

      expect(await child!.stop('SIGTERM')).toBe(0)
      child = undefined
    },
    STEP,
  )
})
