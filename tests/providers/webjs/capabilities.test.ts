/**
 * Each webjs capability against the typed fake Client: which whatsapp-web.js call it
 * makes (with which arguments and classes) and how the answer maps back; plus the
 * events whatsapp-web.js emits, as the engine's typed EngineEvents.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import type WAWebJS from 'whatsapp-web.js'
import { Location, MessageMedia, Poll } from 'whatsapp-web.js'
import { AppError, BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../../../src/errors'
import type { MessageDTO, EngineEvent, EngineSession } from '../../../src/providers/engine'
import { until, webjsHarness, type SessionHandle, type WebjsHarness } from '../harness'
import type { FakeClient, FakeWhatsApp } from './fake-client'

const PHONE = '15550001111'
const PEER = '15550002222'
const PEER_JID = `${PEER}@c.us`
const BYTES = new Uint8Array(Array.from({ length: 300 }, (_, i) => (i * 31 + 7) % 256))

let harness: WebjsHarness
let handle: SessionHandle
let engine: EngineSession
let world: FakeWhatsApp
let client: FakeClient

beforeAll(async () => {
  harness = webjsHarness({ eagerMediaMaxBytes: 1000 })
  handle = harness.open(PHONE)
  world = harness.world
  engine = handle.engine
  await engine.start()
  await until(() => engine.snapshot().status === 'SCAN_QR_CODE', 'the QR')
  world.scan(PHONE, 'Support desk')
  await until(() => engine.snapshot().status === 'WORKING', 'WORKING')
  client = world.current
})
afterAll(async () => {
  await engine.stop()
  await harness.close()
})
beforeEach(() => {
  world.calls.length = 0
  world.behaviour.notAdmin = false
})

function lastSend(): { chatId: string; content: unknown; options: WAWebJS.MessageSendOptions } {
  const [chatId, content, options] = world.callsOf('sendMessage').at(-1)!
  return { chatId: chatId as string, content, options: options as WAWebJS.MessageSendOptions }
}

async function errorOf(work: () => Promise<unknown>): Promise<unknown> {
  return work().then(
    () => undefined,
    (error: unknown) => error,
  )
}

function eventsSince(count: number): EngineEvent[] {
  return handle.events.slice(count)
}

async function incomingText(body: string): Promise<MessageDTO> {
  const before = handle.events.length
  world.incoming({ from: PEER, body })
  await until(() => eventsSince(before).some((e) => e.type === 'message'), 'the message event')
  const event = eventsSince(before).find((e) => e.type === 'message')
  if (event?.type !== 'message') throw new Error('no message')
  return event.message
}

describe('sending: every content type maps onto sendMessage', () => {
  test('text: linkPreview off on request, no implicit "seen"', async () => {
    const sent = await engine.send({ chatId: PEER_JID, content: { type: 'text', text: 'see https://example.org', linkPreview: false } })
    const call = lastSend()
    expect(call.chatId).toBe(PEER_JID)
    expect(call.content).toBe('see https://example.org')
    expect(call.options).toMatchObject({ linkPreview: false, sendSeen: false })
    expect(sent).toMatchObject({ type: 'text', body: 'see https://example.org', fromMe: true })
  })

  test('image: a MessageMedia built from our bytes (never fromUrl), with its caption', async () => {
    const sent = await engine.send({ chatId: PEER_JID, content: { type: 'image', media: { data: BYTES, mimeType: 'image/jpeg', filename: 'a.jpg' }, caption: 'look' } })
    const { content, options } = lastSend()
    expect(content).toBeInstanceOf(MessageMedia)
    const media = content as WAWebJS.MessageMedia
    expect(media.mimetype).toBe('image/jpeg')
    expect(media.filename).toBe('a.jpg')
    expect(media.filesize).toBe(BYTES.byteLength)
    expect(new Uint8Array(Buffer.from(media.data, 'base64'))).toEqual(BYTES)
    expect(options.caption).toBe('look')
    expect(sent).toMatchObject({ type: 'image', hasMedia: true, body: 'look', media: { mimetype: 'image/jpeg', filename: 'a.jpg', size: BYTES.byteLength } })
  })

  test('file as a document, voice as push-to-talk, audio as plain audio, video with caption', async () => {
    await engine.send({ chatId: PEER_JID, content: { type: 'file', media: { data: BYTES, mimeType: 'application/pdf', filename: 'r.pdf' }, caption: 'report' } })
    expect(lastSend().options).toMatchObject({ sendMediaAsDocument: true, caption: 'report' })
    const voice = await engine.send({ chatId: PEER_JID, content: { type: 'voice', media: { data: BYTES, mimeType: 'audio/ogg; codecs=opus' } } })
    expect(lastSend().options.sendAudioAsVoice).toBe(true)
    expect(voice.type).toBe('voice')
    await engine.send({ chatId: PEER_JID, content: { type: 'audio', media: { data: BYTES, mimeType: 'audio/mpeg' } } })
    expect(lastSend().options.sendAudioAsVoice).toBeUndefined()
    expect(lastSend().options.sendMediaAsDocument).toBeUndefined()
    await engine.send({ chatId: PEER_JID, content: { type: 'video', media: { data: BYTES, mimeType: 'video/mp4' }, caption: 'clip' } })
    expect(lastSend().options.caption).toBe('clip')
  })

  test('sticker: sent as a sticker; only images can be stickers', async () => {
    const sticker = await engine.send({ chatId: PEER_JID, content: { type: 'sticker', media: { data: BYTES, mimeType: 'image/webp' } } })
    expect(lastSend().options.sendMediaAsSticker).toBe(true)
    expect(sticker.type).toBe('sticker')
    const error = await errorOf(() => engine.send({ chatId: PEER_JID, content: { type: 'sticker', media: { data: BYTES, mimeType: 'video/mp4' } } }))
    expect(error).toBeInstanceOf(BadRequestError)
  })

  test('location: a whatsapp-web.js Location with name and address', async () => {
    const sent = await engine.send({ chatId: PEER_JID, content: { type: 'location', latitude: 24.7136, longitude: 46.6753, name: 'Office', address: 'Riyadh' } })
    const location = lastSend().content as WAWebJS.Location
    expect(location).toBeInstanceOf(Location)
    expect(location).toMatchObject({ latitude: 24.7136, longitude: 46.6753, name: 'Office', address: 'Riyadh' })
    expect(sent).toMatchObject({ type: 'location', location: { latitude: 24.7136, longitude: 46.6753, name: 'Office', address: 'Riyadh' } })
  })

  test('poll: a whatsapp-web.js Poll with its options and answer mode', async () => {
    const sent = await engine.send({ chatId: PEER_JID, content: { type: 'poll', name: 'Lunch?', options: ['Pizza', 'Sushi'], multipleAnswers: true } })
    const poll = lastSend().content as WAWebJS.Poll
    expect(poll).toBeInstanceOf(Poll)
    expect(poll.pollName).toBe('Lunch?')
    expect(poll.pollOptions.map((o) => o.name)).toEqual(['Pizza', 'Sushi'])
    expect(poll.options.allowMultipleAnswers).toBe(true)
    expect(sent).toMatchObject({ type: 'poll', poll: { name: 'Lunch?', options: ['Pizza', 'Sushi'], multipleAnswers: true } })
  })

  test('contact: each vCard parsed by WhatsApp Web as its own message; anything else is a 400', async () => {
    const alice = 'BEGIN:VCARD\nVERSION:3.0\nFN:Alice\nTEL;type=CELL;waid=15550003333:+15550003333\nEND:VCARD'
    const bob = 'BEGIN:VCARD\nVERSION:3.0\nFN:Bob\nTEL;type=CELL;waid=15550004444:+15550004444\nEND:VCARD'
    const sent = await engine.send({ chatId: PEER_JID, content: { type: 'contact', vcards: [alice, bob] } })
    const calls = world.callsOf('sendMessage')
    expect(calls.map(([, content]) => content)).toEqual([alice, bob])
    expect(calls.every(([, , options]) => (options as WAWebJS.MessageSendOptions).parseVCards === true)).toBe(true)
    expect(sent).toMatchObject({ type: 'contact', vcards: [alice] })
    expect(await errorOf(() => engine.send({ chatId: PEER_JID, content: { type: 'contact', vcards: ['Alice, +1555'] } }))).toBeInstanceOf(BadRequestError)
  })

  test('a chat WhatsApp Web cannot open is a 404', async () => {
    expect(await errorOf(() => engine.send({ chatId: 'not-a-chat', content: { type: 'text', text: 'x' } }))).toBeInstanceOf(NotFoundError)
  })
})

describe('acting on messages', () => {
  test('react, delete for everyone, and edit of an own message', async () => {
    const own = await engine.send({ chatId: PEER_JID, content: { type: 'text', text: 'typo' } })
    await engine.react(own.id, '👍')
    expect(world.callsOf('react')).toEqual([[own.id, '👍']])
    await engine.editMessage(own.id, 'fixed')
    expect(world.callsOf('edit')[0]?.slice(0, 2)).toEqual([own.id, 'fixed'])
    await engine.deleteMessage(own.id, true)
    expect(world.callsOf('delete')[0]?.slice(0, 2)).toEqual([own.id, true])
  })

  test('editing someone else’s message, or one WhatsApp will not edit, is a 409', async () => {
    const theirs = await incomingText('not yours')
    expect(await errorOf(() => engine.editMessage(theirs.id, 'x'))).toBeInstanceOf(ConflictError)
    const image = await engine.send({ chatId: PEER_JID, content: { type: 'image', media: { data: BYTES, mimeType: 'image/png' } } })
    expect(await errorOf(() => engine.editMessage(image.id, 'x'))).toBeInstanceOf(ConflictError)
  })

  test('unknown message ids are 404, malformed ones 400', async () => {
    expect(await errorOf(() => engine.react(`true_${PEER_JID}_3EB0NOPE`, '👍'))).toBeInstanceOf(NotFoundError)
    expect(await errorOf(() => engine.deleteMessage('nonsense', false))).toBeInstanceOf(BadRequestError)
  })

  test('forward answers with the copy in the target chat', async () => {
    const original = await incomingText('pass it on')
    const other = '15550005555@c.us'
    world.chat(other)
    const copy = await engine.forwardMessage(original.id, other)
    expect(world.callsOf('forward')).toEqual([[original.id, other]])
    expect(copy).toMatchObject({ chatId: other, fromMe: true, body: 'pass it on', isForwarded: true })
    expect(copy.id).not.toBe(original.id)
  })

  test('seen, presence (typing, recording, paused)', async () => {
    await incomingText('mark me')
    await engine.markSeen(PEER_JID)
    expect(world.callsOf('sendSeen')).toEqual([[PEER_JID]])
    expect(await errorOf(() => engine.markSeen('15550000000@c.us'))).toBeInstanceOf(NotFoundError)
    await engine.setPresence(PEER_JID, 'typing')
    await engine.setPresence(PEER_JID, 'recording')
    await engine.setPresence(PEER_JID, 'paused')
    expect(world.calls.map((c) => c.method).filter((m) => m.startsWith('sendState') || m === 'clearState')).toEqual(['sendStateTyping', 'sendStateRecording', 'clearState'])
  })

  test('Status: text with colour and font, media with caption, to status@broadcast', async () => {
    const text = await engine.postStatus({ type: 'text', text: 'Open today', backgroundColor: '#25D366', font: 2 })
    expect(lastSend()).toMatchObject({ chatId: 'status@broadcast', content: 'Open today', options: { extra: { backgroundColor: '#25D366', fontStyle: 2 } } })
    expect(text.chatId).toBe('status@broadcast')
    await engine.postStatus({ type: 'image', media: { data: BYTES, mimeType: 'image/jpeg' }, caption: 'menu' })
    expect(lastSend().content).toBeInstanceOf(MessageMedia)
    expect(lastSend().options.caption).toBe('menu')
  })
})

describe('chats, history, media', () => {
  test('chats: newest first, paged, filtered by archived', async () => {
    world.chat('15550006666@c.us', { name: 'Archived one', archived: true })
    const all = await engine.listChats({ page: 1, limit: 100 })
    expect(all.items.map((c) => c.timestamp)).toEqual([...all.items.map((c) => c.timestamp)].sort((a, b) => b - a))
    const archived = await engine.listChats({ page: 1, limit: 100, archived: true })
    expect(archived.items.map((c) => c.id)).toEqual(['15550006666@c.us'])
    const page2 = await engine.listChats({ page: 2, limit: 1 })
    expect(page2.items).toHaveLength(1)
    expect(page2.total).toBe(all.total)
  })

  test('history beyond what WhatsApp Web has loaded: the window grows until it reaches the cursor', async () => {
    const chatId = '15550007777@c.us'
    const chat = world.chat(chatId)
    for (let i = 0; i < 120; i++) {
      chat.messages.push({
        id: { fromMe: false, remote: chatId, id: `OLD${i}`, _serialized: `false_${chatId}_OLD${i}` },
        chatId,
        from: chatId,
        to: `${PHONE}@c.us`,
        type: 'chat',
        body: `#${i}`,
        timestamp: 1_700_000_000 + i,
        ack: 3,
      })
    }
    const page = await engine.getMessages(chatId, { limit: 10, before: `false_${chatId}_OLD30` })
    expect(page.messages.map((m) => m.body)).toEqual(['#29', '#28', '#27', '#26', '#25', '#24', '#23', '#22', '#21', '#20'])
    expect(page.hasMore).toBe(true)
    const limits = world.callsOf('fetchMessages').map(([, search]) => (search as WAWebJS.MessageSearchOptions).limit)
    expect(limits).toEqual([50, 100, 200])
    const last = await engine.getMessages(chatId, { limit: 10, before: `false_${chatId}_OLD5` })
    expect(last.messages.map((m) => m.body)).toEqual(['#4', '#3', '#2', '#1', '#0'])
    expect(last.hasMore).toBe(false)
  })

  test('media download gives the bytes; a message without media gives null', async () => {
    const sent = await engine.send({ chatId: PEER_JID, content: { type: 'file', media: { data: BYTES, mimeType: 'application/pdf', filename: 'r.pdf' } } })
    expect(await engine.downloadMedia(sent.id)).toEqual({ data: BYTES, mimeType: 'application/pdf', filename: 'r.pdf' })
    const text = await engine.send({ chatId: PEER_JID, content: { type: 'text', text: 'no media' } })
    expect(await engine.downloadMedia(text.id)).toBeNull()
  })
})

describe('contacts', () => {
  test('list (without groups), one, profile picture, exists, block and unblock', async () => {
    world.contacts.set('15550008888@c.us', { name: 'Dana', pushname: 'D', isMyContact: true, isBusiness: true, isBlocked: false, picture: 'https://pps.whatsapp.net/dana.jpg' })
    world.contacts.set('120363000000000001@g.us', { pushname: '', isMyContact: false, isBusiness: false, isBlocked: false })
    const list = await engine.listContacts()
    expect(list).toEqual([{ id: '15550008888@c.us', name: 'Dana', pushname: 'D', number: '15550008888', isMyContact: true, isBusiness: true, isBlocked: false }])
    expect(await engine.getContact('15550008888@c.us')).toEqual(list[0]!)
    expect(await engine.getProfilePictureUrl('15550008888@c.us')).toBe('https://pps.whatsapp.net/dana.jpg')
    expect(await engine.getProfilePictureUrl(PEER_JID)).toBeNull()

    world.unregistered.add('15550009999')
    expect(await engine.checkNumber('+1 555 000 8888')).toEqual({ number: '15550008888', exists: true, jid: '15550008888@c.us' })
    expect(await engine.checkNumber('15550009999')).toEqual({ number: '15550009999', exists: false, jid: null })
    expect(await errorOf(() => engine.checkNumber('12'))).toBeInstanceOf(BadRequestError)

    await engine.setBlocked('15550008888@c.us', true)
    expect((await engine.getContact('15550008888@c.us')).isBlocked).toBe(true)
    await engine.setBlocked('15550008888@c.us', false)
    expect((await engine.getContact('15550008888@c.us')).isBlocked).toBe(false)
    expect(await errorOf(() => engine.setBlocked('120363000000000001@g.us', true))).toBeInstanceOf(BadRequestError)
  })
})

describe('groups', () => {
  test('create, list, read, update, participants, invite link, picture, leave', async () => {
    const created = await engine.createGroup('Team', ['15550003333@c.us', '15550004444@c.us'])
    expect(created).toMatchObject({ subject: 'Team', owner: `${PHONE}@c.us`, description: null, messagesAdminsOnly: false, infoAdminsOnly: false })
    expect(created.participants).toEqual([
      { id: `${PHONE}@c.us`, isAdmin: true, isSuperAdmin: true },
      { id: '15550003333@c.us', isAdmin: false, isSuperAdmin: false },
      { id: '15550004444@c.us', isAdmin: false, isSuperAdmin: false },
    ])
    expect(created.id).toEndWith('@g.us')
    expect((await engine.listGroups()).map((g) => g.id)).toContain(created.id)
    expect(await engine.getGroup(created.id)).toEqual(created)
    expect(await errorOf(() => engine.getGroup(PEER_JID))).toBeInstanceOf(NotFoundError)

    const updated = await engine.updateGroup(created.id, { subject: 'Team B', description: 'Our group', messagesAdminsOnly: true, infoAdminsOnly: true })
    expect(updated).toMatchObject({ subject: 'Team B', description: 'Our group', messagesAdminsOnly: true, infoAdminsOnly: true })

    let group = await engine.updateParticipants(created.id, 'add', ['15550005555@c.us'])
    expect(group.participants.map((p) => p.id)).toContain('15550005555@c.us')
    group = await engine.updateParticipants(created.id, 'promote', ['15550005555@c.us'])
    expect(group.participants.find((p) => p.id === '15550005555@c.us')?.isAdmin).toBe(true)
    group = await engine.updateParticipants(created.id, 'demote', ['15550005555@c.us'])
    expect(group.participants.find((p) => p.id === '15550005555@c.us')?.isAdmin).toBe(false)
    group = await engine.updateParticipants(created.id, 'remove', ['15550005555@c.us'])
    expect(group.participants.map((p) => p.id)).not.toContain('15550005555@c.us')
    world.unregistered.add('15550000001')
    expect(await errorOf(() => engine.updateParticipants(created.id, 'add', ['15550000001@c.us']))).toBeInstanceOf(ConflictError)

    expect(await engine.getInviteLink(created.id)).toBe('https://chat.whatsapp.com/FakeInviteCode123')
    await engine.setGroupPicture(created.id, { data: BYTES, mimeType: 'image/jpeg' })
    expect(world.callsOf('setPicture')[0]?.[1]).toBeInstanceOf(MessageMedia)
    await engine.leaveGroup(created.id)
    expect(world.callsOf('leave')).toEqual([[created.id]])
  })

  test('what only admins may do answers 403 when WhatsApp refuses', async () => {
    const group = await engine.createGroup('Others', ['15550003333@c.us'])
    world.behaviour.notAdmin = true
    for (const work of [
      () => engine.updateGroup(group.id, { subject: 'x' }),
      () => engine.updateGroup(group.id, { messagesAdminsOnly: true }),
      () => engine.getInviteLink(group.id),
      () => engine.setGroupPicture(group.id, { data: BYTES, mimeType: 'image/png' }),
    ]) {
      expect(await errorOf(work)).toBeInstanceOf(ForbiddenError)
    }
    const refused = (await errorOf(() => engine.updateParticipants(group.id, 'promote', ['15550003333@c.us']))) as AppError
    expect(refused.statusCode).toBe(502)
  })

  test('WhatsApp refusing to create a group', async () => {
    expect(((await errorOf(() => engine.createGroup('Empty', []))) as AppError).statusCode).toBe(502)
  })
})

describe('profile', () => {
  test('read (with about and picture), name, status, picture', async () => {
    world.contacts.set(`${PHONE}@c.us`, { pushname: 'Support desk', isMyContact: false, isBusiness: false, isBlocked: false, about: 'Available', picture: 'https://pps.whatsapp.net/me.jpg' })
    expect(await engine.getProfile()).toEqual({ id: `${PHONE}@c.us`, pushname: 'Support desk', phone: PHONE, platform: 'android', status: 'Available', pictureUrl: 'https://pps.whatsapp.net/me.jpg' })
    await engine.setProfileName('Help desk')
    expect(world.callsOf('setDisplayName')).toEqual([['Help desk']])
    expect(engine.snapshot().me?.pushName).toBe('Help desk')
    await engine.setProfileStatus('Busy')
    expect(world.callsOf('setStatus')).toEqual([['Busy']])
    await engine.setProfilePicture({ data: BYTES, mimeType: 'image/jpeg' })
    expect(world.callsOf('setProfilePicture')[0]?.[0]).toBeInstanceOf(MessageMedia)
  })
})

describe('events from whatsapp-web.js', () => {
  test('incoming media arrives with its bytes; media over WEBJS_EAGER_MEDIA_MAX_BYTES without them', async () => {
    let before = handle.events.length
    world.incoming({ from: PEER, media: { data: BYTES, mimetype: 'image/png', filename: 'p.png' } })
    await until(() => eventsSince(before).some((e) => e.type === 'message'), 'the media message')
    const small = eventsSince(before).find((e) => e.type === 'message')
    expect(small).toMatchObject({ type: 'message', message: { hasMedia: true, type: 'image', media: { mimetype: 'image/png', size: BYTES.byteLength } }, media: { data: BYTES, mimeType: 'image/png', filename: 'p.png' } })

    before = handle.events.length
    world.incoming({ from: PEER, media: { data: new Uint8Array(2000), mimetype: 'application/zip', filename: 'big.zip' } })
    await until(() => eventsSince(before).some((e) => e.type === 'message'), 'the large media message')
    const large = eventsSince(before).find((e) => e.type === 'message')
    expect(large).toMatchObject({ type: 'message', message: { hasMedia: true, media: { size: 2000 } } })
    expect(large?.type === 'message' && large.media).toBeUndefined()
  })

  test('WhatsApp Web bookkeeping messages are not messages', async () => {
    const before = handle.events.length
    world.incoming({ from: PEER, body: '', type: 'e2e_notification' })
    world.incoming({ from: PEER, body: 'after' })
    await until(() => eventsSince(before).some((e) => e.type === 'message'), 'the real message')
    expect(eventsSince(before).filter((e) => e.type === 'message')).toHaveLength(1)
  })

  test('acks, reactions, revokes and edits', async () => {
    const sent = await engine.send({ chatId: PEER_JID, content: { type: 'text', text: 'tracked' } })
    const before = handle.events.length
    const message = (await client.getMessageById(sent.id)) as never
    client.ack(message, 3 as WAWebJS.MessageAck)
    client.reaction({
      id: { fromMe: false, remote: PEER_JID, id: 'REACT1', _serialized: `false_${PEER_JID}_REACT1` },
      msgId: { fromMe: true, remote: PEER_JID, id: sent.id.split('_')[2]!, _serialized: sent.id },
      senderId: PEER_JID,
      reaction: '❤️',
      timestamp: 1767225600,
    })
    client.emitEvent('message_revoke_everyone', message)
    client.emitEvent('message_edit', message, 'tracked (edited)', 'tracked')
    client.emitEvent('message_edit', message, 'same', 'same')
    await until(() => eventsSince(before).length >= 4, 'four events')
    expect(eventsSince(before)).toEqual([
      { type: 'message.ack', id: sent.id, chatId: PEER_JID, from: `${PHONE}@c.us`, to: PEER_JID, fromMe: true, ack: 3 },
      { type: 'message.reaction', id: `false_${PEER_JID}_REACT1`, chatId: PEER_JID, from: PEER_JID, fromMe: false, timestamp: 1767225600, reaction: { text: '❤️', messageId: sent.id } },
      { type: 'message.revoked', chatId: PEER_JID, revokedMessageId: sent.id, from: `${PHONE}@c.us`, fromMe: true, timestamp: sent.timestamp },
      expect.objectContaining({ type: 'message.edited', chatId: PEER_JID, editedMessageId: sent.id, body: 'tracked (edited)', fromMe: true }),
    ])
  })

  test('group notifications: this account joining or leaving, others added, promoted, the subject changed', async () => {
    const before = handle.events.length
    const base = { id: {}, chatId: '120363000000000099@g.us', author: '15550003333@c.us', timestamp: 1767225600, body: '' }
    client.group('group_join', { ...base, type: 'add' as WAWebJS.GroupNotificationTypes, recipientIds: [`${PHONE}@c.us`, '15550004444@c.us'] })
    client.group('group_admin_changed', { ...base, type: 'promote' as WAWebJS.GroupNotificationTypes, recipientIds: ['15550004444@c.us'] })
    client.group('group_update', { ...base, type: 'subject' as WAWebJS.GroupNotificationTypes, recipientIds: [], body: 'New name' })
    client.group('group_leave', { ...base, type: 'remove' as WAWebJS.GroupNotificationTypes, recipientIds: [`${PHONE}@c.us`] })
    await until(() => eventsSince(before).length >= 5, 'five events')
    const group = { id: '120363000000000099@g.us' }
    expect(eventsSince(before)).toEqual([
      { type: 'group.v2.join', group, timestamp: 1767225600 },
      { type: 'group.v2.participants', group, action: 'add', participants: ['15550004444@c.us'], author: '15550003333@c.us', timestamp: 1767225600 },
      { type: 'group.v2.participants', group, action: 'promote', participants: ['15550004444@c.us'], author: '15550003333@c.us', timestamp: 1767225600 },
      { type: 'group.v2.update', group: { ...group, subject: 'New name' }, author: '15550003333@c.us', timestamp: 1767225600 },
      { type: 'group.v2.leave', group, timestamp: 1767225600 },
    ])
  })

  test('incoming calls; own calls are not reported', async () => {
    const before = handle.events.length
    client.call({ id: 'CALL1', from: PEER_JID, timestamp: 1767225600, isVideo: true, isGroup: false, fromMe: true })
    client.call({ id: 'CALL2', from: PEER_JID, timestamp: 1767225601, isVideo: false, isGroup: false, fromMe: false })
    await until(() => eventsSince(before).length >= 1, 'the call')
    expect(eventsSince(before)).toEqual([{ type: 'call.received', id: 'CALL2', from: PEER_JID, isVideo: false, isGroup: false, timestamp: 1767225601 }])
  })
})
