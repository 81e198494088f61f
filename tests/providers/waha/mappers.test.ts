import { describe, expect, test } from 'bun:test'

import { UpstreamError } from '../../../src/errors'
import { ACK, type MessageType } from '../../../src/providers/engine'
import {
  forwardedMessageToDto,
  inviteLinkOf,
  parseMessageId,
  sentMessageToDto,
  wahaChatSummaryToDto,
  wahaChatToDto,
  wahaContactToDto,
  wahaGroupToDto,
  wahaMessageToDto,
  wahaNumberCheckToDto,
  wahaProfileToDto,
  wahaStatusToSessionStatus,
} from '../../../src/providers/waha/mappers'
import { WAHA_SESSION_STATUSES, type WAMessage } from '../../../src/providers/waha/model'
import { withCallbackWebhooks } from '../../../src/providers/waha/session'
import type { ChatSummary, MyProfile, WahaContact, WANumberExistResult } from '../../../src/providers/waha/types'
import { loadWahaOpenApi } from '../../helpers/waha-openapi'

const openapi = loadWahaOpenApi()
const component = (name: string) => openapi.sample({ $ref: `#/components/schemas/${name}` })
const CHAT = '966500000002@c.us'
const ME = '966500000001@c.us'
const GROUP = '120363000000000001@g.us'

/** A WEBJS incoming message as WAHA sends it, with `_data` overrides. */
function webjsMessage(overrides: Partial<WAMessage> = {}, data: Record<string, unknown> = { type: 'chat' }): WAMessage {
  return {
    id: `false_${CHAT}_3EB0C767D26A1D2B8F`,
    timestamp: 1767225600,
    from: CHAT,
    fromMe: false,
    to: ME,
    body: 'Hello',
    hasMedia: false,
    _data: data,
    ...overrides,
  }
}

describe('messages', () => {
  test('a WAMessage built from the published schema maps to a complete MessageDTO', () => {
    const sample = component('WAMessage') as WAMessage
    expect(openapi.validateComponent('WAMessage', sample)).toEqual([])
    const dto = wahaMessageToDto(sample)
    expect(dto).toMatchObject({
      id: sample.id,
      timestamp: sample.timestamp,
      from: sample.from,
      to: sample.to,
      fromMe: sample.fromMe,
      chatId: sample.fromMe ? sample.to : sample.from,
      body: sample.body ?? '',
      hasMedia: true,
      media: { mimetype: sample.media?.mimetype, filename: sample.media?.filename },
      ack: ACK.ERROR,
    })
    // The sample's coordinates are placeholders ("x"): no location is invented from them.
    expect(dto.location).toBeUndefined()
    // Only the documented subset of the required-only sample is needed.
    const minimal = openapi.sample({ $ref: '#/components/schemas/WAMessage' }, { requiredOnly: true }) as WAMessage
    expect(wahaMessageToDto(minimal).id).toBe(minimal.id)
  })

  test('incoming 1:1 text, without ack: chat is the sender, the ack is DEVICE', () => {
    expect(wahaMessageToDto(webjsMessage())).toEqual({
      id: `false_${CHAT}_3EB0C767D26A1D2B8F`,
      timestamp: 1767225600,
      chatId: CHAT,
      from: CHAT,
      to: ME,
      fromMe: false,
      type: 'text',
      body: 'Hello',
      hasMedia: false,
      ack: ACK.DEVICE,
    })
  })

  test('our own message in a group: chat is `to`, author kept, reply and forward flags', () => {
    const dto = wahaMessageToDto(
      webjsMessage(
        { id: `true_${GROUP}_AAA`, from: ME, to: GROUP, fromMe: true, participant: ME, ack: 3, replyTo: { id: `false_${GROUP}_BBB` } },
        { type: 'chat', isForwarded: true },
      ),
    )
    expect(dto).toMatchObject({ chatId: GROUP, participant: ME, ack: ACK.READ, replyTo: `false_${GROUP}_BBB`, isForwarded: true })
  })

  test('types from WEBJS `_data.type`, NOWEB/GOWS protobuf keys, and the payload', () => {
    const cases: Array<[Partial<WAMessage>, Record<string, unknown>, MessageType]> = [
      [{ hasMedia: true, media: { mimetype: 'audio/ogg; codecs=opus' } }, { type: 'ptt' }, 'voice'],
      [{ hasMedia: true }, { type: 'sticker' }, 'sticker'],
      [{}, { type: 'revoked' }, 'revoked'],
      [{}, { message: { conversation: 'hi' } }, 'text'],
      [{ hasMedia: true }, { message: { audioMessage: { ptt: true } } }, 'voice'],
      [{ hasMedia: true }, { message: { audioMessage: { ptt: false } } }, 'audio'],
      [{ hasMedia: true }, { Message: { ImageMessage: {} } }, 'image'],
      [{ hasMedia: true }, { Message: { DocumentMessage: {} } }, 'document'],
      [{ location: { latitude: '24.7136', longitude: 46.6753, name: 'Riyadh' } }, {}, 'location'],
      [{ vCards: ['BEGIN:VCARD\nEND:VCARD'] }, {}, 'contact'],
      [{ hasMedia: true, media: { mimetype: 'video/mp4' } }, {}, 'video'],
      [{ hasMedia: true, media: { mimetype: 'image/webp' } }, {}, 'sticker'],
      [{ body: '' }, {}, 'unknown'],
    ]
    for (const [overrides, data, type] of cases) expect(wahaMessageToDto(webjsMessage(overrides, data)).type).toBe(type)
    const located = wahaMessageToDto(webjsMessage({ location: { latitude: '24.7136', longitude: 46.6753, name: 'Riyadh', address: null } }, {}))
    expect(located.location).toEqual({ latitude: 24.7136, longitude: 46.6753, name: 'Riyadh' })
  })

  test('polls from WEBJS and NOWEB raw data', () => {
    const webjs = wahaMessageToDto(
      webjsMessage({ body: '' }, { type: 'poll_creation', pollName: 'Lunch?', pollOptions: [{ name: 'Yes' }, { name: 'No' }], pollSelectableOptionsCount: 1 }),
    )
    expect(webjs).toMatchObject({ type: 'poll', poll: { name: 'Lunch?', options: ['Yes', 'No'], multipleAnswers: false } })
    const noweb = wahaMessageToDto(
      webjsMessage({ body: '' }, { message: { pollCreationMessageV3: { name: 'Where?', options: [{ optionName: 'Here' }, { optionName: 'There' }], selectableOptionsCount: 0 } } }),
    )
    expect(noweb).toMatchObject({ type: 'poll', poll: { name: 'Where?', options: ['Here', 'There'], multipleAnswers: true } })
  })

  test('message ids: WAHA format parsed, anything else refused', () => {
    expect(parseMessageId(`true_${CHAT}_3EB0AB`)).toEqual({ fromMe: true, chatId: CHAT, key: '3EB0AB' })
    expect(parseMessageId(`false_${GROUP}_ABC_${CHAT}`)).toEqual({ fromMe: false, chatId: GROUP, key: 'ABC', participant: CHAT })
    for (const bad of ['3EB0AB', 'maybe_x@c.us_A', `true_${CHAT}`, 'true_nojid_A']) expect(parseMessageId(bad)).toBeUndefined()
  })

  test('send answers of every engine shape → MessageDTO from what we sent', () => {
    const sent = { chatId: CHAT, from: ME, type: 'image' as const, body: 'look', media: { mimetype: 'image/png', size: 3 } }
    const webjs = sentMessageToDto({ id: { _serialized: `true_${CHAT}_3EB0X` }, timestamp: 1767225601, ack: 1 }, sent)
    expect(webjs).toEqual({
      id: `true_${CHAT}_3EB0X`,
      timestamp: 1767225601,
      chatId: CHAT,
      from: ME,
      to: CHAT,
      fromMe: true,
      type: 'image',
      body: 'look',
      hasMedia: true,
      media: { mimetype: 'image/png', size: 3 },
      ack: ACK.SERVER,
    })
    const noweb = sentMessageToDto({ key: { id: 'BAE5', fromMe: true, remoteJid: CHAT }, messageTimestamp: { low: 1767225602, high: 0 } }, sent)
    expect(noweb).toMatchObject({ id: `true_${CHAT}_BAE5`, timestamp: 1767225602, ack: ACK.PENDING })
    const gows = sentMessageToDto({ id: `true_${CHAT}_GOWS1`, timestamp: '2026-01-01T00:00:03Z' }, sent)
    expect(gows.timestamp).toBe(1767225603)
    expect(sentMessageToDto({ id: 'x' }, sent, () => 1767225604_000).timestamp).toBe(1767225604)
    expect(() => sentMessageToDto({ ok: true }, sent)).toThrow(UpstreamError)
    expect(() => sentMessageToDto(null, sent)).toThrow(UpstreamError)
  })

  test('forward answers: a documented WAMessage is mapped whole, an engine object partially', () => {
    const documented = component('WAMessage')
    expect(forwardedMessageToDto(documented, CHAT, ME)).toMatchObject({ id: 'false_11111111111@c.us_AAAAAAAAAAAAAAAAAAAA', isForwarded: true })
    const engine = forwardedMessageToDto({ id: { _serialized: `true_${CHAT}_F1` }, type: 'image', body: 'cap', hasMedia: true, timestamp: 5 }, CHAT, ME)
    expect(engine).toMatchObject({ id: `true_${CHAT}_F1`, type: 'image', body: 'cap', hasMedia: true, chatId: CHAT, from: ME, isForwarded: true, timestamp: 5 })
  })
})

describe('chats, contacts, groups, profile', () => {
  test('chats of WEBJS, NOWEB and GOWS', () => {
    expect(
      wahaChatToDto({
        id: { server: 'c.us', user: '966500000002', _serialized: CHAT },
        name: 'Friend',
        isGroup: false,
        unreadCount: 2,
        timestamp: 1767225600,
        archived: true,
        lastMessage: { id: { fromMe: true }, body: 'bye', timestamp: 1767225600 },
      }),
    ).toEqual({ id: CHAT, name: 'Friend', isGroup: false, unreadCount: 2, archived: true, timestamp: 1767225600, lastMessage: { body: 'bye', timestamp: 1767225600, fromMe: true } })
    expect(wahaChatToDto({ id: GROUP, conversationTimestamp: { low: 1767225000, high: 0 }, unreadCount: 0, name: 'Team' })).toEqual({
      id: GROUP,
      name: 'Team',
      isGroup: true,
      unreadCount: 0,
      archived: false,
      timestamp: 1767225000,
    })
    // GOWS: capitalised keys, ISO dates; no name → the number.
    expect(wahaChatToDto({ JID: CHAT, conversationTimestamp: '2026-01-01T00:00:00Z' })).toMatchObject({ id: CHAT, name: '966500000002', timestamp: 1767225600 })
    expect(() => wahaChatToDto({ name: 'no id' })).toThrow(UpstreamError)
  })

  test('a ChatSummary (documented) → ChatDTO, completed from `_chat`', () => {
    const sample = component('ChatSummary') as ChatSummary
    expect(openapi.validateComponent('ChatSummary', sample)).toEqual([])
    const summary: ChatSummary = {
      id: CHAT,
      name: 'Friend',
      picture: null,
      lastMessage: { id: `false_${CHAT}_A`, body: 'hello', timestamp: 1767225700, fromMe: false },
      _chat: { id: CHAT, unreadCount: 3, archived: false, conversationTimestamp: 1767225600 },
    }
    expect(openapi.validateComponent('ChatSummary', summary)).toEqual([])
    expect(wahaChatSummaryToDto(summary)).toEqual({
      id: CHAT,
      name: 'Friend',
      isGroup: false,
      unreadCount: 3,
      archived: false,
      timestamp: 1767225700,
      lastMessage: { body: 'hello', timestamp: 1767225700, fromMe: false },
    })
  })

  test('contacts; a number check from the documented result', () => {
    const contact: WahaContact = { id: CHAT, number: '966500000002', name: 'Friend', pushname: 'F', isMyContact: true, isBlocked: false, isBusiness: true }
    expect(wahaContactToDto(contact)).toEqual({ id: CHAT, name: 'Friend', pushname: 'F', number: '966500000002', isMyContact: true, isBusiness: true, isBlocked: false })
    expect(wahaContactToDto({ id: { _serialized: CHAT } as unknown as string })).toEqual({
      id: CHAT,
      name: null,
      pushname: null,
      number: '966500000002',
      isMyContact: false,
      isBusiness: false,
      isBlocked: false,
    })
    const exists = component('WANumberExistResult') as WANumberExistResult
    expect(openapi.validateComponent('WANumberExistResult', { numberExists: true, chatId: CHAT })).toEqual([])
    expect(wahaNumberCheckToDto('966500000002', { numberExists: true, chatId: CHAT })).toEqual({ number: '966500000002', exists: true, jid: CHAT })
    expect(wahaNumberCheckToDto('966500000003', { numberExists: false })).toEqual({ number: '966500000003', exists: false, jid: null })
    expect(wahaNumberCheckToDto('1', exists).exists).toBe(exists.numberExists)
  })

  test('groups: documented GroupInfo, WEBJS GroupChat, NOWEB metadata, GOWS info', () => {
    const info = component('GroupInfo') as Record<string, unknown>
    expect(openapi.validateComponent('GroupInfo', info)).toEqual([])
    expect(wahaGroupToDto(info)).toEqual({
      id: '123456789@g.us',
      subject: 'Group Name',
      description: 'Group Description',
      owner: null,
      // The @lid member is reported by its phone JID (`pn`).
      participants: [{ id: '123456789@c.us', isAdmin: false, isSuperAdmin: false }],
      messagesAdminsOnly: false,
      infoAdminsOnly: false,
    })
    expect(wahaGroupToDto({ ...info, membersCanSendMessages: false }).messagesAdminsOnly).toBe(true)

    const webjs = {
      id: { server: 'g.us', user: '120363000000000001', _serialized: GROUP },
      name: 'Team',
      groupMetadata: {
        id: { _serialized: GROUP },
        subject: 'Team',
        desc: 'Our team',
        owner: { _serialized: ME },
        creation: 1767225000,
        announce: true,
        restrict: false,
        participants: [
          { id: { _serialized: ME }, isAdmin: true, isSuperAdmin: true },
          { id: { _serialized: CHAT }, isAdmin: false, isSuperAdmin: false },
        ],
      },
    }
    expect(wahaGroupToDto(webjs)).toEqual({
      id: GROUP,
      subject: 'Team',
      description: 'Our team',
      owner: ME,
      participants: [
        { id: ME, isAdmin: true, isSuperAdmin: true },
        { id: CHAT, isAdmin: false, isSuperAdmin: false },
      ],
      messagesAdminsOnly: true,
      infoAdminsOnly: false,
      createdAt: 1767225000,
    })

    const noweb = {
      id: GROUP,
      subject: 'Team',
      owner: ME,
      restrict: true,
      announce: false,
      participants: [
        { id: ME, admin: 'superadmin' },
        { id: CHAT, admin: 'admin' },
        { id: '966500000003@c.us', admin: null },
      ],
    }
    expect(wahaGroupToDto(noweb).participants).toEqual([
      { id: ME, isAdmin: true, isSuperAdmin: true },
      { id: CHAT, isAdmin: true, isSuperAdmin: false },
      { id: '966500000003@c.us', isAdmin: false, isSuperAdmin: false },
    ])
    expect(wahaGroupToDto(noweb).infoAdminsOnly).toBe(true)

    const gows = {
      JID: GROUP,
      Name: 'Team',
      Topic: 'About',
      OwnerJID: ME,
      IsAnnounce: false,
      IsLocked: true,
      GroupCreated: '2026-01-01T00:00:00Z',
      Participants: [{ JID: CHAT, IsAdmin: true, IsSuperAdmin: false }],
    }
    expect(wahaGroupToDto(gows)).toEqual({
      id: GROUP,
      subject: 'Team',
      description: 'About',
      owner: ME,
      participants: [{ id: CHAT, isAdmin: true, isSuperAdmin: false }],
      messagesAdminsOnly: false,
      infoAdminsOnly: true,
      createdAt: 1767225600,
    })
    // Members who left are not members.
    expect(wahaGroupToDto({ id: GROUP, subject: 's', participants: [{ id: CHAT, role: 'left' }] }).participants).toEqual([])
    expect(() => wahaGroupToDto({ subject: 'no id' })).toThrow(UpstreamError)
  })

  test('invite links, profile, statuses', () => {
    expect(inviteLinkOf('https://chat.whatsapp.com/AbC')).toBe('https://chat.whatsapp.com/AbC')
    expect(inviteLinkOf(' AbC ')).toBe('https://chat.whatsapp.com/AbC')
    expect(() => inviteLinkOf('')).toThrow(UpstreamError)

    const profile = component('MyProfile') as MyProfile
    expect(openapi.validateComponent('MyProfile', profile)).toEqual([])
    expect(wahaProfileToDto(profile, 'Busy')).toEqual({ id: profile.id, pushname: profile.name, phone: '11111111111', status: 'Busy', pictureUrl: profile.picture })
    expect(wahaProfileToDto({ ...profile, picture: null })).toEqual({ id: profile.id, pushname: profile.name, phone: '11111111111', pictureUrl: null })

    const mapped = Object.fromEntries(WAHA_SESSION_STATUSES.map((status) => [status, wahaStatusToSessionStatus(status).status]))
    expect(mapped).toEqual({
      STOPPED: 'STOPPED',
      STARTING: 'STARTING',
      SCAN_QR_CODE: 'SCAN_QR_CODE',
      PASSKEY_REQUIRED: 'STARTING',
      PASSKEY_CONFIRMATION_REQUIRED: 'STARTING',
      WORKING: 'WORKING',
      FAILED: 'FAILED',
    })
    expect(wahaStatusToSessionStatus('PASSKEY_REQUIRED').reason).toContain('passkey')
  })

  test('our callback webhooks replace only our own entries of a WAHA session config', () => {
    const ours = [
      { url: 'http://gw/api/whatsapp/webhook/message', events: ['message'] },
      { url: 'http://gw/api/whatsapp/webhook/state-change', events: ['session.status'] },
    ]
    const existing = {
      proxy: { server: 'http://proxy:3128' },
      webhooks: [
        { url: 'https://crm.example/hook', events: ['message'] },
        { url: 'http://gw/api/whatsapp/webhook/message', events: ['message.ack'] },
      ],
    }
    expect(withCallbackWebhooks(existing, ours)).toEqual({ proxy: { server: 'http://proxy:3128' }, webhooks: [existing.webhooks[0]!, ...ours] })
    expect(withCallbackWebhooks(undefined, ours)).toEqual({ webhooks: ours })
  })
})
