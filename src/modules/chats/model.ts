/** Schemas of the chat routes of §6: chats, one chat, history, media. */
import { t } from 'elysia'
import { ACK } from '../../providers/engine'
import { oneOf, PhoneNumberParam } from '../common/model'
import { MESSAGE_ID_MAX_LENGTH } from '../../lib/message-id'
import { ChatIdString, MESSAGE_ID_PATTERN, MessageIdString } from '../common/whatsapp-model'

const MESSAGE_TYPES = ['text', 'image', 'video', 'audio', 'voice', 'document', 'sticker', 'location', 'contact', 'poll', 'revoked', 'unknown'] as const
const ACK_NAMES = Object.keys(ACK) as [keyof typeof ACK, ...(keyof typeof ACK)[]]

// Ranges are checked by the service: Elysia's coercion of a query number reports a range error without the field's name.
export const ChatsQuery = t.Object({
  page: t.Optional(t.Integer({ default: 1, description: 'Page number, from 1' })),
  limit: t.Optional(t.Integer({ default: 50, description: 'Chats per page, 1 to 200' })),
  archived: t.Optional(t.Boolean({ description: 'Only archived (true) or only unarchived (false) chats; all when absent' })),
  pinned: t.Optional(t.Boolean({ description: 'Only pinned (true) or only unpinned (false) chats' })),
  unread: t.Optional(t.Boolean({ description: 'Only chats with unread messages or marked unread (true), or only read ones (false)' })),
  labelId: t.Optional(t.String({ minLength: 1, maxLength: 64, description: 'Only chats with this label (WhatsApp Business)' })),
  search: t.Optional(t.String({ minLength: 1, maxLength: 100, description: "Case-insensitive part of the chat's name (or id)" })),
})

export const Chat = t.Object(
  {
    id: t.String({ examples: ['966500000002@c.us'] }),
    name: t.String({ description: 'Contact name or group subject' }),
    isGroup: t.Boolean(),
    unreadCount: t.Integer({ minimum: 0 }),
    archived: t.Boolean(),
    pinned: t.Boolean(),
    markedUnread: t.Boolean({ description: '"Mark as unread" was used and the chat was not read since' }),
    muteExpiration: t.Union([t.Integer(), t.Null()], { description: 'null: not muted; -1: muted for ever; else unix seconds when the mute ends' }),
    labels: t.Array(t.String(), { description: 'Ids of its labels (WhatsApp Business; see GET /:phoneNumber/labels)' }),
    timestamp: t.Integer({ description: 'Unix seconds of the last activity' }),
    lastMessage: t.Optional(t.Object({ body: t.String(), timestamp: t.Integer(), fromMe: t.Boolean() })),
  },
  {
    examples: [
      { id: '966500000002@c.us', name: 'Sara', isGroup: false, unreadCount: 2, archived: false, pinned: true, markedUnread: false, muteExpiration: null, labels: ['1'], timestamp: 1767225600, lastMessage: { body: 'See you', timestamp: 1767225600, fromMe: false } },
    ],
  },
)

export const ChatList = t.Object(
  {
    chats: t.Array(Chat),
    total: t.Integer({ description: 'Chats matching the filter, on all pages' }),
    page: t.Integer(),
    hasMore: t.Boolean(),
  },
  { examples: [{ chats: [], total: 0, page: 1, hasMore: false }] },
)

export const HistoryQuery = t.Object({
  limit: t.Optional(t.Integer({ default: 50, description: 'Messages per page, 1 to 200' })),
  before: t.Optional(t.String({ pattern: MESSAGE_ID_PATTERN, maxLength: MESSAGE_ID_MAX_LENGTH, description: 'Cursor: only messages older than this message id (the last id of the previous page)' })),
})

export const Message = t.Object(
  {
    id: t.String(),
    timestamp: t.Integer({ description: 'Unix seconds' }),
    chatId: t.String(),
    from: t.String(),
    to: t.String(),
    fromMe: t.Boolean(),
    participant: t.Optional(t.String({ description: 'The author, in group chats and Status' })),
    type: oneOf(MESSAGE_TYPES),
    body: t.String({ description: 'Text, or the caption of media; "" for a deleted message' }),
    hasMedia: t.Boolean(),
    media: t.Optional(
      t.Object({
        url: t.String({ description: "Absolute URL (under PUBLIC_URL) of this server's download route for the bytes, as in the event payload" }),
        mimetype: t.String(),
        filename: t.Union([t.String(), t.Null()], { description: 'The file name, null when the media has none (as in the event payload)' }),
        size: t.Optional(t.Integer()),
      }),
    ),
    ack: t.Integer({ minimum: -1, maximum: 4, description: '-1 error, 0 pending, 1 server, 2 device, 3 read, 4 played' }),
    ackName: oneOf(ACK_NAMES),
    replyTo: t.Optional(t.Object({ id: t.String({ description: 'Id of the quoted message' }) }, { description: "The quoted message, in WAHA's shape as in the event payload" })),
    location: t.Optional(t.Object({ latitude: t.Number(), longitude: t.Number(), name: t.Optional(t.String()), address: t.Optional(t.String()) })),
    vcards: t.Optional(t.Array(t.String())),
    poll: t.Optional(t.Object({ name: t.String(), options: t.Array(t.String()), multipleAnswers: t.Boolean() })),
    mentions: t.Optional(t.Array(t.String())),
    isForwarded: t.Optional(t.Boolean()),
    edited: t.Optional(t.Boolean()),
    viewOnce: t.Optional(t.Boolean({ description: 'Sent "view once": the recipient can open it once' })),
    durationSeconds: t.Optional(t.Integer({ description: 'Voice notes: length in seconds, where known' })),
    waveform: t.Optional(t.Array(t.Integer({ minimum: 0, maximum: 100 }), { description: 'Voice notes: 64 loudness points (0–100), where known' })),
    reactions: t.Optional(t.Array(t.Object({ emoji: t.String(), from: t.String(), timestamp: t.Integer() }))),
  },
  {
    examples: [
      {
        id: 'false_966500000002@c.us_3EB0C431D5A2B1F0E4A7',
        timestamp: 1767225600,
        chatId: '966500000002@c.us',
        from: '966500000002@c.us',
        to: '966500000001@c.us',
        fromMe: false,
        type: 'image',
        body: 'Our new menu',
        hasMedia: true,
        media: { url: 'https://wa.example.com/api/whatsapp/966500000001/messages/966500000002%40c.us/false_966500000002%40c.us_3EB0C431D5A2B1F0E4A7/media', mimetype: 'image/jpeg', filename: null, size: 48213 },
        ack: 2,
        ackName: 'DEVICE',
      },
    ],
  },
)

export const History = t.Object(
  {
    messages: t.Array(Message, { description: 'Newest first' }),
    hasMore: t.Boolean({ description: 'More (older) messages exist: ask again with `before` = the last id' }),
  },
  { examples: [{ messages: [], hasMore: false }] },
)

export const MediaParams = t.Object({ phoneNumber: PhoneNumberParam, chatId: ChatIdString, messageId: MessageIdString })
