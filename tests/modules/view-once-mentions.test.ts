/**
 * `viewOnce` on image, video and voice sends, and `mentions: ["all"]` in groups, through
 * HTTP: on the simulator (carried in the message and its event, on both sides), on webjs
 * (whatsapp-web.js's `isViewOnce` and `mentions` send options, on the typed fake Client)
 * and on waha, whose requests have no such fields (501, never a silent drop).
 */
import { afterEach, describe, expect, test } from 'bun:test'
import type WAWebJS from 'whatsapp-web.js'
import type { SessionEvent } from '../../src/events/bus'
import { messagePayload } from '../../src/events/envelope'
import type { MessageDTO } from '../../src/providers/engine'
import { createTestServer, waitFor, type TestServer } from '../helpers/app'
import { sampleBase64 } from '../helpers/media'
import { startWahaStandin, type WahaStandin } from '../helpers/waha-standin'
import { A, B, C, history, jid, PNG_BASE64, type Msg } from '../helpers/whatsapp'
import { FakeWhatsApp } from '../providers/webjs/fake-client'
import { linkOnFake, webjsTestServer } from '../providers/webjs/http-server'

let server: TestServer | undefined
let standin: WahaStandin | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  await standin?.close()
  if (standin) expect(standin.errors).toEqual([])
  standin = undefined
})

type ErrorBody = { error: string; code: string; details?: { field?: string } }

describe('simulator', () => {
  async function threeLinked(): Promise<{ s: TestServer; messages: (phone: string) => MessageDTO[] }> {
    const s = await createTestServer()
    server = s
    const seen: SessionEvent[] = []
    s.deps.bus.subscribe((event) => {
      seen.push(event)
    })
    for (const phone of [A, B, C]) await s.link(phone)
    return { s, messages: (phone) => seen.flatMap((event) => (event.session === phone && event.event.type === 'message' ? [event.event.message] : [])) }
  }

  test('image, video and voice sent view-once arrive view-once, and history says so on both sides', async () => {
    const { s, messages } = await threeLinked()
    const sends = [
      ['send-image', { imageUrl: PNG_BASE64, mimeType: 'image/png', caption: 'once' }],
      ['send-video', { videoUrl: sampleBase64('mp4'), mimeType: 'video/mp4' }],
      ['send-voice', { audioUrl: sampleBase64('opus'), mimeType: 'audio/ogg' }],
    ] as const
    for (const [route, body] of sends) {
      const sent = await s.call<{ messageId: string }>('POST', `/${A}/${route}`, { body: { chatId: B, viewOnce: true, ...body } })
      expect(sent.status).toBe(200)
    }
    const plain = await s.call('POST', `/${A}/send-image`, { body: { chatId: B, imageUrl: PNG_BASE64, mimeType: 'image/png', viewOnce: false } })
    expect(plain.status).toBe(200)
    await waitFor(() => messages(B).length === 4)
    expect(messages(B).map((m) => [m.type, m.viewOnce ?? false])).toEqual([['image', true], ['video', true], ['voice', true], ['image', false]])
    const mine = (await history(s, A, B)).messages as Array<Msg & { viewOnce?: boolean }>
    expect(mine.map((m) => [m.type, m.viewOnce ?? false])).toEqual([['image', false], ['voice', true], ['video', true], ['image', true]])
    await s.deps.ingest.idle()
    const theirs = (await history(s, B, A)).messages as Array<Msg & { viewOnce?: boolean }>
    expect(theirs.map((m) => m.viewOnce ?? false)).toEqual([false, true, true, true])
    // The event payload says it in WAHA's words, with the voice note's duration and waveform.
    const voice = messages(B).find((m) => m.type === 'voice')!
    const payload = messagePayload(voice, B, { publicUrl: 'http://localhost' })
    expect(payload).toMatchObject({ isViewOnce: true, duration: 1 })
    expect(payload.waveform).toHaveLength(64)
  })

  test('view-once is refused for a Status, and must be a boolean', async () => {
    const { s } = await threeLinked()
    const toStatus = await s.call<ErrorBody>('POST', `/${A}/send-image`, { body: { chatId: 'status@broadcast', imageUrl: PNG_BASE64, mimeType: 'image/png', viewOnce: true } })
    expect(toStatus.status).toBe(400)
    expect(toStatus.body.details?.field).toBe('viewOnce')
    const notBoolean = await s.call<ErrorBody>('POST', `/${A}/send-image`, { body: { chatId: B, imageUrl: PNG_BASE64, mimeType: 'image/png', viewOnce: 'yes' } })
    expect(notBoolean.status).toBe(400)
  })

  test('mentions ["all"] mention every other participant of the group, in text and in captions', async () => {
    const { s, messages } = await threeLinked()
    const group = await s.call<{ groupId: string }>('POST', `/${A}/group/create`, { body: { name: 'Everyone', participants: [B, C] } })
    expect(group.status).toBe(200)
    const groupId = group.body.groupId
    const text = await s.call('POST', `/${A}/send-text`, { body: { chatId: groupId, text: `@${B} @${C} meeting at 10`, mentions: ['all'] } })
    expect(text.status).toBe(200)
    const caption = await s.call('POST', `/${A}/send-image`, { body: { chatId: groupId, imageUrl: PNG_BASE64, mimeType: 'image/png', caption: 'the agenda, @all', mentions: ['all'] } })
    expect(caption.status).toBe(200)
    await waitFor(() => messages(C).filter((m) => m.chatId === groupId).length === 2)
    for (const message of messages(C).filter((m) => m.chatId === groupId)) expect([...(message.mentions ?? [])].sort()).toEqual([jid(B), jid(C)])
    const stored = (await history(s, A, groupId)).messages.filter((m) => m.type !== 'unknown')
    expect(stored.slice(0, 2).map((m) => [...(m.mentions ?? [])].sort())).toEqual([
      [jid(B), jid(C)],
      [jid(B), jid(C)],
    ])
    // "all" beside explicit ids: one list, no repeats.
    const mixed = await s.call('POST', `/${A}/send-text`, { body: { chatId: groupId, text: 'hi', mentions: ['all', `+${B}`] } })
    expect(mixed.status).toBe(200)
    await waitFor(() => messages(B).filter((m) => m.chatId === groupId && m.body === 'hi').length === 1)
    expect([...(messages(B).find((m) => m.body === 'hi')!.mentions ?? [])].sort()).toEqual([jid(B), jid(C)])
  })

  test('mentions ["all"] outside a group, or mentions without a caption, are a 400', async () => {
    const { s } = await threeLinked()
    const direct = await s.call<ErrorBody>('POST', `/${A}/send-text`, { body: { chatId: B, text: 'hi', mentions: ['all'] } })
    expect(direct.status).toBe(400)
    expect(direct.body.details?.field).toBe('mentions')
    expect(direct.body.error).toContain('not a group')
    const noCaption = await s.call<ErrorBody>('POST', `/${A}/send-image`, { body: { chatId: B, imageUrl: PNG_BASE64, mimeType: 'image/png', mentions: [B] } })
    expect(noCaption.status).toBe(400)
    expect(noCaption.body.details?.field).toBe('mentions')
    const toStatus = await s.call<ErrorBody>('POST', `/${A}/send-text`, { body: { chatId: 'status@broadcast', text: 'hi', mentions: [B] } })
    expect(toStatus.status).toBe(400)
    expect(toStatus.body.error).toBe('A Status post takes no mentions')
    const badId = await s.call<ErrorBody>('POST', `/${A}/send-text`, { body: { chatId: B, text: 'hi', mentions: ['everyone'] } })
    expect(badId.status).toBe(400)
    const unknownGroup = await s.call<ErrorBody>('POST', `/${A}/send-text`, { body: { chatId: '120363999999999999@g.us', text: 'hi', mentions: ['all'] } })
    expect(unknownGroup.status).toBe(404)
  })
})

describe('webjs (typed fake Client)', () => {
  const PHONE = '15550001111'
  const PEER = '15550002222@c.us'

  async function linkedWebjs(world: FakeWhatsApp): Promise<TestServer> {
    server = await webjsTestServer(world)
    await linkOnFake(server, world, PHONE)
    return server
  }

  test('viewOnce becomes isViewOnce, caption mentions become mentions, "all" the group\'s participants', async () => {
    const world = new FakeWhatsApp()
    const s = await linkedWebjs(world)
    const state = await s.call<{ capabilities: string[] }>('GET', `/${PHONE}/state`)
    expect(state.body.capabilities).toContain('send.viewOnce')
    const options = () => world.callsOf('sendMessage').at(-1)![2] as WAWebJS.MessageSendOptions
    const image = await s.call<{ messageId: string }>('POST', `/${PHONE}/send-image`, { body: { chatId: PEER, imageUrl: PNG_BASE64, mimeType: 'image/png', viewOnce: true } })
    expect(image.status).toBe(200)
    expect(options().isViewOnce).toBe(true)
    // Read back from WhatsApp Web's raw message model.
    const stored = (await history(s, PHONE, PEER)).messages.find((m) => m.id === image.body.messageId) as Msg & { viewOnce?: boolean }
    expect(stored.viewOnce).toBe(true)
    expect((await s.call('POST', `/${PHONE}/send-video`, { body: { chatId: PEER, videoUrl: sampleBase64('mp4'), mimeType: 'video/mp4', viewOnce: true } })).status).toBe(200)
    expect(options().isViewOnce).toBe(true)
    expect((await s.call('POST', `/${PHONE}/send-voice`, { body: { chatId: PEER, audioUrl: sampleBase64('mp3'), mimeType: 'audio/mpeg', viewOnce: true } })).status).toBe(200)
    expect(options()).toMatchObject({ isViewOnce: true, sendAudioAsVoice: true })
    const voice = world.callsOf('sendMessage').at(-1)![1] as WAWebJS.MessageMedia
    // The note whatsapp-web.js received is the converted OGG/Opus.
    expect(voice.mimetype).toStartWith('audio/ogg')
    expect(Buffer.from(voice.data, 'base64').subarray(0, 4).toString('latin1')).toBe('OggS')
    expect((await s.call('POST', `/${PHONE}/send-image`, { body: { chatId: PEER, imageUrl: PNG_BASE64, mimeType: 'image/png' } })).status).toBe(200)
    expect(options().isViewOnce).toBeUndefined()

    const group = await s.call<{ groupId: string }>('POST', `/${PHONE}/group/create`, { body: { name: 'Team', participants: ['15550002222', '15550003333'] } })
    expect(group.status).toBe(200)
    const sent = await s.call('POST', `/${PHONE}/send-image`, { body: { chatId: group.body.groupId, imageUrl: PNG_BASE64, mimeType: 'image/png', caption: 'hi all', mentions: ['all'] } })
    expect(sent.status).toBe(200)
    expect([...(options().mentions as string[])].sort()).toEqual(['15550002222@c.us', '15550003333@c.us'])
  })
})

describe('waha (stand-in): no view-once or mention fields in its document', () => {
  const PHONE = '966500000001'
  const KEY = 'waha-test-key-0123456789'

  test('viewOnce and caption mentions are 501 NOT_SUPPORTED, and nothing is sent', async () => {
    standin = startWahaStandin({ apiKey: KEY })
    const s = await createTestServer({ WAHA_URL: standin.url, WAHA_API_KEY: KEY, WAHA_POLL_MS: '20', WAHA_TIMEOUT_MS: '5000' })
    server = s
    expect((await s.call('POST', `/${PHONE}/start`, { body: { engine: 'waha' } })).status).toBe(200)
    standin.sessions.get(PHONE)!.status = 'WORKING'
    await waitFor(async () => (await s.call<{ status: string }>('GET', `/${PHONE}/state`)).body.status === 'WORKING')
    const state = await s.call<{ capabilities: string[] }>('GET', `/${PHONE}/state`)
    expect(state.body.capabilities).not.toContain('send.viewOnce')
    const viewOnce = await s.call<ErrorBody>('POST', `/${PHONE}/send-image`, { body: { chatId: B, imageUrl: PNG_BASE64, mimeType: 'image/png', viewOnce: true } })
    expect(viewOnce.status).toBe(501)
    expect(viewOnce.body.code).toBe('NOT_SUPPORTED')
    expect(viewOnce.body.error).toContain('send.viewOnce')
    const mentions = await s.call<ErrorBody>('POST', `/${PHONE}/send-image`, { body: { chatId: B, imageUrl: PNG_BASE64, mimeType: 'image/png', caption: 'hi', mentions: [C] } })
    expect(mentions.status).toBe(501)
    expect(standin.calls.filter((call) => call.operationId === 'ChattingController_sendImage')).toEqual([])
    // The same image without them goes through WAHA.
    expect((await s.call('POST', `/${PHONE}/send-image`, { body: { chatId: B, imageUrl: PNG_BASE64, mimeType: 'image/png' } })).status).toBe(200)
  })
})
