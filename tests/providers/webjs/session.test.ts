/**
 * The webjs engine against the typed fake whatsapp-web.js Client: how each lifecycle
 * event and error path maps onto statuses, and the resilience around the browser.
 * (Each capability's call mapping: capabilities.test.ts; the shared contract:
 * tests/providers/contract.test.ts.)
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { ClientNotReadyError, UpstreamError } from '../../../src/errors'
import type { WebjsSettings as WebjsConfig } from '../../../src/providers/webjs/definition'
import type { EngineEvent } from '../../../src/providers/engine'
import { LOGOUT_REASON } from '../../../src/providers/webjs/mappers'
import type { WebjsSession } from '../../../src/providers/webjs/session'
import { until, webjsHarness, type SessionHandle, type WebjsHarness } from '../harness'

const PHONE = '15550001111'
const PEER = '15550002222'

let harness: WebjsHarness
afterEach(async () => {
  await harness?.close()
})

function open(settings: Partial<WebjsConfig> = {}, logoutSettleMs?: number): SessionHandle {
  harness = webjsHarness(settings, logoutSettleMs)
  return harness.open(PHONE)
}

async function linked(settings: Partial<WebjsConfig> = {}, logoutSettleMs?: number): Promise<SessionHandle> {
  const handle = open(settings, logoutSettleMs)
  await handle.engine.start()
  await until(() => handle.engine.snapshot().status === 'SCAN_QR_CODE', 'the QR')
  await handle.scan()
  await until(() => handle.engine.snapshot().status === 'WORKING', 'WORKING')
  return handle
}

function crashes(events: EngineEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'engine.crashed' ? [e.reason] : []))
}

function userDataDir(handle: SessionHandle): string {
  return (handle.engine as WebjsSession).userDataDir
}

describe('lifecycle events from whatsapp-web.js', () => {
  test('auth_failure → FAILED with the reason, the saved login wiped, no restart', async () => {
    const handle = await linked()
    expect(existsSync(userDataDir(handle))).toBe(true)
    harness.world.current.emitEvent('auth_failure', 'Unable to restore the session')
    expect(handle.engine.snapshot()).toMatchObject({ status: 'FAILED' })
    expect(handle.engine.snapshot().reason).toContain('Unable to restore the session')
    await until(() => !existsSync(userDataDir(handle)), 'the wiped profile')
    expect(harness.world.current.destroyed).toBe(true)
    expect(crashes(handle.events)).toEqual([])
  })

  test('LOGOUT from the phone → FAILED, auth wiped once whatsapp-web.js settled, never restarted', async () => {
    const handle = await linked()
    const client = harness.world.current
    client.emitEvent('disconnected', 'LOGOUT')
    expect(handle.engine.snapshot()).toMatchObject({ status: 'FAILED', reason: LOGOUT_REASON })
    // whatsapp-web.js re-injects and shows a new QR before the browser may close; that QR is not ours to show.
    expect(client.destroyed).toBe(false)
    client.emitEvent('qr', '2@after-logout,a,b,c,WEB')
    await until(() => client.destroyed, 'the browser closed')
    await until(() => !existsSync(userDataDir(handle)), 'the wiped profile')
    expect(handle.engine.snapshot().status).toBe('FAILED')
    expect(handle.engine.snapshot().qr).toBeUndefined()
    expect(handle.events.some((e) => e.type === 'qr' && e.value.includes('after-logout'))).toBe(false)
    expect(crashes(handle.events)).toEqual([])
  })

  test('a stop during the pause after LOGOUT does not wait it out', async () => {
    const handle = await linked({}, 60_000)
    harness.world.current.emitEvent('disconnected', 'LOGOUT')
    // Without a QR the pause after LOGOUT would last a minute here; a stop cuts it short.
    expect(await Promise.race([handle.engine.stop().then(() => 'stopped'), Bun.sleep(5000).then(() => 'still waiting')])).toBe('stopped')
    expect(harness.world.current.destroyed).toBe(true)
    expect(existsSync(userDataDir(handle))).toBe(false)
  })

  test('change_state CONFLICT → CONFLICT, explained; the pairing is kept; no restart', async () => {
    const handle = await linked()
    harness.world.current.emitEvent('change_state', 'CONFLICT' as never)
    expect(handle.engine.snapshot().status).toBe('CONFLICT')
    expect(handle.engine.snapshot().reason).toContain('another browser')
    await until(() => harness.world.current.destroyed, 'the browser closed')
    expect(existsSync(userDataDir(handle))).toBe(true)
    expect(crashes(handle.events)).toEqual([])
    // whatsapp-web.js follows a refused state with `disconnected`; the session is already closed.
    harness.world.current.emitEvent('disconnected', 'CONFLICT')
    expect(handle.engine.snapshot().status).toBe('CONFLICT')
  })

  test('change_state TOS_BLOCK → FAILED naming the ban; UNPAIRED → FAILED with the pairing wiped', async () => {
    const banned = await linked()
    harness.world.current.emitEvent('change_state', 'TOS_BLOCK' as never)
    expect(banned.engine.snapshot()).toMatchObject({ status: 'FAILED' })
    expect(banned.engine.snapshot().reason).toContain('terms of service')
    await harness.close()

    const unpaired = await linked()
    harness.world.current.emitEvent('change_state', 'UNPAIRED' as never)
    expect(unpaired.engine.snapshot().status).toBe('FAILED')
    expect(unpaired.engine.snapshot().reason).toContain('unlinked')
    await until(() => !existsSync(userDataDir(unpaired)), 'the wiped profile')
    expect(crashes(unpaired.events)).toEqual([])
  })

  test('passing states (TIMEOUT, OPENING, CONNECTED) leave a WORKING session alone', async () => {
    const handle = await linked()
    for (const state of ['TIMEOUT', 'OPENING', 'CONNECTED']) harness.world.current.emitEvent('change_state', state as never)
    expect(handle.engine.snapshot().status).toBe('WORKING')
    expect(harness.world.current.destroyed).toBe(false)
  })

  test('too many unscanned QR codes → FAILED naming WEBJS_QR_MAX_RETRIES', async () => {
    const handle = open({ qrMaxRetries: 3 })
    await handle.engine.start()
    await until(() => handle.engine.snapshot().status === 'SCAN_QR_CODE', 'the QR')
    expect(harness.world.current.setup.qrMaxRetries).toBe(3)
    harness.world.current.emitEvent('disconnected', 'Max qrcode retries reached')
    expect(handle.engine.snapshot().status).toBe('FAILED')
    expect(handle.engine.snapshot().reason).toContain('WEBJS_QR_MAX_RETRIES')
    expect(crashes(handle.events)).toEqual([])
  })

  test('an unexpected disconnect is a crash: FAILED "restarting" and engine.crashed', async () => {
    const handle = await linked()
    harness.world.current.emitEvent('disconnected', 'NAVIGATION')
    expect(handle.engine.snapshot().status).toBe('FAILED')
    expect(crashes(handle.events)).toEqual(['WhatsApp Web disconnected (NAVIGATION)'])
  })

  test('authenticated clears the QR; the QR refreshes as new qr events', async () => {
    const handle = open()
    await handle.engine.start()
    await until(() => handle.engine.snapshot().status === 'SCAN_QR_CODE', 'the QR')
    harness.world.current.emitEvent('qr', '2@second,a,b,c,WEB')
    expect(handle.engine.snapshot().qr).toBe('2@second,a,b,c,WEB')
    expect(handle.events.filter((e) => e.type === 'qr')).toHaveLength(2)
    harness.world.current.emitEvent('authenticated')
    expect(handle.engine.snapshot()).toMatchObject({ status: 'STARTING' })
    expect(handle.engine.snapshot().qr).toBeUndefined()
    await handle.engine.stop()
  })
})

describe('resilience', () => {
  test('Chromium going away → FAILED, engine.crashed, and the rest of the browser killed', async () => {
    const handle = await linked()
    const client = harness.world.current
    client.crashBrowser('Chromium exited or closed its DevTools connection')
    expect(handle.engine.snapshot().status).toBe('FAILED')
    expect(handle.engine.snapshot().reason).toEndWith('; restarting')
    expect(crashes(handle.events)).toEqual(['Chromium went away: Chromium exited or closed its DevTools connection'])
    await until(() => client.setup.signal.aborted, 'the launch aborted (process group killed)')
    // Late events of the dead run change nothing.
    client.emitEvent('ready')
    harness.world.incoming({ from: PEER, body: 'late' })
    expect(handle.engine.snapshot().status).toBe('FAILED')
    expect(handle.events.some((e) => e.type === 'message')).toBe(false)
  })

  test('a hung page fails the health probe (after one retry) and counts as a crash', async () => {
    const handle = await linked({ healthIntervalMs: 20, healthTimeoutMs: 30 })
    await until(() => harness.world.callsOf('getState').length >= 2, 'two healthy probes')
    expect(crashes(handle.events)).toEqual([])
    harness.world.behaviour.hangProbe = true
    await until(() => crashes(handle.events).length === 1, 'the crash')
    expect(crashes(handle.events)[0]).toContain('health probe failed')
    expect(handle.engine.snapshot().status).toBe('FAILED')
  })

  test('WhatsApp Web never loading → FAILED within the deadline, with the reason and what to check', async () => {
    const handle = open({ initTimeoutMs: 50 })
    harness.world.behaviour.hangInitialize = true
    await handle.engine.start()
    expect(handle.engine.snapshot().status).toBe('STARTING')
    await until(() => handle.engine.snapshot().status === 'FAILED', 'FAILED')
    const reason = handle.engine.snapshot().reason!
    expect(reason).toContain('did not load within')
    expect(reason).toContain('Chromium is running')
    expect(reason).toContain('web.whatsapp.com')
    expect(reason).toContain('WEBJS_INIT_TIMEOUT_MS')
    await until(() => harness.world.current.setup.signal.aborted, 'Chromium killed')
    expect(crashes(handle.events)).toEqual([])
  })

  test('linked but never ready → FAILED after a fresh deadline; a repeated ready is no new status', async () => {
    const handle = open({ initTimeoutMs: 80 })
    await handle.engine.start()
    await until(() => handle.engine.snapshot().status === 'SCAN_QR_CODE', 'the QR')
    await Bun.sleep(100) // longer than the deadline: the QR stopped it
    expect(handle.engine.snapshot().status).toBe('SCAN_QR_CODE')
    harness.world.current.emitEvent('authenticated')
    await until(() => handle.engine.snapshot().status === 'FAILED', 'FAILED')
    expect(handle.engine.snapshot().reason).toContain('the device is linked, but WhatsApp Web did not finish loading the account')
    await harness.close()

    const working = await linked()
    const count = working.events.filter((e) => e.type === 'session.status').length
    harness.world.current.emitEvent('ready')
    expect(working.events.filter((e) => e.type === 'session.status')).toHaveLength(count)
  })

  test('Chromium never coming up is named as such', async () => {
    const handle = open({ initTimeoutMs: 50 })
    harness.world.behaviour.hangInitialize = true
    harness.world.behaviour.noBrowser = true
    await handle.engine.start()
    await until(() => handle.engine.snapshot().status === 'FAILED', 'FAILED')
    expect(handle.engine.snapshot().reason).toContain('Chromium did not start')
  })

  test('initialize() failures become FAILED reasons a person can act on; a closed target is a crash', async () => {
    const cases: Array<[unknown, string]> = [
      [
        new Error('Failed to launch the browser process!  Code: 21\n\nstderr:\n[9:9:1121/1:ERROR:chrome/browser/process_singleton_posix.cc:367] The profile appears to be in use'),
        'Chromium could not start: Failed to launch the browser process!  Code: 21 (The profile appears to be in use). Check CHROME_PATH',
      ],
      [new Error('net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/'), 'Could not open https://web.whatsapp.com (net::ERR_NAME_NOT_RESOLVED'],
      ['auth timeout', 'WhatsApp Web could not start: auth timeout'],
    ]
    for (const [error, expected] of cases) {
      const handle = open()
      harness.world.behaviour.initializeError = error
      await handle.engine.start()
      await until(() => handle.engine.snapshot().status === 'FAILED', 'FAILED')
      expect(handle.engine.snapshot().reason).toStartWith(expected)
      expect(crashes(handle.events)).toEqual([])
      await harness.close()
    }
    const handle = open()
    harness.world.behaviour.initializeError = Object.assign(new Error('Protocol error (Page.navigate): Target closed'), { name: 'TargetCloseError' })
    await handle.engine.start()
    await until(() => crashes(handle.events).length === 1, 'the crash')
  })

  test('stop: destroy() that hangs is cut off and Chromium is killed anyway', async () => {
    const handle = await linked({ destroyTimeoutMs: 50 })
    harness.world.behaviour.hangDestroy = true
    await handle.engine.stop()
    expect(handle.engine.snapshot().status).toBe('STOPPED')
    expect(harness.world.current.setup.signal.aborted).toBe(true)
    expect(harness.world.callsOf('destroy')).toHaveLength(1)
  })

  test('a stop while Chromium is still starting: the launch is aborted and the late browser is not adopted', async () => {
    const handle = open()
    harness.world.behaviour.hangInitialize = true
    harness.world.behaviour.noBrowser = true
    await handle.engine.start()
    await handle.engine.stop()
    const client = harness.world.current
    // puppeteer kills whatever an aborted launch brings up.
    expect(client.setup.signal.aborted).toBe(true)
    client.setup.onBrowser(client.browser)
    client.crashBrowser()
    expect(crashes(handle.events)).toEqual([])
    expect(handle.engine.snapshot().status).toBe('STOPPED')
  })

  test('an operation that finds the browser gone: 409 CLIENT_NOT_READY and a crash report', async () => {
    const handle = await linked()
    harness.world.behaviour.operationError = Object.assign(new Error('Protocol error (Runtime.callFunctionOn): Session closed. Most likely the page has been closed.'), {
      name: 'TargetCloseError',
    })
    const error = await handle.engine.send({ chatId: `${PEER}@c.us`, content: { type: 'text', text: 'x' } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ClientNotReadyError)
    expect(crashes(handle.events)).toHaveLength(1)
    expect(handle.engine.snapshot().status).toBe('FAILED')
  })

  test('any other whatsapp-web.js failure: 502 UPSTREAM_ERROR with its first line, no stack', async () => {
    const handle = await linked()
    harness.world.behaviour.operationError = new Error('Evaluation failed: Error: Invalid wid\n    at window.WWebJS.getChat (pptr://…)')
    const error = (await handle.engine.getChat(`${PEER}@c.us`).catch((e: unknown) => e)) as UpstreamError
    expect(error).toBeInstanceOf(UpstreamError)
    expect(error.statusCode).toBe(502)
    expect(error.message).toBe('WhatsApp Web could not read the chat: Evaluation failed: Error: Invalid wid')
    harness.world.behaviour.operationError = 'a thrown string'
    expect(((await handle.engine.listChats({ page: 1, limit: 1 }).catch((e: unknown) => e)) as Error).message).toContain('a thrown string')
    expect(crashes(handle.events)).toEqual([])
    expect(handle.engine.snapshot().status).toBe('WORKING')
  })
})
