/**
 * History from the phone, end to end: real whatsapp-web.js, puppeteer and Chromium on the
 * WhatsApp Web stand-in. Messages the phone had before the link arrive in the page by
 * the history sync, with no `message` event; `GET /messages/:chatId` shows them anyway
 * (through `chat.fetchMessages`), merged with what this server saw, newest first, once,
 * and an old image downloads from WhatsApp Web on first use.
 *
 * Timeouts only keep a broken run from hanging; nothing here asserts speed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { SessionEvent } from '../../../src/events/bus'
import { killProfileProcesses } from '../../../src/providers/webjs/chromium'
import { startWwebStandin, type WwebStandin } from '../../fixtures/wweb-standin'
import { createTestServer, tempDir, waitFor, type TestServer } from '../../helpers/app'
import { chromiumPath, withoutChromium } from '../../helpers/chromium'
import type { Msg } from '../../helpers/whatsapp'

const PHONE = '15550001111'
const PEER = '15550002222'
const PEER_JID = `${PEER}@c.us`
const STEP = 90_000
const WAIT = 45_000
const OLD = 1_767_225_600

let standin: WwebStandin
let dataDir: string
let profile: string
let server: TestServer | undefined
const events: SessionEvent[] = []

const skip = withoutChromium(import.meta.path)

beforeAll(async () => {
  if (skip) return
  standin = await startWwebStandin()
  dataDir = tempDir('wws-webjs-history-')
  profile = join(dataDir, 'sessions', PHONE, 'webjs', `session-${PHONE}`)
  const chromeArgs = standin.chromeArgs.map((arg) => (arg.includes(' ') ? arg.replace(/=(.*)$/, '="$1"') : arg)).join(' ')
  server = await createTestServer({ WA_ENGINE: 'webjs', CHROME_PATH: chromiumPath(), CHROME_ARGS: chromeArgs, WEBJS_INIT_TIMEOUT_MS: String(WAIT) }, {}, dataDir)
  server.deps.bus.subscribe((event) => {
    events.push(event)
  })
})

afterAll(async () => {
  await server?.close({ keepData: true })
  await standin?.close()
  if (profile) await killProfileProcesses(profile)
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

async function history(query = ''): Promise<{ messages: Msg[]; hasMore: boolean }> {
  const response = await server!.call<{ messages: Msg[]; hasMore: boolean }>('GET', `/${PHONE}/messages/${PEER_JID}${query}`)
  if (response.status !== 200) throw new Error(`history: ${response.status} ${JSON.stringify(response.body)}`)
  return response.body
}

describe.skipIf(skip)('history from the phone on the WhatsApp Web stand-in', () => {
  const photo = new Uint8Array(3000).map((_, i) => (i * 7 + 3) % 256)
  let oldIds: string[] = []
  const idAt = (index: number): string => oldIds[index]!

  test(
    'messages the phone had before the link appear in /messages/:chatId, newest first, paged, once',
    async () => {
      oldIds = standin.control.history({
        phone: PHONE,
        messages: [
          { chat: PEER, body: 'Do you ship to Jeddah?', timestamp: OLD },
          { chat: PEER, body: 'Yes, in two days.', fromMe: true, timestamp: OLD + 60 },
          { chat: PEER, media: { data: photo, mimetype: 'image/jpeg', filename: 'address.jpg', caption: 'my address' }, timestamp: OLD + 120 },
        ],
      }).ids

      expect((await server!.call('POST', `/${PHONE}/start`)).status).toBe(200)
      await waitFor(async () => (await server!.call<{ status: string }>('GET', `/${PHONE}/state`)).body.status === 'SCAN_QR_CODE', WAIT, 50)
      const qr = await server!.call<{ value: string }>('GET', `/${PHONE}/qr`)
      await standin.control.scan({ phone: PHONE, ref: qr.body.value })
      await waitFor(async () => (await server!.call<{ status: string }>('GET', `/${PHONE}/state`)).body.status === 'WORKING', WAIT, 50)

      // The history sync raised no `message` event: the store alone would show nothing.
      expect(events.filter((e) => e.event.type === 'message')).toEqual([])

      const all = await history()
      expect(all.messages.map((m) => [m.id, m.fromMe, m.type, m.body])).toEqual([
        [idAt(2), false, 'image', 'my address'],
        [idAt(1), true, 'text', 'Yes, in two days.'],
        [idAt(0), false, 'text', 'Do you ship to Jeddah?'],
      ])
      expect(all.messages.map((m) => m.timestamp)).toEqual([OLD + 120, OLD + 60, OLD])
      expect(all.hasMore).toBe(false)

      const first = await history('?limit=2')
      expect(first.messages.map((m) => m.id)).toEqual([idAt(2), idAt(1)])
      expect(first.hasMore).toBe(true)
      const second = await history(`?limit=2&before=${encodeURIComponent(oldIds[1]!)}`)
      expect(second.messages.map((m) => m.id)).toEqual([idAt(0)])
      expect(second.hasMore).toBe(false)
      expect(standin.control.unknownModules()).not.toContain('WAWebChatLoadMessages')
    },
    STEP,
  )

  test(
    'a new message joins them without duplicates; the old image downloads from WhatsApp Web',
    async () => {
      const live = await standin.control.incoming({ from: PEER, body: 'Thanks!' })
      await waitFor(() => events.some((e) => e.event.type === 'message' && e.event.message.id === live.id), WAIT, 20)
      await server!.deps.ingest.idle()
      const all = await history()
      expect(all.messages.map((m) => m.body)).toEqual(['Thanks!', 'my address', 'Yes, in two days.', 'Do you ship to Jeddah?'])
      expect(new Set(all.messages.map((m) => m.id)).size).toBe(4)

      const image = all.messages.find((m) => m.id === oldIds[2])!
      expect(image).toMatchObject({ hasMedia: true, media: { mimetype: 'image/jpeg' } })
      const response = await server!.request('GET', `/${PHONE}/messages/${PEER_JID}/${encodeURIComponent(image.id)}/media`)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('image/jpeg')
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(photo)
    },
    STEP,
  )
})
