/**
 * The engine contract: the behaviour every engine owes the routes, run against the
 * simulator and against the webjs engine wired to the typed fake whatsapp-web.js Client;
 * the capability check also against the waha engine on its stand-in.
 * Engine-specific mappings live in tests/providers/webjs/*.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { AppError, ClientNotReadyError, NoLinkPendingError, NotFoundError, NotSupportedError } from '../../src/errors'
import { CAPABILITIES, CAPABILITY_METHODS, servesCapability, type Capability, type EngineEvent, type EngineSession } from '../../src/providers/engine'
import { simulatorHarness, until, webjsHarness, type EngineHarness, type SessionHandle } from './harness'
import { silentLogger } from '../../src/lib/logger'
import { createWahaFactory, WahaClient } from '../../src/providers/waha'
import { tempDir } from '../helpers/app'
import { startWahaStandin } from '../helpers/waha-standin'

const PHONE = '15550001111'
const PEER = '15550002222'
const OTHER = '15550009999'

function statuses(events: EngineEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'session.status' ? [e.status] : []))
}

function messages(events: EngineEvent[]) {
  return events.flatMap((e) => (e.type === 'message' ? [e.message] : []))
}

async function waitStatus(handle: SessionHandle, status: string): Promise<void> {
  await until(() => handle.engine.snapshot().status === status, `status ${status} (now ${handle.engine.snapshot().status})`)
}

async function linked(harness: EngineHarness, phone = PHONE): Promise<SessionHandle> {
  const handle = harness.open(phone)
  await handle.engine.start()
  await waitStatus(handle, 'SCAN_QR_CODE')
  await handle.scan({ pushName: 'Support desk' })
  await waitStatus(handle, 'WORKING')
  return handle
}

async function errorOf(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work()
  } catch (error) {
    return error
  }
  return undefined
}

const TINY_PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/**
 * The call for a capability, made on exactly the member CAPABILITY_METHODS names (the table
 * the session manager's 501 check uses): a proxy refuses any other member.
 */
function callThroughTable(capability: Capability, engine: EngineSession, chatId: string): (() => Promise<unknown>) | undefined {
  const allowed = CAPABILITY_METHODS[capability]
  const guarded = new Proxy(engine, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      if (typeof value === 'function' && property !== allowed && property !== 'constructor') {
        throw new Error(`${capability} is served by ${allowed} in CAPABILITY_METHODS, but its call uses ${String(property)}`)
      }
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return callFor(capability, guarded, chatId)
}

/** One call per capability, as the route for it would make it. */
function callFor(capability: Capability, engine: EngineSession, chatId: string): (() => Promise<unknown>) | undefined {
  const media = { data: TINY_PNG, mimeType: 'image/png', filename: 'p.png' }
  const msgId = `false_${chatId}_3EB0000000000000`
  switch (capability) {
    case 'session.qr':
    case 'sandbox':
      return undefined
    case 'session.pairingCode':
      return () => engine.requestPairingCode(PHONE)
    case 'send.text':
      return () => engine.send({ chatId, content: { type: 'text', text: 'hi' } })
    case 'send.image':
      return () => engine.send({ chatId, content: { type: 'image', media } })
    case 'send.file':
      return () => engine.send({ chatId, content: { type: 'file', media } })
    case 'send.video':
      return () => engine.send({ chatId, content: { type: 'video', media: { ...media, mimeType: 'video/mp4' } } })
    case 'send.voice':
      return () => engine.send({ chatId, content: { type: 'voice', media: { ...media, mimeType: 'audio/ogg' } } })
    case 'send.audio':
      return () => engine.send({ chatId, content: { type: 'audio', media: { ...media, mimeType: 'audio/mpeg' } } })
    case 'send.sticker':
      return () => engine.send({ chatId, content: { type: 'sticker', media: { ...media, mimeType: 'image/webp' } } })
    case 'send.location':
      return () => engine.send({ chatId, content: { type: 'location', latitude: 1, longitude: 2 } })
    case 'send.contact':
      return () => engine.send({ chatId, content: { type: 'contact', vcards: ['BEGIN:VCARD\nVERSION:3.0\nFN:A\nEND:VCARD'] } })
    case 'send.poll':
      return () => engine.send({ chatId, content: { type: 'poll', name: 'Q', options: ['a', 'b'], multipleAnswers: false } })
    case 'message.react':
      return () => engine.react(msgId, '👍')
    case 'message.edit':
      return () => engine.editMessage(msgId, 'x')
    case 'message.delete':
      return () => engine.deleteMessage(msgId, true)
    case 'message.forward':
      return () => engine.forwardMessage(msgId, chatId)
    case 'chat.seen':
      return () => engine.markSeen(chatId)
    case 'chat.presence':
      return () => engine.setPresence(chatId, 'typing')
    case 'status.post':
      return () => engine.postStatus({ type: 'text', text: 'hello' })
    case 'chats.list':
      return () => engine.listChats({ page: 1, limit: 10 })
    case 'chats.get':
      return () => engine.getChat(chatId)
    case 'messages.history':
      return () => engine.getMessages(chatId, { limit: 10 })
    case 'messages.media':
      return () => engine.downloadMedia(msgId)
    case 'contacts.list':
      return () => engine.listContacts()
    case 'contacts.get':
      return () => engine.getContact(chatId)
    case 'contacts.profilePicture':
      return () => engine.getProfilePictureUrl(chatId)
    case 'contacts.exists':
      return () => engine.checkNumber(PEER)
    case 'contacts.block':
      return () => engine.setBlocked(chatId, true)
    case 'groups.list':
      return () => engine.listGroups()
    case 'groups.create':
      return () => engine.createGroup('G', [chatId])
    case 'groups.get':
      return () => engine.getGroup('120363000000000000@g.us')
    case 'groups.update':
      return () => engine.updateGroup('120363000000000000@g.us', { subject: 'x' })
    case 'groups.leave':
      return () => engine.leaveGroup('120363000000000000@g.us')
    case 'groups.participants':
      return () => engine.updateParticipants('120363000000000000@g.us', 'add', [chatId])
    case 'groups.inviteLink':
      return () => engine.getInviteLink('120363000000000000@g.us')
    case 'groups.picture':
      return () => engine.setGroupPicture('120363000000000000@g.us', media)
    case 'profile.get':
      return () => engine.getProfile()
    case 'profile.name':
      return () => engine.setProfileName('n')
    case 'profile.status':
      return () => engine.setProfileStatus('s')
    case 'profile.picture':
      return () => engine.setProfilePicture(media)
    case 'chats.archive':
      return () => engine.archiveChat(chatId, true)
    case 'chats.pin':
      return () => engine.pinChat(chatId, true)
    case 'chats.unread':
      return () => engine.markUnread(chatId)
    case 'chats.mute':
      return () => engine.muteChat(chatId)
    case 'chats.clear':
      return () => engine.clearChat(chatId)
    case 'chats.delete':
      return () => engine.deleteChat(chatId)
    case 'message.star':
      return () => engine.starMessage(msgId, true)
    case 'message.pin':
      return () => engine.pinMessage(msgId, 86400)
    case 'poll.vote':
      return () => engine.votePoll(msgId, ['a'])
    case 'poll.votes':
      return () => engine.getPollVotes(msgId)
    // Issue 13 part B: labels, calls, channels.
    case 'labels.list':
      return () => engine.getLabels()
    case 'labels.manage':
      return () => engine.saveLabel({ name: 'Contract', color: 1 })
    case 'labels.chats':
      return () => engine.getLabelChats('1')
    case 'labels.assign':
      return () => engine.setChatLabels(chatId, ['1'])
    case 'calls.reject':
      return () => engine.rejectCall('ABCDEF0123456789')
    case 'channels.list':
      return () => engine.listChannels()
    case 'channels.get':
      return () => engine.getChannel('120363000000000009@newsletter')
    case 'channels.create':
      return () => engine.createChannel('Contract')
    case 'channels.delete':
      return () => engine.deleteChannel('120363000000000009@newsletter')
    case 'channels.follow':
      return () => engine.followChannel('120363000000000009@newsletter', true)
    case 'channels.mute':
      return () => engine.muteChannel('120363000000000009@newsletter', true)
    case 'groups.join':
      return () => engine.joinGroup('AbCdEfGhIjKlMnOpQrStUv')
    case 'groups.inviteInfo':
      return () => engine.getInviteInfo('AbCdEfGhIjKlMnOpQrStUv')
    case 'groups.inviteRevoke':
      return () => engine.revokeInviteLink('120363000000000000@g.us')
    case 'groups.pictureDelete':
      return () => engine.deleteGroupPicture('120363000000000000@g.us')
    case 'groups.requests':
      return () => engine.listMembershipRequests('120363000000000000@g.us')
    case 'groups.requestsReview':
      return () => engine.reviewMembershipRequests('120363000000000000@g.us', [chatId], true)
    case 'contacts.about':
      return () => engine.getContactAbout(chatId)
    case 'contacts.save':
      return () => engine.saveContact(chatId, { firstName: 'Sara' })
    case 'presence.set':
      return () => engine.setOwnPresence('online')
    case 'profile.pictureDelete':
      return () => engine.deleteProfilePicture()
    case 'status.delete':
      return () => engine.deleteStatus('true_status@broadcast_3EB0000000000000')
    case 'status.voice':
      return () => engine.postStatus({ type: 'voice', media: { ...media, mimeType: 'audio/ogg; codecs=opus' } })
  }
}

const ENGINES: Array<[string, () => EngineHarness]> = [
  ['simulator', simulatorHarness],
  ['webjs (fake whatsapp-web.js Client)', () => webjsHarness()],
]

for (const [engine, make] of ENGINES) {
  describe(`engine contract: ${engine}`, () => {
    let harness: EngineHarness
    beforeEach(() => {
      harness = make()
    })
    afterEach(async () => {
      await harness.close()
    })

    test('start reports STARTING, then SCAN_QR_CODE with the QR as an event and in the snapshot', async () => {
      const handle = harness.open(PHONE)
      expect(handle.engine.snapshot().status).toBe('STOPPED')
      await handle.engine.start()
      await waitStatus(handle, 'SCAN_QR_CODE')
      const qr = handle.events.find((e) => e.type === 'qr')
      expect(qr?.type === 'qr' && qr.value).toBe(handle.engine.snapshot().qr!)
      expect(handle.engine.snapshot().qr).toStartWith('2@')
      expect(statuses(handle.events).slice(0, 2)).toEqual(['STARTING', 'SCAN_QR_CODE'])
      await handle.engine.stop()
    })

    test('the scan links the session: WORKING with me, no QR pending', async () => {
      const handle = await linked(harness)
      const snapshot = handle.engine.snapshot()
      expect(snapshot).toMatchObject({ status: 'WORKING', me: { id: `${PHONE}@c.us`, pushName: 'Support desk' } })
      expect(snapshot.qr).toBeUndefined()
      const working = handle.events.findLast((e) => e.type === 'session.status')
      expect(working).toMatchObject({ type: 'session.status', status: 'WORKING', me: { id: `${PHONE}@c.us` } })
      await handle.engine.stop()
    })

    test('a pairing code while the QR is pending, in the XXXX-XXXX form; none once linked', async () => {
      const handle = harness.open(PHONE)
      await handle.engine.start()
      await waitStatus(handle, 'SCAN_QR_CODE')
      expect(await handle.engine.requestPairingCode(PHONE)).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/)
      await handle.scan()
      await waitStatus(handle, 'WORKING')
      expect(await errorOf(() => handle.engine.requestPairingCode(PHONE))).toBeInstanceOf(NoLinkPendingError)
      await handle.engine.stop()
    })

    test('stop keeps the pairing: the next start (a new instance, as after a restart) needs no QR', async () => {
      const first = await linked(harness)
      await first.engine.stop()
      expect(first.engine.snapshot().status).toBe('STOPPED')
      const second = first.again()
      await second.engine.start()
      await waitStatus(second, 'WORKING')
      expect(second.events.some((e) => e.type === 'qr')).toBe(false)
      expect(second.engine.snapshot().me?.id).toBe(`${PHONE}@c.us`)
      await second.engine.stop()
    })

    test('logout wipes the pairing: the next start shows a QR again', async () => {
      const first = await linked(harness)
      await first.engine.logout()
      expect(first.engine.snapshot().status).toBe('STOPPED')
      expect(first.engine.snapshot().me).toBeUndefined()
      const second = first.again()
      await second.engine.start()
      await waitStatus(second, 'SCAN_QR_CODE')
      await second.engine.stop()
    })

    test('linked by the phone of another number → CONFLICT, explained, and the link is not kept', async () => {
      const handle = harness.open(PHONE)
      await handle.engine.start()
      await waitStatus(handle, 'SCAN_QR_CODE')
      await handle.scan({ phone: OTHER })
      await waitStatus(handle, 'CONFLICT')
      const reason = handle.engine.snapshot().reason!
      expect(reason).toContain(OTHER)
      expect(reason).toContain(PHONE)
      expect(await errorOf(() => handle.engine.send({ chatId: `${PEER}@c.us`, content: { type: 'text', text: 'x' } }))).toBeInstanceOf(AppError)
      await handle.engine.stop()
      const again = handle.again()
      await again.engine.start()
      await waitStatus(again, 'SCAN_QR_CODE')
      await again.engine.stop()
    })

    test('operations need WORKING: 409 CLIENT_NOT_READY before the scan', async () => {
      const handle = harness.open(PHONE)
      await handle.engine.start()
      await waitStatus(handle, 'SCAN_QR_CODE')
      const error = await errorOf(() => handle.engine.send({ chatId: `${PEER}@c.us`, content: { type: 'text', text: 'x' } }))
      expect(error).toBeInstanceOf(ClientNotReadyError)
      expect((error as AppError).statusCode).toBe(409)
      await handle.engine.stop()
    })

    test('send text with a quote and mentions: the DTO, and a `message` event with the same id', async () => {
      const handle = await linked(harness)
      await handle.incoming(PEER, 'question?')
      await until(() => messages(handle.events).length === 1, 'the incoming message')
      const incoming = messages(handle.events)[0]!
      expect(incoming).toMatchObject({ fromMe: false, chatId: `${PEER}@c.us`, from: `${PEER}@c.us`, body: 'question?', type: 'text', hasMedia: false })

      const sent = await handle.engine.send({
        chatId: `${PEER}@c.us`,
        content: { type: 'text', text: 'answer', mentions: [`${PEER}@c.us`] },
        quotedMsgId: incoming.id,
      })
      expect(sent).toMatchObject({ fromMe: true, chatId: `${PEER}@c.us`, to: `${PEER}@c.us`, from: `${PHONE}@c.us`, body: 'answer', type: 'text', replyTo: incoming.id })
      expect(sent.mentions).toEqual([`${PEER}@c.us`])
      expect(typeof sent.timestamp).toBe('number')
      await until(() => messages(handle.events).some((m) => m.id === sent.id), 'the sent message event')
      await handle.engine.stop()
    })

    test('history: newest first, `before` as the cursor, 404 for an unknown cursor', async () => {
      const handle = await linked(harness)
      for (const text of ['one', 'two', 'three']) await handle.incoming(PEER, text)
      await until(() => messages(handle.events).length === 3, 'three messages')
      const chatId = `${PEER}@c.us`
      const page1 = await handle.engine.getMessages(chatId, { limit: 2 })
      expect(page1.messages.map((m) => m.body)).toEqual(['three', 'two'])
      expect(page1.hasMore).toBe(true)
      const page2 = await handle.engine.getMessages(chatId, { limit: 2, before: page1.messages[1]!.id })
      expect(page2.messages.map((m) => m.body)).toEqual(['one'])
      expect(page2.hasMore).toBe(false)
      expect(await errorOf(() => handle.engine.getMessages(chatId, { limit: 2, before: `false_${chatId}_3EB0NOTTHERE` }))).toBeInstanceOf(NotFoundError)
      await handle.engine.stop()
    })

    test('chats: listed with their last message, one by id, and marked seen', async () => {
      const handle = await linked(harness)
      await handle.incoming(PEER, 'unread')
      await until(() => messages(handle.events).length === 1, 'the message')
      const chatId = `${PEER}@c.us`
      const list = await handle.engine.listChats({ page: 1, limit: 10 })
      expect(list.total).toBe(1)
      expect(list.items[0]).toMatchObject({ id: chatId, isGroup: false, unreadCount: 1, lastMessage: { body: 'unread', fromMe: false } })
      await handle.engine.markSeen(chatId)
      expect((await handle.engine.getChat(chatId)).unreadCount).toBe(0)
      expect(await errorOf(() => handle.engine.getChat(`${OTHER}@c.us`))).toBeInstanceOf(NotFoundError)
      await handle.engine.stop()
    })

    test('capabilities are honest: undeclared ones answer NOT_SUPPORTED, declared ones are implemented', async () => {
      const handle = await linked(harness)
      await handle.incoming(PEER, 'hello')
      await until(() => messages(handle.events).length === 1, 'the message')
      const chatId = `${PEER}@c.us`
      for (const capability of CAPABILITIES) {
        // Declared means served: the member the manager's check relies on is the engine's own.
        expect({ capability, served: servesCapability(handle.engine, capability) }).toEqual({ capability, served: handle.engine.capabilities.has(capability) })
        const call = callThroughTable(capability, handle.engine, chatId)
        if (!call) continue
        const error = await errorOf(call)
        if (handle.engine.capabilities.has(capability)) {
          expect({ capability, notSupported: error instanceof NotSupportedError }).toEqual({ capability, notSupported: false })
        } else {
          expect({ capability, notSupported: error instanceof NotSupportedError }).toEqual({ capability, notSupported: true })
        }
      }
      await handle.engine.stop()
    })

    test('stop is idempotent and leaves STOPPED', async () => {
      const handle = await linked(harness)
      await handle.engine.stop()
      expect(await errorOf(() => handle.engine.stop())).toBeUndefined()
      expect(handle.engine.snapshot().status).toBe('STOPPED')
    })
  })
}

describe('engine contract: waha (on the WAHA stand-in, which checks every request against WAHA\'s OpenAPI document)', () => {
  test('capabilities are honest: undeclared ones answer NOT_SUPPORTED, declared ones are implemented', async () => {
    const phone = '966500000001' // the stand-in's linked account
    const key = 'waha-contract-key-0123456789'
    const standin = startWahaStandin({ apiKey: key })
    const events: EngineEvent[] = []
    const factory = createWahaFactory({
      client: new WahaClient({ baseUrl: standin.url, apiKey: key, timeoutMs: 5000 }),
      callbackBaseUrl: 'http://127.0.0.1:9/api/whatsapp',
      callbackApiKey: key,
      pollMs: 20,
      mediaMaxBytes: 1024 * 1024,
      logger: silentLogger,
    })
    const engine = factory.create({
      phoneNumber: phone,
      dataDir: tempDir(),
      authState: { load: async () => undefined, save: async () => {}, clear: async () => {} },
      emit: (event) => events.push(event),
    })
    try {
      await engine.start()
      await until(() => standin.sessions.has(phone), 'the WAHA session')
      standin.sessions.get(phone)!.status = 'WORKING'
      await until(() => engine.snapshot().status === 'WORKING', 'WORKING')
      const chatId = `${PEER}@c.us`
      for (const capability of CAPABILITIES) {
        expect({ capability, served: servesCapability(engine, capability) }).toEqual({ capability, served: engine.capabilities.has(capability) })
        const call = callThroughTable(capability, engine, chatId)
        if (!call) continue
        const error = await errorOf(call)
        expect({ capability, notSupported: error instanceof NotSupportedError }).toEqual({ capability, notSupported: !engine.capabilities.has(capability) })
      }
      expect(standin.errors).toEqual([])
    } finally {
      await engine.stop()
      await standin.close()
    }
  })
})
