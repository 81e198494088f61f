/**
 * The webjs engine with real whatsapp-web.js, puppeteer and Debian's Chromium, where no
 * WhatsApp is needed: web.whatsapp.com is mapped (CHROME_ARGS host rules, a value with
 * spaces) to a 127.0.0.1 port that accepts connections and never answers — WhatsApp
 * unreachable the slow way. Checks the init deadline, stale-lock recovery, and that
 * stop and delete leave no Chromium on the session's profile.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { TCPSocketListener } from 'bun'
import { existsSync, mkdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { killProfileProcesses, profileProcesses } from '../../../src/providers/webjs/chromium'
import { chromiumPath, withoutChromium } from '../../helpers/chromium'
import { createTestServer, waitFor, type TestServer } from '../../helpers/app'

const PHONE = '15550001111'
const BROWSER_TEST = 60_000

let blackhole: TCPSocketListener
let server: TestServer
let profile: string

async function state(): Promise<{ status: string; reason?: string }> {
  return (await server.call<{ status: string; reason?: string }>('GET', `/${PHONE}/state`)).body
}

const skip = withoutChromium(import.meta.path)

beforeAll(async () => {
  if (skip) return
  // Accepts TCP and never says a word: TLS to "web.whatsapp.com" never completes.
  blackhole = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {}, open() {} } })
  server = await createTestServer({
    WA_ENGINE: 'webjs',
    CHROME_PATH: chromiumPath(),
    CHROME_ARGS: `--host-resolver-rules="MAP web.whatsapp.com 127.0.0.1:${blackhole.port}" --ignore-certificate-errors --disable-quic`,
    WEBJS_INIT_TIMEOUT_MS: '6000',
  })
  profile = join(server.dataDir, 'sessions', PHONE, 'webjs', `session-${PHONE}`)
})

afterAll(async () => {
  await server?.close()
  blackhole?.stop(true)
  // Last resort, by this test's own profile only.
  if (profile) await killProfileProcesses(profile)
})

describe.skipIf(skip)('real Chromium, WhatsApp unreachable', () => {
  test(
    'FAILED with a clear reason when WhatsApp Web does not load within WEBJS_INIT_TIMEOUT_MS, despite a stale lock from another host',
    async () => {
      // A profile locked by a Chromium "on another computer" (a recreated container): Chromium refuses it as is.
      mkdirSync(profile, { recursive: true })
      symlinkSync('otherhost-99999', join(profile, 'SingletonLock'))

      expect((await server.call('POST', `/${PHONE}/start`)).status).toBe(200)
      await waitFor(async () => profileProcesses(profile).some((p) => p.main), 20_000, 50)
      await waitFor(async () => (await state()).status === 'FAILED', 30_000, 100)
      const { reason } = await state()
      expect(reason).toContain('WhatsApp Web did not load within 6 s')
      // Chromium started despite the foreign lock: it was cleared before launch.
      expect(reason).toContain('Chromium is running')
      expect(reason).toContain('https://web.whatsapp.com')
      // The failed session's browser is gone.
      await waitFor(() => profileProcesses(profile).length === 0, 10_000, 50)
    },
    BROWSER_TEST,
  )

  test(
    'stop, then delete, leave no Chromium process on the profile',
    async () => {
      await server.call('POST', `/${PHONE}/start`)
      await waitFor(async () => profileProcesses(profile).some((p) => p.main), 20_000, 50)
      expect((await state()).status).toBe('STARTING')
      expect((await server.call('POST', `/${PHONE}/stop`)).status).toBe(200)
      expect(profileProcesses(profile)).toEqual([])
      expect((await state()).status).toBe('STOPPED')

      await server.call('POST', `/${PHONE}/start`)
      await waitFor(async () => profileProcesses(profile).some((p) => p.main), 20_000, 50)
      expect((await server.call('DELETE', `/${PHONE}`)).status).toBe(200)
      expect(profileProcesses(profile)).toEqual([])
      expect(existsSync(join(server.dataDir, 'sessions', PHONE))).toBe(false)
    },
    BROWSER_TEST,
  )
})
