/**
 * The `waha` engine end to end against the WAHA stand-in (tests/helpers/waha-standin.ts),
 * which validates every request against WAHA's published OpenAPI document: sessions
 * through our HTTP routes, each capability by direct engine calls, and WAHA's callbacks
 * through `SessionManager.acceptExternalEvents` into the event bus. Every test ends with
 * zero validation errors recorded by the stand-in.
 *
 * WAHA serves message media under `/api/files/…`, a route its document does not list, so
 * a small front server on 127.0.0.1 serves those files and passes every other request to
 * the stand-in unchanged.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import type { Server } from 'bun'

import { ClientNotReadyError, NotFoundError, NotSupportedError, UpstreamError } from '../../../src/errors'
import type { SessionEvent } from '../../../src/events/bus'
import type { Capability, MessageDTO, EngineSession } from '../../../src/providers/engine'
import { wahaEnvelopeToEngineEvents } from '../../../src/providers/waha/events'
import { WAHA_MESSAGE_WEBHOOK_EVENTS } from '../../../src/providers/waha/model'
import { WahaSession } from '../../../src/providers/waha/session'
import { createTestServer, waitFor, type TestServer } from '../../helpers/app'
import { payloadOf, publishedEnvelope } from '../../helpers/waha-envelopes'
import { startWahaStandin, type StandinCall, type WahaStandin } from '../../helpers/waha-standin'
import { sampleBase64 } from '../../helpers/media'

const PHONE = '966500000001' // the stand-in's linked account
const ME = `${PHONE}@c.us`
const KEY = 'waha-shared-key-0123456789'
const CHAT = '966500000002@c.us'
const GROUP = '120363000000000001@g.us'
const PUBLIC_URL = 'http://gateway.test:8080'
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46])
const PNG = { data: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), mimeType: 'image/png', filename: 'dot.png' }

interface Harness {
  standin: WahaStandin
  server: TestServer
  /** Files the front serves under /api/files/, by path. */
  files: Map<string, Uint8Array<ArrayBuffer>>
  fileRequests: Array<{ path: string; key: string | null }>
  events: SessionEvent[]
  close(): Promise<void>
}

async function harness(env: Record<string, string> = {}): Promise<Harness> {
  const standin = startWahaStandin({ apiKey: KEY })
  const files = new Map<string, Uint8Array<ArrayBuffer>>()
  const fileRequests: Harness['fileRequests'] = []
  const front: Server<undefined> = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: async (request) => {
      const url = new URL(request.url)
      if (url.pathname.startsWith('/api/files/')) {
        fileRequests.push({ path: url.pathname, key: request.headers.get('x-api-key') })
        if (request.headers.get('x-api-key') !== KEY) return Response.json({ message: 'Unauthorized' }, { status: 401 })
        const bytes = files.get(url.pathname)
        if (!bytes) return Response.json({ statusCode: 404, message: 'File not found' }, { status: 404 })
        return new Response(bytes, { headers: { 'content-type': 'image/jpeg' } })
      }
      const headers = new Headers(request.headers)
      headers.delete('host')
      const body = request.method === 'GET' ? undefined : await request.arrayBuffer()
      return fetch(`${standin.url}${url.pathname}${url.search}`, {
        method: request.method,
        headers,
        ...(body && body.byteLength > 0 && { body }),
        redirect: 'manual',
      })
    },
  })
  const server = await createTestServer({
    WAHA_URL: `http://127.0.0.1:${front.port}`,
    WAHA_API_KEY: KEY,
    PUBLIC_URL,
    WAHA_POLL_MS: '20',
    WAHA_TIMEOUT_MS: '5000',
    ...env,
  })
  const events: SessionEvent[] = []
  server.deps.bus.subscribe((event) => {
    events.push(event)
  })
  return {
    standin,
    server,
    files,
    fileRequests,
    events,
    async close() {
      await server.close()
      await front.stop(true)
      await standin.close()
    },
  }
}

const ops = (calls: StandinCall[]) => calls.map((call) => call.operationId)

async function state(h: Harness, phone = PHONE) {
  return (await h.server.call<{ status: string; state: string; me?: { id: string; pushName?: string }; reason?: string; capabilities: string[] }>('GET', `/${phone}/state`)).body
}

async function startWaha(h: Harness, phone = PHONE) {
  const started = await h.server.call('POST', `/${phone}/start`, { body: { engine: 'waha' } })
  expect(started.status).toBe(200)
  return started
}

/** Starts the number on waha and has the stand-in report it WORKING (picked up by the poll). */
async function link(h: Harness, phone = PHONE): Promise<void> {
  await startWaha(h, phone)
  const session = h.standin.sessions.get(phone)
  if (!session) throw new Error('the WAHA session was not created')
  session.status = 'WORKING'
  await waitFor(async () => (await state(h, phone)).status === 'WORKING')
}

function messagesOnBus(h: Harness): MessageDTO[] {
  return h.events.flatMap((event) => (event.event.type === 'message' ? [event.event.message] : []))
}

/** A WAHA callback envelope for our session, from the published sample of `event`. */
function envelope(event: string, payload: Record<string, unknown> = {}, patch: (envelope: Record<string, unknown>) => void = () => {}) {
  return publishedEnvelope(event, (built) => {
    built.session = PHONE
    built.me = { id: ME, pushName: 'Support desk' }
    Object.assign(payloadOf(built), payload)
    for (const [key, value] of Object.entries(payload)) if (value === undefined) delete payloadOf(built)[key]
    patch(built)
  })
}

function incomingText(id: string, event: 'message' | 'message.any' = 'message') {
  return envelope(event, { id, from: CHAT, to: ME, fromMe: false, body: 'Hello', hasMedia: false, media: undefined, location: undefined, vCards: [] })
}

let h: Harness

afterEach(async () => {
  // Whatever a test did, WAHA's document accepted every request it caused.
  expect(h.standin.errors).toEqual([])
  await h.close()
})

describe('waha sessions through the HTTP session routes', () => {
  beforeEach(async () => {
    h = await harness()
  })

  test('start creates the WAHA session with callbacks to PUBLIC_URL, starts it, and reports its capabilities', async () => {
    const started = await startWaha(h)
    expect(started.body).toMatchObject({ success: true, session: { engine: 'waha', phoneNumber: PHONE } })
    expect(ops(h.standin.calls).slice(0, 3)).toEqual(['SessionsController_get', 'SessionsController_create', 'SessionsController_start'])
    const callbackHeaders = [{ name: 'X-Api-Key', value: KEY }]
    expect(h.standin.calls[1]?.body).toEqual({
      name: PHONE,
      start: false,
      config: {
        webhooks: [
          { url: `${PUBLIC_URL}/api/whatsapp/webhook/message`, events: [...WAHA_MESSAGE_WEBHOOK_EVENTS], customHeaders: callbackHeaders },
          { url: `${PUBLIC_URL}/api/whatsapp/webhook/state-change`, events: ['session.status'], customHeaders: callbackHeaders },
        ],
      },
    })
    expect(h.standin.calls.every((call) => call.headers['x-api-key'] === KEY)).toBe(true)
    const current = await state(h)
    expect(current).toMatchObject({ status: 'STARTING', state: 'AUTHENTICATING', engine: 'waha' })
    expect(current.capabilities).toContain('send.text')
    expect(current.capabilities).toContain('groups.participants')
    for (const missing of ['send.sticker', 'send.audio', 'sandbox']) expect(current.capabilities).not.toContain(missing)
  })

  test('the QR is read from WAHA while it waits for a scan; the scan connects with the linked account', async () => {
    await startWaha(h)
    h.standin.sessions.get(PHONE)!.status = 'SCAN_QR_CODE'
    await waitFor(async () => (await state(h)).status === 'SCAN_QR_CODE')
    // The QR is read before the status is reported: SCAN_QR_CODE always comes with a QR.
    const qr = await h.server.call<{ value: string; qrCode: string }>('GET', `/${PHONE}/qr`)
    expect(qr.status).toBe(200)
    expect(qr.body.value).toBe('2@stand-in-qr-value,abc=,def=,ghi=')
    expect(qr.body.qrCode).toStartWith('data:image/png;base64,')
    const qrCall = h.standin.calls.find((call) => call.operationId === 'AuthController_getQR')
    expect(qrCall?.query).toEqual({ format: 'raw' })
    expect(qrCall?.path).toBe(`/api/${PHONE}/auth/qr`)

    h.standin.sessions.get(PHONE)!.status = 'WORKING'
    await waitFor(async () => (await state(h)).status === 'WORKING')
    expect(await state(h)).toMatchObject({ state: 'CONNECTED', me: { id: ME, pushName: 'Stand-in' } })
    expect((await h.server.call('GET', `/${PHONE}/qr`)).status).toBe(409)
    // Status changes reached the bus once each, in order.
    const statuses = h.events.flatMap((event) => (event.event.type === 'session.status' ? [event.event.status] : []))
    expect(statuses).toEqual(['STARTING', 'SCAN_QR_CODE', 'WORKING'])
    expect(h.events.filter((event) => event.event.type === 'qr')).toHaveLength(1)
  })

  test('pairing code through WAHA request-code; an answer without a code is an upstream error', async () => {
    await startWaha(h)
    h.standin.sessions.get(PHONE)!.status = 'SCAN_QR_CODE'
    await waitFor(async () => (await state(h)).status === 'SCAN_QR_CODE')
    const pairing = await h.server.call('POST', `/${PHONE}/pairing-code`)
    expect(pairing).toMatchObject({ status: 200, body: { code: 'ABCD-EFGH' } })
    const request = h.standin.calls.find((call) => call.operationId === 'AuthController_requestCode')
    expect(request?.body).toEqual({ phoneNumber: PHONE })
    h.standin.setResponse('AuthController_requestCode', { status: 201 })
    const empty = await h.server.call('POST', `/${PHONE}/pairing-code`)
    expect(empty).toMatchObject({ status: 502, body: { code: 'UPSTREAM_ERROR' } })
  })

  test('stop keeps the WAHA session; the next start reuses it; logout unpairs', async () => {
    await link(h)
    const stopped = await h.server.call('POST', `/${PHONE}/stop`)
    expect(stopped.body).toMatchObject({ status: 'STOPPED', state: 'DISCONNECTED' })
    expect(ops(h.standin.calls)).toContain('SessionsController_stop')
    expect(h.standin.sessions.get(PHONE)?.status).toBe('STOPPED')

    const before = h.standin.calls.length
    await startWaha(h)
    const again = ops(h.standin.calls.slice(before))
    // Same config: no second create, no update (which would restart a running WAHA session).
    expect(again.slice(0, 2)).toEqual(['SessionsController_get', 'SessionsController_start'])
    expect(again).not.toContain('SessionsController_create')
    expect(again).not.toContain('SessionsController_update')

    h.standin.sessions.get(PHONE)!.status = 'WORKING'
    await waitFor(async () => (await state(h)).status === 'WORKING')
    const out = await h.server.call('POST', `/${PHONE}/logout`)
    expect(out.body).toMatchObject({ success: true, status: 'STOPPED' })
    expect(ops(h.standin.calls)).toContain('SessionsController_logout')
    expect(await state(h)).not.toHaveProperty('me')
  })

  test("a WAHA session set up by someone else keeps its config; only our webhooks are added", async () => {
    const crm = { url: 'https://crm.example/hook', events: ['message'] }
    h.standin.sessions.set(PHONE, { status: 'STOPPED', config: { proxy: { server: 'http://proxy:3128' }, webhooks: [crm] } })
    await startWaha(h)
    const update = h.standin.calls.find((call) => call.operationId === 'SessionsController_update')
    const config = (update?.body as { config: { proxy: unknown; webhooks: Array<{ url: string }> } }).config
    expect(config.proxy).toEqual({ server: 'http://proxy:3128' })
    expect(config.webhooks.map((webhook) => webhook.url)).toEqual([
      crm.url,
      `${PUBLIC_URL}/api/whatsapp/webhook/message`,
      `${PUBLIC_URL}/api/whatsapp/webhook/state-change`,
    ])
  })

  test('a WAHA session already running (this server restarted) is not started again', async () => {
    h.standin.sessions.set(PHONE, { status: 'WORKING' })
    await startWaha(h)
    expect(ops(h.standin.calls)).not.toContain('SessionsController_start')
    expect(await state(h)).toMatchObject({ status: 'WORKING', me: { id: ME } })
  })

  test('a session deleted on the WAHA server turns FAILED, saying so', async () => {
    await link(h)
    h.standin.sessions.delete(PHONE)
    await waitFor(async () => (await state(h)).status === 'FAILED')
    expect((await state(h)).reason).toContain('deleted on the WAHA server')
  })

  test('a phone of another number linking the WAHA session puts it in CONFLICT', async () => {
    const other = '966500000009'
    await startWaha(h, other)
    h.standin.sessions.get(other)!.status = 'WORKING' // the stand-in is linked to 966500000001
    await waitFor(async () => (await state(h, other)).status === 'CONFLICT')
    expect((await state(h, other)).reason).toContain('Linked by 966500000001')
    await expect(h.server.deps.sessions.requireConnected(other, 'send.text')).rejects.toBeInstanceOf(ClientNotReadyError)
  })

  test('capabilities WAHA lacks answer 501 before WAHA is touched', async () => {
    await link(h)
    const before = h.standin.calls.filter((call) => call.operationId !== 'SessionsController_get').length
    for (const capability of ['send.sticker', 'send.audio', 'sandbox'] as Capability[]) {
      const error = await h.server.deps.sessions.requireConnected(PHONE, capability).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(NotSupportedError)
      expect((error as NotSupportedError).statusCode).toBe(501)
    }
    const sandbox = await h.server.call('POST', `/${PHONE}/sandbox/scan`)
    expect(sandbox).toMatchObject({ status: 501, body: { code: 'NOT_SUPPORTED' } })
    const engine = await h.server.deps.sessions.requireConnected(PHONE)
    await expect(engine.send({ chatId: CHAT, content: { type: 'sticker', media: PNG } })).rejects.toBeInstanceOf(NotSupportedError)
    await expect(engine.send({ chatId: CHAT, content: { type: 'text', text: 'hi @x', mentions: [CHAT] } })).rejects.toBeInstanceOf(NotSupportedError)
    await expect(engine.deleteMessage(`true_${CHAT}_A`, false)).rejects.toBeInstanceOf(NotSupportedError)
    expect(h.standin.calls.filter((call) => call.operationId !== 'SessionsController_get')).toHaveLength(before)
  })
})

describe('waha engine configuration', () => {
  test('without WAHA_URL, starting a waha session is 501', async () => {
    const server = await createTestServer()
    h = { standin: startWahaStandin(), server, files: new Map(), fileRequests: [], events: [], close: async () => {} }
    try {
      const started = await server.call('POST', `/${PHONE}/start`, { body: { engine: 'waha' } })
      expect(started).toMatchObject({ status: 501, body: { code: 'NOT_SUPPORTED' } })
    } finally {
      await server.close()
      await h.standin.close()
    }
  })

  test('WAHA unreachable at start: 502, and the session is not left running', async () => {
    const closed = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') })
    const port = closed.port
    await closed.stop(true)
    h = await harness({ WAHA_URL: `http://127.0.0.1:${port}` })
    const started = await h.server.call('POST', `/${PHONE}/start`, { body: { engine: 'waha' } })
    expect(started).toMatchObject({ status: 502, body: { code: 'UPSTREAM_ERROR' } })
    expect(String((started.body as { error: string }).error)).toContain('unreachable')
    expect((await state(h)).status).toBe('STOPPED')
  })
})

describe('waha capabilities against the stand-in', () => {
  beforeEach(async () => {
    h = await harness()
    await link(h)
  })

  async function engine(capability: Capability): Promise<EngineSession> {
    return h.server.deps.sessions.requireConnected(PHONE, capability)
  }

  /** Runs `action` and returns the stand-in calls it made (status polls left out). */
  async function callsOf(action: () => Promise<unknown>): Promise<StandinCall[]> {
    const before = h.standin.calls.length
    await action()
    expect(h.standin.errors).toEqual([])
    return h.standin.calls.slice(before).filter((call) => call.operationId !== 'SessionsController_get')
  }

  test('sending every kind WAHA offers, each once on the bus', async () => {
    const sends: Array<[Capability, Parameters<EngineSession['send']>[0], string, Record<string, unknown>]> = [
      ['send.text', { chatId: CHAT, content: { type: 'text', text: 'hello', linkPreview: false }, quotedMsgId: `false_${CHAT}_Q` }, 'ChattingController_sendText', { text: 'hello', linkPreview: false, reply_to: `false_${CHAT}_Q` }],
      ['send.image', { chatId: CHAT, content: { type: 'image', media: PNG, caption: 'look' } }, 'ChattingController_sendImage', { caption: 'look', file: { mimetype: 'image/png', filename: 'dot.png', data: 'iVBORw0KGgo=' } }],
      ['send.file', { chatId: CHAT, content: { type: 'file', media: { ...PNG, mimeType: 'application/pdf', filename: 'a.pdf' } } }, 'ChattingController_sendFile', { file: { mimetype: 'application/pdf', filename: 'a.pdf', data: 'iVBORw0KGgo=' } }],
      ['send.voice', { chatId: CHAT, content: { type: 'voice', media: { data: PNG.data, mimeType: 'audio/mpeg' } } }, 'ChattingController_sendVoice', { convert: true, file: { mimetype: 'audio/mpeg', filename: 'voice.mpeg', data: 'iVBORw0KGgo=' } }],
      ['send.voice', { chatId: CHAT, content: { type: 'voice', media: { data: PNG.data, mimeType: 'audio/ogg; codecs=opus', filename: 'v.ogg' } } }, 'ChattingController_sendVoice', { convert: false }],
      ['send.video', { chatId: CHAT, content: { type: 'video', media: { data: PNG.data, mimeType: 'video/mp4' }, caption: 'clip' } }, 'ChattingController_sendVideo', { convert: false, caption: 'clip', file: { mimetype: 'video/mp4', filename: 'video.mp4', data: 'iVBORw0KGgo=' } }],
      ['send.location', { chatId: CHAT, content: { type: 'location', latitude: 24.7136, longitude: 46.6753, name: 'Riyadh' } }, 'ChattingController_sendLocation', { latitude: 24.7136, longitude: 46.6753, title: 'Riyadh' }],
      ['send.contact', { chatId: CHAT, content: { type: 'contact', vcards: ['BEGIN:VCARD\nVERSION:3.0\nFN:Jane\nEND:VCARD'] } }, 'ChattingController_sendContactVcard', { contacts: [{ vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Jane\nEND:VCARD' }] }],
      ['send.poll', { chatId: CHAT, content: { type: 'poll', name: 'Lunch?', options: ['Yes', 'No'], multipleAnswers: false } }, 'ChattingController_sendPoll', { poll: { name: 'Lunch?', options: ['Yes', 'No'], multipleAnswers: false } }],
    ]
    const sent: MessageDTO[] = []
    for (const [capability, request, operationId, expectedBody] of sends) {
      let message: MessageDTO | undefined
      const calls = await callsOf(async () => {
        message = await (await engine(capability)).send(request)
      })
      expect(ops(calls)).toEqual([operationId])
      expect(calls[0]?.body).toMatchObject({ chatId: CHAT, session: PHONE, ...expectedBody })
      expect(message).toMatchObject({ chatId: CHAT, from: ME, to: CHAT, fromMe: true })
      expect(message?.id).toStartWith(`true_${CHAT}_`)
      sent.push(message!)
    }
    expect(sent.map((m) => m.type)).toEqual(['text', 'image', 'document', 'voice', 'voice', 'video', 'location', 'contact', 'poll'])
    expect(sent[1]).toMatchObject({ hasMedia: true, media: { mimetype: 'image/png', filename: 'dot.png', size: PNG.data.byteLength }, body: 'look' })
    expect(sent[0]?.replyTo).toBe(`false_${CHAT}_Q`)
    // Each send is one `message` event; media sends carry their bytes.
    const onBus = messagesOnBus(h)
    expect(onBus.map((m) => m.id)).toEqual(sent.map((m) => m.id))
    const imageEvent = h.events.find((event) => event.event.type === 'message' && event.event.message.type === 'image')?.event
    expect(imageEvent?.type === 'message' && imageEvent.media?.data).toEqual(PNG.data)
    // WAHA's `message.any` callback for a message we sent adds nothing.
    const echo = envelope('message.any', { id: sent[0]!.id, from: ME, to: CHAT, fromMe: true, hasMedia: false, media: undefined })
    await h.server.deps.sessions.acceptExternalEvents(PHONE, wahaEnvelopeToEngineEvents(echo))
    expect(messagesOnBus(h)).toHaveLength(sent.length)
  })

  test('reactions, edits, deletes, forwards, seen, presence, Status posts', async () => {
    const message = `true_${CHAT}_3EB0C767D26A1D2B8F`
    // The session's status poll runs meanwhile: read the reaction from the filtered calls, not the last call.
    const reaction = await callsOf(async () => (await engine('message.react')).react(message, '👍'))
    expect(ops(reaction)).toEqual(['ChattingController_setReaction'])
    expect(reaction[0]?.body).toEqual({ messageId: message, reaction: '👍', session: PHONE })

    const edit = await callsOf(async () => (await engine('message.edit')).editMessage(message, 'edited'))
    expect(edit.map((call) => [call.operationId, call.path, call.body])).toEqual([
      ['ChatsController_editMessage', `/api/${PHONE}/chats/${encodeURIComponent(CHAT)}/messages/${encodeURIComponent(message)}`, { text: 'edited' }],
    ])
    const removed = await callsOf(async () => (await engine('message.delete')).deleteMessage(message, true))
    expect(removed.map((call) => [call.operationId, call.method])).toEqual([['ChatsController_deleteMessage', 'DELETE']])
    // A message id without its chat cannot be edited through WAHA: a clear 400, nothing sent.
    const bad = await (await engine('message.edit')).editMessage('3EB0C767', 'x').catch((e: unknown) => e)
    expect((bad as { statusCode: number }).statusCode).toBe(400)

    let forwarded: MessageDTO | undefined
    const forward = await callsOf(async () => {
      forwarded = await (await engine('message.forward')).forwardMessage(message, GROUP)
    })
    expect(forward.map((call) => call.body)).toEqual([{ chatId: GROUP, messageId: message, session: PHONE }])
    expect(forwarded).toMatchObject({ id: `true_${GROUP}_3EB0FWD`, chatId: GROUP, isForwarded: true })
    expect(messagesOnBus(h).map((m) => m.id)).toEqual([`true_${GROUP}_3EB0FWD`])

    expect((await callsOf(async () => (await engine('chat.seen')).markSeen(CHAT))).map((c) => c.body)).toEqual([{ chatId: CHAT, session: PHONE }])
    const presence = await callsOf(async () => (await engine('chat.presence')).setPresence(CHAT, 'recording'))
    expect(presence.map((call) => [call.operationId, call.body])).toEqual([['PresenceController_setPresence', { chatId: CHAT, presence: 'recording' }]])

    const statusEngine = await engine('status.post')
    const statuses = await callsOf(async () => {
      const text = await statusEngine.postStatus({ type: 'text', text: 'Hi all' })
      expect(text).toMatchObject({ chatId: 'status@broadcast', type: 'text', body: 'Hi all', fromMe: true })
      await statusEngine.postStatus({ type: 'image', media: PNG, caption: 'pic' })
      await statusEngine.postStatus({ type: 'video', media: { data: PNG.data, mimeType: 'video/webm' } })
    })
    expect(statuses.map((call) => [call.operationId, call.body])).toEqual([
      ['StatusController_sendTextStatus', { text: 'Hi all', backgroundColor: '#38b42f', font: 0 }],
      ['StatusController_sendImageStatus', { file: { mimetype: 'image/png', filename: 'dot.png', data: 'iVBORw0KGgo=' }, caption: 'pic' }],
      ['StatusController_sendVideoStatus', { file: { mimetype: 'video/webm', filename: 'video.webm', data: 'iVBORw0KGgo=' }, convert: true }],
    ])
  })

  test('chats, history with its cursor, and media download', async () => {
    const chats = await (await engine('chats.list')).listChats({ page: 1, limit: 10 })
    expect(chats).toEqual({ total: 1, items: [{ id: CHAT, name: 'Friend', isGroup: false, unreadCount: 1, archived: false, timestamp: 1767225600 }] })
    expect(h.standin.calls.find((call) => call.operationId === 'ChatsController_getChats')?.query).toEqual({ sortBy: 'conversationTimestamp', sortOrder: 'desc' })
    expect(await (await engine('chats.list')).listChats({ page: 1, limit: 10, archived: true })).toEqual({ total: 0, items: [] })

    const chat = await (await engine('chats.get')).getChat(CHAT)
    expect(chat).toMatchObject({ id: CHAT, name: 'Friend', lastMessage: { body: 'hello', fromMe: false } })
    expect(h.standin.calls.find((call) => call.operationId === 'ChatsController_getChatsOverview')?.query).toEqual({ ids: CHAT })
    await expect((await engine('chats.get')).getChat('966500000099@c.us')).rejects.toBeInstanceOf(NotFoundError)

    const history = await engine('messages.history')
    const first = await history.getMessages(CHAT, { limit: 1 })
    expect(first.messages.map((m) => [m.id, m.body, m.fromMe])).toEqual([[`false_${CHAT}_AAA2`, 'second', false]])
    expect(first.hasMore).toBe(true)
    const messagesQuery = h.standin.calls.filter((call) => call.operationId === 'ChatsController_getChatMessages').at(-1)?.query
    expect(messagesQuery).toEqual({ limit: '2', sortBy: 'timestamp', sortOrder: 'desc', downloadMedia: 'false' })
    const older = await history.getMessages(CHAT, { limit: 5, before: `false_${CHAT}_AAA2` })
    expect(older).toEqual({ messages: [expect.objectContaining({ id: `true_${CHAT}_AAA1`, body: 'first' })], hasMore: false })
    const cursorQuery = h.standin.calls.filter((call) => call.operationId === 'ChatsController_getChatMessages').at(-1)?.query
    expect(cursorQuery).toMatchObject({ 'filter.timestamp.lte': '1767225600' })

    const media = await engine('messages.media')
    expect(await media.downloadMedia(`false_${CHAT}_AAA2`)).toBeNull() // the stand-in's message has no media
    const path = `/api/files/${PHONE}/false_${CHAT}_PIC.jpeg`
    h.files.set(path, JPEG)
    h.standin.setResponse('ChatsController_getChatMessage', {
      status: 200,
      body: {
        id: `false_${CHAT}_PIC`,
        timestamp: 1767225600,
        from: CHAT,
        fromMe: false,
        source: 'app',
        to: ME,
        participant: '',
        body: '',
        hasMedia: true,
        media: { url: `http://localhost:3000${path}`, mimetype: 'image/jpeg', filename: 'pic.jpeg' },
        mediaUrl: `http://localhost:3000${path}`,
        ack: 2,
        ackName: 'DEVICE',
      },
    })
    const file = await media.downloadMedia(`false_${CHAT}_PIC`)
    expect(file).toEqual({ data: JPEG, mimeType: 'image/jpeg', filename: 'pic.jpeg' })
    expect(h.fileRequests).toEqual([{ path, key: KEY }])
    expect(h.standin.calls.filter((call) => call.operationId === 'ChatsController_getChatMessage').at(-1)?.query).toEqual({ downloadMedia: 'true' })
  })

  test('contacts', async () => {
    expect(await (await engine('contacts.list')).listContacts()).toEqual([
      { id: CHAT, name: 'Friend', pushname: 'Friend', number: '966500000002', isMyContact: true, isBusiness: false, isBlocked: false },
    ])
    expect(await (await engine('contacts.get')).getContact(CHAT)).toMatchObject({ id: CHAT, number: '966500000002', name: 'Friend' })
    expect(await (await engine('contacts.profilePicture')).getProfilePictureUrl(CHAT)).toBe('https://pps.whatsapp.net/v/t61/contact.jpg')
    expect(await (await engine('contacts.exists')).checkNumber('+966 500 000 002')).toEqual({ number: '966500000002', exists: true, jid: CHAT })
    expect(h.standin.calls.find((call) => call.operationId === 'ContactsController_checkExists')?.query).toEqual({ phone: '966500000002', session: PHONE })
    const blocking = await callsOf(async () => {
      const contacts = await engine('contacts.block')
      await contacts.setBlocked(CHAT, true)
      await contacts.setBlocked(CHAT, false)
    })
    expect(blocking.map((call) => [call.operationId, call.body])).toEqual([
      ['ContactsController_block', { contactId: CHAT, session: PHONE }],
      ['ContactsController_unblock', { contactId: CHAT, session: PHONE }],
    ])
    h.standin.setResponse('ContactsController_getProfilePicture', { status: 200, body: { profilePictureURL: null } })
    expect(await (await engine('contacts.profilePicture')).getProfilePictureUrl(CHAT)).toBeNull()
  })

  test('groups', async () => {
    const group = {
      id: GROUP,
      subject: 'Group',
      description: 'A group',
      owner: null,
      participants: [
        { id: ME, isAdmin: true, isSuperAdmin: true },
        { id: '966500000002@c.us', isAdmin: false, isSuperAdmin: false },
      ],
      messagesAdminsOnly: false,
      infoAdminsOnly: false,
    }
    expect(await (await engine('groups.list')).listGroups()).toEqual([group])
    expect(await (await engine('groups.get')).getGroup(GROUP)).toEqual(group)

    const create = await callsOf(async () => {
      expect(await (await engine('groups.create')).createGroup('Team', [CHAT])).toEqual(group)
    })
    expect(create.map((call) => [call.operationId, call.body])).toEqual([
      ['GroupsController_createGroup', { name: 'Team', participants: [{ id: CHAT }] }],
      ['GroupsController_getGroup', undefined],
    ])

    const update = await callsOf(async () => {
      await (await engine('groups.update')).updateGroup(GROUP, { subject: 'New', description: 'About', messagesAdminsOnly: true, infoAdminsOnly: false })
    })
    expect(update.map((call) => [call.operationId, call.body])).toEqual([
      ['GroupsController_setSubject', { subject: 'New' }],
      ['GroupsController_setDescription', { description: 'About' }],
      ['GroupsController_setMessagesAdminOnly', { adminsOnly: true }],
      ['GroupsController_setInfoAdminOnly', { adminsOnly: false }],
      ['GroupsController_getGroup', undefined],
    ])

    const members = await callsOf(async () => {
      const groups = await engine('groups.participants')
      for (const action of ['add', 'remove', 'promote', 'demote'] as const) await groups.updateParticipants(GROUP, action, [CHAT])
    })
    expect(ops(members)).toEqual([
      'GroupsController_addParticipants',
      'GroupsController_getGroup',
      'GroupsController_removeParticipants',
      'GroupsController_getGroup',
      'GroupsController_promoteToAdmin',
      'GroupsController_getGroup',
      'GroupsController_demoteToAdmin',
      'GroupsController_getGroup',
    ])
    expect(members[0]?.body).toEqual({ participants: [{ id: CHAT }] })

    expect(await (await engine('groups.inviteLink')).getInviteLink(GROUP)).toBe('https://chat.whatsapp.com/StandInInviteCode1')
    const picture = await callsOf(async () => (await engine('groups.picture')).setGroupPicture(GROUP, PNG))
    expect(picture.map((call) => [call.operationId, call.body])).toEqual([
      ['GroupsController_setPicture', { file: { mimetype: 'image/png', filename: 'dot.png', data: 'iVBORw0KGgo=' } }],
    ])
    h.standin.setResponse('GroupsController_setPicture', { status: 200, body: { success: false } })
    await expect((await engine('groups.picture')).setGroupPicture(GROUP, PNG)).rejects.toBeInstanceOf(UpstreamError)
    expect(ops(await callsOf(async () => (await engine('groups.leave')).leaveGroup(GROUP)))).toEqual(['GroupsController_leaveGroup'])
  })

  test('profile', async () => {
    expect(await (await engine('profile.get')).getProfile()).toEqual({
      id: ME,
      pushname: 'Stand-in',
      phone: PHONE,
      status: 'Hey there! I am using WhatsApp.',
      pictureUrl: null,
    })
    const changes = await callsOf(async () => {
      await (await engine('profile.name')).setProfileName('Support desk')
      await (await engine('profile.status')).setProfileStatus('Open 9-5')
      await (await engine('profile.picture')).setProfilePicture(PNG)
    })
    expect(changes.map((call) => [call.operationId, call.body])).toEqual([
      ['ProfileController_setProfileName', { name: 'Support desk' }],
      ['ProfileController_setProfileStatus', { status: 'Open 9-5' }],
      ['ProfileController_setProfilePicture', { file: { mimetype: 'image/png', filename: 'dot.png', data: 'iVBORw0KGgo=' } }],
    ])
    // The "about" text is optional: a failure to read it leaves it out.
    h.standin.setResponse('ContactsController_getAbout', { status: 500, body: { message: 'boom' } })
    expect(await (await engine('profile.get')).getProfile()).not.toHaveProperty('status')
  })

  test('chat actions, star, message pins and poll votes (issue 13) through our routes, each one WAHA operation', async () => {
    const message = `false_${CHAT}_3EB0C767D26A1D2B8F`
    const chat = encodeURIComponent(CHAT)
    const cases: Array<[string, string, Record<string, unknown> | undefined, string, string, unknown]> = [
      ['POST', `chat/${CHAT}/archive`, undefined, 'ChatsController_archiveChat', `/api/${PHONE}/chats/${chat}/archive`, undefined],
      ['POST', `chat/${CHAT}/unarchive`, undefined, 'ChatsController_unarchiveChat', `/api/${PHONE}/chats/${chat}/unarchive`, undefined],
      ['POST', `chat/${CHAT}/unread`, undefined, 'ChatsController_unreadChat', `/api/${PHONE}/chats/${chat}/unread`, undefined],
      ['POST', `chat/${CHAT}/clear`, undefined, 'ChatsController_clearMessages', `/api/${PHONE}/chats/${chat}/messages`, undefined],
      ['DELETE', `chat/${CHAT}`, undefined, 'ChatsController_deleteChat', `/api/${PHONE}/chats/${chat}`, undefined],
      ['POST', `messages/${message}/star`, undefined, 'ChattingController_setStar', '/api/star', { messageId: message, chatId: CHAT, star: true, session: PHONE }],
      ['POST', `messages/${message}/unstar`, undefined, 'ChattingController_setStar', '/api/star', { messageId: message, chatId: CHAT, star: false, session: PHONE }],
      ['POST', `messages/${message}/pin`, { duration: 2592000 }, 'ChatsController_pinMessage', `/api/${PHONE}/chats/${chat}/messages/${encodeURIComponent(message)}/pin`, { duration: 2592000 }],
      ['POST', `messages/${message}/unpin`, undefined, 'ChatsController_unpinMessage', `/api/${PHONE}/chats/${chat}/messages/${encodeURIComponent(message)}/unpin`, undefined],
      ['POST', `messages/${message}/vote`, { options: ['Yes', 'Yes'] }, 'ChattingController_sendPollVote', '/api/sendPollVote', { chatId: CHAT, pollMessageId: message, votes: ['Yes'], session: PHONE }],
    ]
    for (const [method, path, body, operationId, wahaPath, wahaBody] of cases) {
      let status = 0
      const calls = await callsOf(async () => {
        status = (await h.server.call(method, `/${PHONE}/${path}`, body ? { body } : {})).status
      })
      expect({ path, status }).toEqual({ path, status: 200 })
      expect(calls.map((call) => [call.operationId, call.path, call.body])).toEqual([[operationId, wahaPath, wahaBody]])
    }
    // WAHA has no operation for these: 501 before WAHA is touched.
    for (const [method, path, body] of [
      ['POST', `chat/${CHAT}/pin`, undefined],
      ['POST', `chat/${CHAT}/mute`, {}],
      ['GET', `messages/${message}/votes`, undefined],
    ] as const) {
      const calls = await callsOf(async () => {
        const response = await h.server.call(method, `/${PHONE}/${path}`, body ? { body } : {})
        expect(response).toMatchObject({ status: 501, body: { code: 'NOT_SUPPORTED', details: { engine: 'waha' } } })
      })
      expect(calls).toEqual([])
    }
  })

  test('labels and channels (issue 13 part B) through our routes, each mapped onto WAHA operations', async () => {
    const chat = encodeURIComponent(CHAT)
    const channel = '120363000000000001@newsletter'
    const ch = encodeURIComponent(channel)
    const cases: Array<[string, string, Record<string, unknown> | undefined, Array<[string, string, unknown]>]> = [
      ['GET', 'labels', undefined, [['LabelsController_getAll', `/api/${PHONE}/labels`, undefined]]],
      ['POST', 'labels', { name: 'VIP', color: 13 }, [['LabelsController_create', `/api/${PHONE}/labels`, { name: 'VIP', color: 13, colorHex: '#f74848' }]]],
      [
        'PUT',
        'labels/1',
        { name: 'Hot lead' },
        [
          ['LabelsController_getAll', `/api/${PHONE}/labels`, undefined],
          ['LabelsController_update', `/api/${PHONE}/labels/1`, { name: 'Hot lead', color: 0, colorHex: '#ff9485' }],
        ],
      ],
      ['DELETE', 'labels/1', undefined, [['LabelsController_delete', `/api/${PHONE}/labels/1`, undefined]]],
      [
        'GET',
        'labels/1/chats',
        undefined,
        [
          ['LabelsController_getAll', `/api/${PHONE}/labels`, undefined],
          ['LabelsController_getChatsByLabel', `/api/${PHONE}/labels/1/chats`, undefined],
        ],
      ],
      ['GET', 'channels', undefined, [['ChannelsController_list', `/api/${PHONE}/channels`, undefined]]],
      ['GET', `channels/${channel}`, undefined, [['ChannelsController_get', `/api/${PHONE}/channels/${ch}`, undefined]]],
      ['POST', 'channels', { name: 'News', description: 'Daily' }, [['ChannelsController_create', `/api/${PHONE}/channels`, { name: 'News', description: 'Daily' }]]],
      ['DELETE', `channels/${channel}`, undefined, [['ChannelsController_delete', `/api/${PHONE}/channels/${ch}`, undefined]]],
      ['POST', `channels/${channel}/follow`, undefined, [['ChannelsController_follow', `/api/${PHONE}/channels/${ch}/follow`, undefined]]],
      ['POST', `channels/${channel}/unfollow`, undefined, [['ChannelsController_unfollow', `/api/${PHONE}/channels/${ch}/unfollow`, undefined]]],
      ['POST', `channels/${channel}/mute`, undefined, [['ChannelsController_mute', `/api/${PHONE}/channels/${ch}/mute`, undefined]]],
      ['POST', `channels/${channel}/unmute`, undefined, [['ChannelsController_unmute', `/api/${PHONE}/channels/${ch}/unmute`, undefined]]],
    ]
    const answers: Record<string, unknown> = {}
    for (const [method, path, body, expected] of cases) {
      let status = 0
      const calls = await callsOf(async () => {
        const response = await h.server.call(method, `/${PHONE}/${path}`, body ? { body } : {})
        status = response.status
        answers[`${method} ${path}`] = response.body
      })
      expect({ path, status }).toEqual({ path, status: 200 })
      expect(calls.map((call): unknown[] => [call.operationId, call.path, call.body ?? undefined])).toEqual(expected)
    }
    expect(answers['GET labels']).toEqual([
      { id: '1', name: 'Lead', color: 0, colorHex: '#ff9485' },
      { id: '2', name: 'Paid', color: 5, colorHex: '#55ccb3' },
    ])
    expect(answers['POST labels']).toEqual({ id: '7', name: 'VIP', color: 13, colorHex: '#f74848' })
    expect((answers['GET labels/1/chats'] as Array<{ id: string; labels: string[] }>).map((c) => [c.id, c.labels])).toEqual([[CHAT, ['1']]])
    // WAHA lists channels only looked at too: ours are those followed or run.
    expect((answers['GET channels'] as Array<{ id: string; role: string }>).map((c) => [c.id, c.role])).toEqual([[channel, 'OWNER']])
    expect(answers[`GET channels/${channel}`]).toEqual({
      id: channel,
      name: 'Stand-in news',
      description: 'From the stand-in',
      role: 'SUBSCRIBER',
      subscribers: 42,
      invite: 'https://www.whatsapp.com/channel/StandInChannel1',
    })
    expect(answers['POST channels']).toMatchObject({ id: '120363000000000003@newsletter', channel: { name: 'News', description: 'Daily', role: 'OWNER', subscribers: 0 } })

    // A chat's labels: checked against WAHA's labels, then put whole.
    const put = await callsOf(async () => {
      const response = await h.server.call('PUT', `/${PHONE}/chat/${CHAT}/labels`, { body: { labelIds: ['1', '2'] } })
      expect(response.status).toBe(200)
    })
    expect(put.map((call) => [call.operationId, call.body ?? undefined])).toContainEqual(['LabelsController_putChatLabels', { labels: [{ id: '1' }, { id: '2' }] }])
    expect(put.find((call) => call.operationId === 'LabelsController_putChatLabels')?.path).toBe(`/api/${PHONE}/labels/chats/${chat}`)
    const unknown = await callsOf(async () => {
      const response = await h.server.call('PUT', `/${PHONE}/chat/${CHAT}/labels`, { body: { labelIds: ['9'] } })
      expect(response).toMatchObject({ status: 400, body: { details: { unknown: ['9'] } } })
    })
    expect(ops(unknown)).toEqual(['LabelsController_getAll'])
    expect((await h.server.call('GET', `/${PHONE}/labels/9/chats`)).status).toBe(404)
    expect((await h.server.call('PUT', `/${PHONE}/labels/9`, { body: { name: 'x' } })).status).toBe(404)
    // WAHA's chats do not say their labels: the label filter reads the label's chats, one chat asks for its labels.
    const filtered = await callsOf(async () => {
      const response = await h.server.call<{ chats: Array<{ id: string; labels: string[] }> }>('GET', `/${PHONE}/chats?labelId=1`)
      expect(response.body.chats.map((c) => [c.id, c.labels])).toEqual([[CHAT, ['1']]])
    })
    expect(ops(filtered)).toEqual(['LabelsController_getAll', 'LabelsController_getChatsByLabel'])
    expect((await h.server.call<{ labels: string[] }>('GET', `/${PHONE}/chat/${CHAT}`)).body.labels).toEqual(['1'])
    // WAHA's 404 for a channel comes back as ours.
    h.standin.setResponse('ChannelsController_get', { status: 404, body: { statusCode: 404, message: 'Channel not found', error: 'Not Found' } })
    expect((await h.server.call('GET', `/${PHONE}/channels/${channel}`)).status).toBe(404)
  })

  test("calls: WAHA rejects by id and caller, so a call is rejectable once WAHA's call.received told us of it", async () => {
    expect((await h.server.call('POST', `/${PHONE}/calls/ABCDEF0123/reject`)).status).toBe(404)
    const events = wahaEnvelopeToEngineEvents(envelope('call.received', { id: 'ABCDEF0123', from: CHAT, isVideo: false, isGroup: false }))
    await h.server.deps.sessions.acceptExternalEvents(PHONE, events)
    const calls = await callsOf(async () => {
      expect((await h.server.call('POST', `/${PHONE}/calls/ABCDEF0123/reject`)).body).toEqual({ success: true })
    })
    expect(calls.map((call) => [call.operationId, call.path, call.body])).toEqual([['CallsController_rejectCall', `/api/${PHONE}/calls/reject`, { from: CHAT, id: 'ABCDEF0123' }]])
    expect((await h.server.call('POST', `/${PHONE}/calls/ABCDEF0123/reject`)).status).toBe(404)
    // Call settings: WAHA can reject, so automatic rejection may be switched on.
    expect((await h.server.call('PUT', `/${PHONE}/settings`, { body: { rejectCalls: true } })).status).toBe(200)
  })

  test('groups by invite, contacts, presence, profile picture and Status extras (issue 13 part A) through our routes, as WAHA operations', async () => {
    const status = 'true_status@broadcast_3EB0AB12CD34EF56'
    const cases: Array<[string, string, Record<string, unknown> | undefined, Array<[string, unknown]>, unknown]> = [
      ['POST', 'group/join', { invite: 'https://chat.whatsapp.com/StandInInviteCode1' }, [['GroupsController_joinInfoGroup', undefined], ['GroupsController_joinGroup', { code: 'StandInInviteCode1' }]], { groupId: GROUP, pending: false }],
      ['GET', 'group/invite/StandInInviteCode1', undefined, [['GroupsController_joinInfoGroup', undefined]], { groupId: GROUP, subject: 'Group', membershipApproval: false }],
      ['POST', `group/${GROUP}/invite-link/revoke`, undefined, [['GroupsController_revokeInviteCode', undefined]], { inviteLink: 'https://chat.whatsapp.com/StandInInviteCode2' }],
      ['DELETE', `group/${GROUP}/picture`, undefined, [['GroupsController_deletePicture', undefined]], { success: true }],
      ['GET', `group/${GROUP}/picture`, undefined, [['ContactsController_getProfilePicture', undefined]], { url: 'https://pps.whatsapp.net/v/t61/contact.jpg' }],
      ['GET', `contact/${CHAT}/about`, undefined, [['ContactsController_getAbout', undefined]], { about: 'Hey there! I am using WhatsApp.' }],
      ['PUT', `contact/${CHAT}`, { firstName: 'Sara', lastName: 'Ahmed' }, [['ContactsSessionController_put', { firstName: 'Sara', lastName: 'Ahmed' }]], { success: true, contactId: CHAT, name: 'Sara Ahmed' }],
      ['POST', 'presence', { state: 'offline' }, [['PresenceController_setPresence', { presence: 'offline' }]], { success: true }],
      ['DELETE', 'profile/picture', undefined, [['ProfileController_deleteProfilePicture', undefined]], { success: true }],
      ['DELETE', `status/${status}`, undefined, [['StatusController_deleteStatus', { id: '3EB0AB12CD34EF56' }]], { success: true }],
    ]
    for (const [method, path, body, operations, answer] of cases) {
      let response: { status: number; body: unknown } = { status: 0, body: undefined }
      const calls = await callsOf(async () => {
        response = await h.server.call(method, `/${PHONE}/${path}`, body ? { body } : {})
      })
      expect({ path, status: response.status }).toEqual({ path, status: 200 })
      expect(response.body).toMatchObject(answer as Record<string, unknown>)
      expect(calls.map((call): [string, unknown] => [call.operationId ?? '', call.body ?? undefined])).toEqual(operations)
    }
    const joinInfo = h.standin.calls.find((call) => call.operationId === 'GroupsController_joinInfoGroup')
    expect(joinInfo?.query).toEqual({ code: 'StandInInviteCode1' })

    const checked = await callsOf(async () => {
      const response = await h.server.call<unknown[]>('POST', `/${PHONE}/contacts/check`, { body: { numbers: ['966500000002', '+966500000003'] } })
      expect(response.status).toBe(200)
      expect(response.body).toEqual([
        { number: '966500000002', exists: true, jid: '966500000002@c.us' },
        { number: '966500000003', exists: true, jid: '966500000003@c.us' },
      ])
    })
    expect(checked.map((call) => [call.operationId, call.query.phone]).sort()).toEqual([
      ['ContactsController_checkExists', '966500000002'],
      ['ContactsController_checkExists', '966500000003'],
    ])

    const voice = await callsOf(async () => {
      const response = await h.server.call('POST', `/${PHONE}/status`, { body: { type: 'voice', audioUrl: sampleBase64('mp3'), mimeType: 'audio/mpeg' } })
      expect(response.status).toBe(200)
    })
    expect(voice.map((call) => call.operationId)).toEqual(['StatusController_sendVoiceStatus'])
    // Converted here to OGG/Opus already: WAHA is not asked to convert.
    expect(voice[0]!.body).toMatchObject({ convert: false, backgroundColor: '#38b42f', file: { mimetype: 'audio/ogg; codecs=opus' } })

    // WAHA has no operation for membership requests nor for changing approval: 501 before WAHA is touched.
    for (const [method, path, body] of [
      ['GET', `group/${GROUP}/requests`, undefined],
      ['POST', `group/${GROUP}/requests/approve`, { participants: [CHAT] }],
      ['POST', `group/${GROUP}/requests/reject`, { participants: [CHAT] }],
      ['PUT', `group/${GROUP}`, { membershipApproval: true }],
      ['POST', 'group/create', { name: 'Guarded', participants: [CHAT], membershipApproval: true }],
    ] as const) {
      const calls = await callsOf(async () => {
        const response = await h.server.call(method, `/${PHONE}/${path}`, body ? { body } : {})
        expect(response).toMatchObject({ status: 501, body: { code: 'NOT_SUPPORTED', details: { engine: 'waha' } } })
      })
      expect(calls).toEqual([])
    }
  })

  test("WAHA's own refusals come back as our errors", async () => {
    h.standin.setResponse('ChattingController_sendText', {
      status: 422,
      body: { error: 'Session status is not as expected', session: PHONE, status: 'SCAN_QR_CODE', expected: ['WORKING'] },
    })
    const error = await (await engine('send.text')).send({ chatId: CHAT, content: { type: 'text', text: 'x' } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ClientNotReadyError)
    // A send WAHA accepted without an id cannot be referred to again: an upstream error, not a fake id.
    h.standin.setResponse('ChattingController_sendPoll', { status: 201, body: {} })
    const noId = await (await engine('send.poll'))
      .send({ chatId: CHAT, content: { type: 'poll', name: 'q', options: ['a', 'b'], multipleAnswers: true } })
      .catch((e: unknown) => e)
    expect(noId).toBeInstanceOf(UpstreamError)
  })
})

describe('WAHA callbacks through SessionManager.acceptExternalEvents', () => {
  beforeEach(async () => {
    // Polling slowed to a crawl: what changes here is what the callbacks said.
    h = await harness({ WAHA_POLL_MS: '3600000', WAHA_MEDIA_MAX_BYTES: '4096' })
    await startWaha(h)
  })

  const accept = (body: Parameters<typeof wahaEnvelopeToEngineEvents>[0], phone = PHONE) =>
    h.server.deps.sessions.acceptExternalEvents(phone, wahaEnvelopeToEngineEvents(body))

  const statusEnvelope = (status: string, me = true) =>
    envelope('session.status', { name: PHONE, status }, (built) => {
      if (!me) delete built.me
    })

  test('session.status callbacks drive the state; SCAN_QR_CODE fetches the QR at once; repeats emit nothing', async () => {
    const before = h.events.length
    await accept(statusEnvelope('SCAN_QR_CODE', false))
    expect(await state(h)).toMatchObject({ status: 'SCAN_QR_CODE' })
    expect((await h.server.call<{ value: string }>('GET', `/${PHONE}/qr`)).body.value).toBe('2@stand-in-qr-value,abc=,def=,ghi=')
    await accept(statusEnvelope('WORKING'))
    await accept(statusEnvelope('WORKING'))
    expect(await state(h)).toMatchObject({ status: 'WORKING', me: { id: ME, pushName: 'Support desk' } })
    const seen = h.events.slice(before).map((event) => (event.event.type === 'session.status' ? event.event.status : event.event.type))
    expect(seen).toEqual(['SCAN_QR_CODE', 'qr', 'WORKING'])
  })

  test('one WhatsApp message reaches the bus exactly once, however WAHA delivers it', async () => {
    await accept(statusEnvelope('WORKING'))
    const id = `false_${CHAT}_3EB0ONCE`
    await accept(incomingText(id, 'message'))
    await accept(incomingText(id, 'message.any'))
    await accept(incomingText(id, 'message')) // WAHA retrying a callback
    const messages = messagesOnBus(h)
    expect(messages).toHaveLength(1)
    expect(messages[0]).toMatchObject({ id, chatId: CHAT, fromMe: false, body: 'Hello', type: 'text' })
    // Our own message sent from the phone comes only as message.any, and is kept.
    await accept(envelope('message.any', { id: `true_${CHAT}_3EB0MINE`, from: ME, to: CHAT, fromMe: true, source: 'app', hasMedia: false, media: undefined }))
    expect(messagesOnBus(h).map((m) => m.id)).toEqual([id, `true_${CHAT}_3EB0MINE`])
    // The bus events carry the session and engine, for the outbox and webhooks.
    const event = h.events.find((e) => e.event.type === 'message')
    expect(event).toMatchObject({ session: PHONE, engine: 'waha', me: { id: ME } })
  })

  test("an incoming message's media is fetched from WAHA (bounded) and attached", async () => {
    await accept(statusEnvelope('WORKING'))
    const path = `/api/files/${PHONE}/false_${CHAT}_PIC.jpeg`
    h.files.set(path, JPEG)
    h.files.set(`/api/files/${PHONE}/big.jpeg`, new Uint8Array(8192))
    const withMedia = (id: string, url: string) =>
      envelope('message', {
        id,
        from: CHAT,
        to: ME,
        fromMe: false,
        body: 'a photo',
        hasMedia: true,
        // WAHA names itself by WAHA_BASE_URL (often localhost:3000): only the path is used.
        media: { url: `http://localhost:3000${url}`, mimetype: 'image/jpeg', filename: 'pic.jpeg' },
        mediaUrl: `http://localhost:3000${url}`,
        location: undefined,
        vCards: [],
      })
    await accept(withMedia(`false_${CHAT}_PIC`, path))
    await accept(withMedia(`false_${CHAT}_BIG`, `/api/files/${PHONE}/big.jpeg`))
    await accept(withMedia(`false_${CHAT}_GONE`, `/api/files/${PHONE}/gone.jpeg`))
    const events = h.events.flatMap((event) => (event.event.type === 'message' ? [event.event] : []))
    expect(events.map((event) => event.message.id)).toEqual([`false_${CHAT}_PIC`, `false_${CHAT}_BIG`, `false_${CHAT}_GONE`])
    expect(events[0]?.media).toEqual({ data: JPEG, mimeType: 'image/jpeg', filename: 'pic.jpeg' })
    expect(events[0]?.message).toMatchObject({ type: 'image', hasMedia: true, media: { mimetype: 'image/jpeg', filename: 'pic.jpeg', size: JPEG.byteLength } })
    expect(events[0]).not.toHaveProperty('wahaMediaUrl')
    // Over WAHA_MEDIA_MAX_BYTES, or gone: the message still arrives, without bytes.
    for (const event of events.slice(1)) {
      expect(event.media).toBeUndefined()
      expect(event.message.hasMedia).toBe(true)
    }
    expect(h.fileRequests.map((request) => [request.path, request.key])).toEqual([
      [path, KEY],
      [`/api/files/${PHONE}/big.jpeg`, KEY],
      [`/api/files/${PHONE}/gone.jpeg`, KEY],
    ])
  })

  test('other events pass through, in the order WAHA sent them', async () => {
    await accept(statusEnvelope('WORKING'))
    const before = h.events.length
    await accept(envelope('message.ack', { id: `true_${CHAT}_X`, from: ME, to: CHAT, fromMe: true, ack: 3, ackName: 'READ' }))
    await accept(envelope('message.reaction', { id: `false_${CHAT}_R`, from: CHAT, to: ME, fromMe: false, reaction: { text: '👍', messageId: `true_${CHAT}_X` } }))
    await accept(envelope('group.v2.join'))
    await accept(envelope('presence.update', { id: CHAT, presences: [{ participant: CHAT, lastKnownPresence: 'typing' }] }))
    await accept(envelope('call.received'))
    await accept(envelope('state.change'))
    expect(h.events.slice(before).map((event) => event.event.type)).toEqual([
      'message.ack',
      'message.reaction',
      'group.v2.join',
      'presence.update',
      'call.received',
    ])
    expect(h.events.at(-5)?.event).toEqual({ type: 'message.ack', id: `true_${CHAT}_X`, chatId: CHAT, from: ME, to: CHAT, fromMe: true, ack: 3 })
  })

  test("WAHA's label callbacks become label events", async () => {
    await accept(statusEnvelope('WORKING'))
    const before = h.events.length
    const label = { id: '3', name: 'Lead', color: 2, colorHex: '#FFD429' }
    await accept(envelope('label.upsert', label))
    await accept(envelope('label.chat.added', { labelId: '3', chatId: CHAT, label }))
    await accept(envelope('label.chat.deleted', { labelId: '3', chatId: CHAT, label: null }))
    await accept(envelope('label.deleted', label))
    const dto = { id: '3', name: 'Lead', color: 2, colorHex: '#ffd429' }
    expect(h.events.slice(before).map((event) => event.event)).toEqual([
      { type: 'label.upsert', label: dto },
      { type: 'label.chat.added', labelId: '3', chatId: CHAT, label: dto },
      { type: 'label.chat.deleted', labelId: '3', chatId: CHAT, label: null },
      { type: 'label.deleted', label: dto },
    ])
  })

  test('the seam: 404 for an unknown session, 409 when not running here, 501 for an engine without callbacks', async () => {
    const events = wahaEnvelopeToEngineEvents(statusEnvelope('WORKING'))
    await expect(h.server.deps.sessions.acceptExternalEvents('966500000077', events)).rejects.toBeInstanceOf(NotFoundError)
    await h.server.call('POST', `/${PHONE}/stop`)
    await expect(h.server.deps.sessions.acceptExternalEvents(PHONE, events)).rejects.toBeInstanceOf(ClientNotReadyError)
    await h.server.call('POST', '/966500000005/start', { body: { engine: 'simulator' } })
    const unsupported = await h.server.deps.sessions.acceptExternalEvents('966500000005', events).catch((e: unknown) => e)
    expect(unsupported).toBeInstanceOf(NotSupportedError)
    // Only a WahaSession takes them.
    await startWaha(h)
    expect(await h.server.deps.sessions.requireEngine(PHONE)).toBeInstanceOf(WahaSession)
  })
})
