/**
 * The pure mappers, fed with whatsapp-web.js's own structures (its real Message, Chat,
 * GroupChat, Contact, Reaction, GroupNotification and Call classes) built from fixtures:
 * one file recorded from whatsapp-web.js against the WhatsApp Web stand-in, one composed
 * from the model fields whatsapp-web.js reads (fixtures/README.md says which is which).
 */
import { describe, expect, test } from 'bun:test'
import type WAWebJS from 'whatsapp-web.js'
import {
  chatIdOf,
  isGroupChat,
  isUserMessage,
  outcomeOfState,
  toAckEvent,
  toCallEvent,
  toChatDTO,
  toContactDTO,
  toEditedEvent,
  toGroupDTO,
  toGroupEvents,
  toMessageDTO,
  toReactionEvent,
  toRevokedEvent,
} from '../../../src/providers/webjs/mappers'
import type { WCall, WChat, WGroupChat, WGroupNotification, WMessage, WReaction } from '../../../src/providers/webjs/client'
import recorded from './fixtures/standin-recorded.json'
import models from './fixtures/whatsapp-models.json'

type Ctor<T> = new (client: unknown, data: unknown) => T
// whatsapp-web.js's structures, as its Client builds them from page data.
const structures = require('whatsapp-web.js/src/structures') as {
  Message: Ctor<WAWebJS.Message>
  Contact: Ctor<WAWebJS.Contact>
  Reaction: Ctor<WAWebJS.Reaction>
  GroupNotification: Ctor<WAWebJS.GroupNotification>
  Call: Ctor<WAWebJS.Call>
}
const ChatFactory = require('whatsapp-web.js/src/factories/ChatFactory') as { create(client: unknown, data: unknown): WAWebJS.Chat }

const client = {}
const message = (data: unknown): WMessage => new structures.Message(client, data)
const chat = (data: unknown): WChat | WGroupChat => ChatFactory.create(client, data)
const ME = recorded.clientInfo.wid._serialized

describe('messages recorded from whatsapp-web.js on the stand-in', () => {
  test('an incoming text', () => {
    expect(toMessageDTO(message(recorded.incomingText), ME)).toEqual({
      id: recorded.incomingText.id._serialized,
      timestamp: 1767225600,
      chatId: '15550002222@c.us',
      from: '15550002222@c.us',
      to: '15550001111@c.us',
      fromMe: false,
      type: 'text',
      body: 'Hello, is this the support line?',
      hasMedia: false,
      ack: 1,
    })
  })

  test('an incoming image: caption as body, media info from the model', () => {
    expect(toMessageDTO(message(recorded.incomingImage), ME)).toMatchObject({
      type: 'image',
      body: 'my receipt',
      hasMedia: true,
      media: { mimetype: 'image/jpeg', filename: 'receipt.jpg', size: 64 },
    })
  })

  test('an own reply quoting their message, and their reply quoting ours: replyTo is the quoted id', () => {
    const own = toMessageDTO(message(recorded.ownReply), ME)
    expect(own).toMatchObject({ fromMe: true, from: ME, to: '15550002222@c.us', chatId: '15550002222@c.us', ack: 0, replyTo: recorded.incomingText.id._serialized })
    const theirs = toMessageDTO(message(recorded.incomingReplyToOwn), ME)
    expect(theirs.replyTo).toBe(recorded.ownReply.id._serialized)
  })

  test('the private chat model', () => {
    expect(toChatDTO(chat(recorded.privateChat))).toEqual({
      id: '15550002222@c.us',
      name: 'Bob',
      isGroup: false,
      unreadCount: 3,
      archived: false,
      pinned: false,
      markedUnread: false,
      muteExpiration: null,
      timestamp: 1767225720,
      lastMessage: { body: 'Thanks!', timestamp: 1767225720, fromMe: false },
    })
    expect(isGroupChat(chat(recorded.privateChat))).toBe(false)
  })

  test('pinned, muted (until a time or for ever) and marked-unread chats, as WhatsApp Web models them', () => {
    const base = recorded.privateChat as Record<string, unknown>
    expect(toChatDTO(chat({ ...base, pin: 1767225000, isMuted: true, muteExpiration: 1767300000, unreadCount: -1 }))).toMatchObject({
      pinned: true,
      muteExpiration: 1767300000,
      markedUnread: true,
      unreadCount: 0,
    })
    expect(toChatDTO(chat({ ...base, isMuted: true, muteExpiration: -1 })).muteExpiration).toBe(-1)
  })
})

describe('WhatsApp Web models the stand-in does not produce', () => {
  test('a group message: participant, mentions, quote of another member, forwarded, edited', () => {
    const dto = toMessageDTO(message(models.groupTextWithMentionAndQuote), models.me)
    expect(dto).toEqual({
      id: 'false_120363041234567890@g.us_3A9F1C2B7D5E4F60_15550003333@c.us',
      timestamp: 1767226000,
      chatId: '120363041234567890@g.us',
      from: '120363041234567890@g.us',
      to: '15550001111@c.us',
      fromMe: false,
      participant: '15550003333@c.us',
      type: 'text',
      body: '@15550001111 see above',
      hasMedia: false,
      ack: 2,
      replyTo: 'false_120363041234567890@g.us_3AB00000000000D1_15550004444@c.us',
      mentions: ['15550001111@c.us'],
      isForwarded: true,
      edited: true,
    })
  })

  test('location, poll, vCards, voice note, document, revoked', () => {
    expect(toMessageDTO(message(models.location), models.me)).toMatchObject({
      type: 'location',
      location: { latitude: 24.7136, longitude: 46.6753, name: 'Kingdom Centre', address: 'Riyadh 12214' },
    })
    expect(toMessageDTO(message(models.poll), models.me)).toMatchObject({
      type: 'poll',
      body: 'Lunch?',
      fromMe: true,
      ack: 3,
      poll: { name: 'Lunch?', options: ['Pizza', 'Sushi'], multipleAnswers: true },
    })
    expect(toMessageDTO(message(models.vcard), models.me)).toMatchObject({ type: 'contact', body: '', vcards: [models.vcard.body] })
    expect(toMessageDTO(message(models.multiVcard), models.me).vcards).toEqual(models.multiVcard.vcardList.map((c) => c.vcard))
    expect(toMessageDTO(message(models.voiceNote), models.me)).toMatchObject({ type: 'voice', hasMedia: true, media: { mimetype: 'audio/ogg; codecs=opus', size: 5342 } })
    expect(toMessageDTO(message(models.document), models.me)).toMatchObject({ type: 'document', body: 'Q3 report', ack: 4, media: { filename: 'q3.pdf' } })
    expect(toMessageDTO(message(models.revoked), models.me)).toMatchObject({ type: 'revoked', body: '' })
  })

  test('WhatsApp Web bookkeeping is not a user message', () => {
    expect(isUserMessage(message(models.e2eNotification))).toBe(false)
    expect(isUserMessage(message(recorded.incomingText))).toBe(true)
  })

  test('a group chat: settings, owner, description, participants and roles', () => {
    const group = chat(models.groupChat)
    expect(isGroupChat(group)).toBe(true)
    if (!isGroupChat(group)) throw new Error('not a group')
    expect(toGroupDTO(group)).toEqual({
      id: '120363041234567890@g.us',
      subject: 'Support team',
      description: 'Escalations only',
      owner: '15550003333@c.us',
      participants: [
        { id: '15550003333@c.us', isAdmin: true, isSuperAdmin: true },
        { id: '15550001111@c.us', isAdmin: true, isSuperAdmin: false },
        { id: '15550004444@c.us', isAdmin: false, isSuperAdmin: false },
      ],
      messagesAdminsOnly: true,
      infoAdminsOnly: false,
      createdAt: 1700000000,
    })
    expect(toChatDTO(group)).toMatchObject({ isGroup: true, archived: true, unreadCount: 2 })
    expect(toChatDTO(group).lastMessage).toBeUndefined()
  })

  test('contacts, saved and not', () => {
    expect(toContactDTO(new structures.Contact(client, models.contact))).toEqual({
      id: '15550002222@c.us',
      name: 'Bob Jones',
      pushname: 'Bobby',
      number: '15550002222',
      isMyContact: true,
      isBusiness: true,
      isBlocked: false,
    })
    expect(toContactDTO(new structures.Contact(client, models.unsavedContact))).toEqual({
      id: '15550005555@c.us',
      name: null,
      pushname: null,
      number: '15550005555',
      isMyContact: false,
      isBusiness: false,
      isBlocked: true,
    })
  })
})

describe('events', () => {
  test('ack of a recorded own message', () => {
    expect(toAckEvent(message(recorded.ownReply), 3)).toEqual({
      type: 'message.ack',
      id: recorded.ownReply.id._serialized,
      chatId: '15550002222@c.us',
      from: ME,
      to: '15550002222@c.us',
      fromMe: true,
      ack: 3,
    })
    // An ack outside WhatsApp's -1…4 is not trusted.
    expect(toAckEvent(message(recorded.ownReply), 9)).toMatchObject({ ack: 0 })
  })

  test('a reaction, with whole seconds', () => {
    const reaction: WReaction = new structures.Reaction(client, models.reaction)
    expect(toReactionEvent(reaction)).toEqual({
      type: 'message.reaction',
      id: 'false_15550002222@c.us_3A0000000000REA1',
      chatId: '15550002222@c.us',
      from: '15550002222@c.us',
      fromMe: false,
      timestamp: 1767226700,
      reaction: { text: '👍', messageId: 'true_15550002222@c.us_3EB0POLL000001' },
    })
  })

  test('revoked and edited', () => {
    expect(toRevokedEvent(message(models.revoked), 1)).toEqual({
      type: 'message.revoked',
      chatId: '15550002222@c.us',
      revokedMessageId: 'false_15550002222@c.us_3A000000000000DEL',
      from: '15550002222@c.us',
      fromMe: false,
      timestamp: 1767226600,
    })
    expect(toEditedEvent(message(models.groupTextWithMentionAndQuote), 'new text', 1)).toEqual({
      type: 'message.edited',
      chatId: '120363041234567890@g.us',
      editedMessageId: models.groupTextWithMentionAndQuote.id._serialized,
      body: 'new text',
      from: '15550003333@c.us',
      fromMe: false,
      timestamp: 1767226030,
    })
  })

  test('group notifications: me added with another, description changed, me demoted', () => {
    const notification = (data: unknown): WGroupNotification => new structures.GroupNotification(client, data)
    const group = { id: '120363041234567890@g.us' }
    expect(toGroupEvents('group_join', notification(models.groupAdd), models.me)).toEqual([
      { type: 'group.v2.join', group, timestamp: 1767226800 },
      { type: 'group.v2.participants', group, action: 'add', participants: ['15550006666@c.us'], author: '15550003333@c.us', timestamp: 1767226800 },
    ])
    expect(toGroupEvents('group_update', notification(models.groupDescription), models.me)).toEqual([
      { type: 'group.v2.update', group: { ...group, description: 'Escalations and on-call' }, author: '15550003333@c.us', timestamp: 1767226900 },
    ])
    expect(toGroupEvents('group_admin_changed', notification(models.groupDemote), models.me)).toEqual([
      { type: 'group.v2.participants', group, action: 'demote', participants: ['15550001111@c.us'], author: '15550003333@c.us', timestamp: 1767227000 },
    ])
  })

  test('a call', () => {
    const call: WCall = new structures.Call(client, models.call)
    expect(toCallEvent(call)).toEqual({ type: 'call.received', id: 'F1C2D3E4A5B6C7D8E9F0', from: '15550002222@c.us', isVideo: true, isGroup: false, timestamp: 1767227100 })
  })

  test('the chat of a message is its id’s remote part', () => {
    expect(chatIdOf(message(recorded.ownReply))).toBe('15550002222@c.us')
    expect(chatIdOf(message(models.groupTextWithMentionAndQuote))).toBe('120363041234567890@g.us')
  })
})

describe('connection states', () => {
  test('states that end the session, and states that pass', () => {
    expect(outcomeOfState('CONFLICT')).toMatchObject({ status: 'CONFLICT', wipeAuth: false })
    expect(outcomeOfState('TOS_BLOCK')).toMatchObject({ status: 'FAILED', wipeAuth: false })
    expect(outcomeOfState('SMB_TOS_BLOCK')).toMatchObject({ status: 'FAILED' })
    expect(outcomeOfState('PROXYBLOCK')?.reason).toContain('CHROME_ARGS')
    expect(outcomeOfState('DEPRECATED_VERSION')).toMatchObject({ status: 'FAILED' })
    expect(outcomeOfState('UNPAIRED')).toMatchObject({ status: 'FAILED', wipeAuth: true })
    expect(outcomeOfState('UNPAIRED_IDLE')).toMatchObject({ status: 'FAILED', wipeAuth: true })
    for (const passing of ['CONNECTED', 'OPENING', 'PAIRING', 'TIMEOUT']) expect(outcomeOfState(passing)).toBeUndefined()
  })
})
