/**
 * Pure mappers from whatsapp-web.js's objects to the engine boundary's DTOs and events.
 * No I/O: everything here is unit-tested from recorded fixtures
 * (tests/providers/webjs/fixtures). whatsapp-web.js passes WhatsApp Web's models through
 * JSON, so ids arrive either as strings or as `{_serialized}` objects; both are accepted.
 */
import { userOf } from '../../lib/chat-id'
import { WWEB_MESSAGE_TYPES } from '../message-types'
import {
  ACK,
  type Ack,
  type ChatDTO,
  type ContactDTO,
  type GroupDTO,
  type GroupParticipant,
  type Location,
  type MessageDTO,
  type MessageMediaInfo,
  type MessageType,
  type Poll,
  type EngineEvent,
  type SessionStatus,
} from '../engine'
import type { WCall, WChat, WContact, WGroupChat, WGroupNotification, WMessage, WReaction } from './client'

// ─── Small readers for loosely typed data ───────────────────────────────────

/** `'1@c.us'`, `{_serialized: '1@c.us'}` → `'1@c.us'`; anything else → undefined. */
export function serialized(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (value && typeof value === 'object' && '_serialized' in value) {
    const inner = (value as { _serialized: unknown })._serialized
    if (typeof inner === 'string') return inner
  }
  return undefined
}

function field(raw: unknown, key: string): unknown {
  return raw && typeof raw === 'object' ? (raw as Record<string, unknown>)[key] : undefined
}

function stringField(raw: unknown, key: string): string | undefined {
  const value = field(raw, key)
  return typeof value === 'string' && value !== '' ? value : undefined
}

function numberField(raw: unknown, key: string): number | undefined {
  const value = field(raw, key)
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

function toAck(value: unknown): Ack {
  return typeof value === 'number' && value >= ACK.ERROR && value <= ACK.PLAYED ? (Math.trunc(value) as Ack) : ACK.PENDING
}

function seconds(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.floor(value) : 0
}

// ─── Messages ───────────────────────────────────────────────────────────────


/**
 * WhatsApp Web also creates messages for its own bookkeeping (encryption notices,
 * protocol messages, call logs, group notifications); those are not messages a user sent.
 */
const SYSTEM_TYPES = new Set([
  'e2e_notification',
  'notification',
  'notification_template',
  'gp2',
  'group_notification',
  'protocol',
  'ciphertext',
  'call_log',
  'debug',
  'broadcast_notification',
  'reaction',
])

export function isUserMessage(message: Pick<WMessage, 'type'>): boolean {
  return !SYSTEM_TYPES.has(String(message.type))
}

export function messageType(type: unknown): MessageType {
  return WWEB_MESSAGE_TYPES[String(type)] ?? 'unknown'
}

/** The chat a message belongs to: the remote part of its id. */
export function chatIdOf(message: Pick<WMessage, 'id' | 'fromMe' | 'from' | 'to'>): string {
  return serialized(message.id.remote) ?? (message.fromMe ? message.to : message.from)
}

/**
 * The serialized id of the message this one quotes. WhatsApp Web keeps only the quoted
 * stanza id and its author; the id is rebuilt the way whatsapp-web.js serializes ids
 * (`<fromMe>_<chat>_<stanza>`, plus `_<author>` for others' messages in a group).
 */
export function quotedIdOf(message: Pick<WMessage, 'hasQuotedMsg' | 'rawData' | 'id' | 'fromMe' | 'from' | 'to'>, meId: string | undefined): string | undefined {
  if (!message.hasQuotedMsg) return undefined
  const stanza = stringField(message.rawData, 'quotedStanzaID')
  if (!stanza) return undefined
  const chatId = chatIdOf(message)
  const participant = serialized(field(message.rawData, 'quotedParticipant'))
  const fromMe = participant !== undefined && meId !== undefined && sameUser(participant, meId)
  const suffix = chatId.endsWith('@g.us') && !fromMe && participant ? `_${participant}` : ''
  return `${fromMe}_${chatId}_${stanza}${suffix}`
}

function sameUser(a: string, b: string): boolean {
  return userOf(a) === userOf(b)
}

export function mediaInfoOf(message: Pick<WMessage, 'hasMedia' | 'rawData'>): MessageMediaInfo | undefined {
  if (!message.hasMedia) return undefined
  const mimetype = stringField(message.rawData, 'mimetype') ?? 'application/octet-stream'
  const filename = stringField(message.rawData, 'filename')
  const size = numberField(message.rawData, 'size')
  return { mimetype, ...(filename !== undefined && { filename }), ...(size !== undefined && { size }) }
}

function locationOf(message: WMessage): Location | undefined {
  if (message.type !== 'location' || !message.location) return undefined
  const latitude = Number(message.location.latitude)
  const longitude = Number(message.location.longitude)
  if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) return undefined
  const { name, address } = message.location
  return { latitude, longitude, ...(name && { name }), ...(address && { address }) }
}

export function pollOf(message: WMessage): Poll | undefined {
  if (message.type !== 'poll_creation') return undefined
  // index.d.ts says string[]; at runtime whatsapp-web.js passes WhatsApp's `{name, localId}` objects.
  const options = (message.pollOptions ?? ([] as unknown[])).map((option: unknown) =>
    typeof option === 'string' ? option : (stringField(option, 'name') ?? ''),
  )
  return { name: message.pollName ?? message.body, options, multipleAnswers: message.allowMultipleAnswers === true }
}

/** A whatsapp-web.js Message as the boundary's MessageDTO. `meId` is the linked account's id. */
export function toMessageDTO(message: WMessage, meId?: string): MessageDTO {
  const chatId = chatIdOf(message)
  const type = messageType(message.type)
  const media = mediaInfoOf(message)
  const replyTo = quotedIdOf(message, meId)
  const location = locationOf(message)
  const poll = pollOf(message)
  const mentions = (message.mentionedIds ?? []).map((id: unknown) => serialized(id)).filter((id): id is string => id !== undefined)
  const participant = message.author ? serialized(message.author) : undefined
  return {
    id: message.id._serialized,
    timestamp: seconds(message.timestamp),
    chatId,
    from: serialized(message.from) ?? '',
    to: serialized(message.to) ?? '',
    fromMe: message.fromMe,
    ...(participant && { participant }),
    type,
    body: type === 'contact' ? '' : (message.body ?? ''),
    hasMedia: message.hasMedia,
    ...(media && { media }),
    ack: toAck(message.ack),
    ...(replyTo && { replyTo }),
    ...(location && { location }),
    ...(type === 'contact' && message.vCards && message.vCards.length > 0 && { vcards: [...message.vCards] }),
    ...(poll && { poll }),
    ...(mentions.length > 0 && { mentions }),
    ...(message.isForwarded && { isForwarded: true }),
    ...(message.latestEditSenderTimestampMs !== undefined && { edited: true }),
    ...(isViewOnce(message) && { viewOnce: true }),
    ...(type === 'voice' && durationOf(message) !== undefined && { durationSeconds: durationOf(message)! }),
  }
}

/** A voice note's length: whatsapp-web.js gives WhatsApp's `duration` as a string of seconds. */
function durationOf(message: WMessage): number | undefined {
  const seconds = Number(message.duration)
  return message.duration !== undefined && Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds) : undefined
}

/** WhatsApp Web flags view-once media on its raw message model (whatsapp-web.js exposes no field for it). */
function isViewOnce(message: WMessage): boolean {
  return field(message.rawData, 'isViewOnce') === true
}

// ─── Chats, contacts, groups ────────────────────────────────────────────────

export function toChatDTO(chat: WChat): ChatDTO {
  const last = chat.lastMessage
  return {
    id: chat.id._serialized,
    name: chat.name || chat.id.user,
    isGroup: chat.isGroup === true,
    unreadCount: Math.max(0, chat.unreadCount ?? 0),
    archived: chat.archived === true,
    pinned: chat.pinned === true,
    // WhatsApp Web counts a chat marked unread as -1.
    markedUnread: chat.unreadCount === -1,
    muteExpiration: chat.isMuted === true ? (chat.muteExpiration === -1 ? -1 : seconds(chat.muteExpiration ?? 0) || -1) : null,
    timestamp: seconds(chat.timestamp),
    ...(last && { lastMessage: { body: last.body ?? '', timestamp: seconds(last.timestamp), fromMe: last.fromMe } }),
  }
}

export function isGroupChat(chat: WChat | WGroupChat): chat is WGroupChat {
  return chat.isGroup === true && typeof (chat as Partial<WGroupChat>).setSubject === 'function'
}

export function toContactDTO(contact: WContact): ContactDTO {
  return {
    id: contact.id._serialized,
    name: contact.name ?? null,
    pushname: contact.pushname || null,
    number: contact.number || contact.id.user,
    isMyContact: contact.isMyContact === true,
    isBusiness: contact.isBusiness === true,
    isBlocked: contact.isBlocked === true,
  }
}

function toParticipant(participant: unknown): GroupParticipant | undefined {
  const id = serialized(field(participant, 'id'))
  if (!id) return undefined
  return { id, isAdmin: field(participant, 'isAdmin') === true, isSuperAdmin: field(participant, 'isSuperAdmin') === true }
}

export function toGroupDTO(chat: WGroupChat): GroupDTO {
  const metadata = chat.groupMetadata
  const created = metadata?.creation
  return {
    id: chat.id._serialized,
    subject: chat.name,
    description: chat.description || null,
    owner: serialized(chat.owner) ?? null,
    participants: (chat.participants ?? []).map(toParticipant).filter((p): p is GroupParticipant => p !== undefined),
    messagesAdminsOnly: metadata?.announce === true,
    infoAdminsOnly: metadata?.restrict === true,
    ...(typeof created === 'number' && created > 0 && { createdAt: created }),
    ...(typeof metadata?.membershipApprovalMode === 'boolean' && { membershipApproval: metadata.membershipApprovalMode }),
  }
}

// ─── Events ─────────────────────────────────────────────────────────────────

export function toAckEvent(message: WMessage, ack: number): EngineEvent {
  return {
    type: 'message.ack',
    id: message.id._serialized,
    chatId: chatIdOf(message),
    from: serialized(message.from) ?? '',
    to: serialized(message.to) ?? '',
    fromMe: message.fromMe,
    ack: toAck(ack),
  }
}

export function toReactionEvent(reaction: WReaction): EngineEvent | undefined {
  const messageId = serialized(reaction.msgId)
  const id = serialized(reaction.id)
  if (!messageId || !id) return undefined
  const chatId = serialized(reaction.msgId.remote) ?? messageId.split('_')[1] ?? ''
  return {
    type: 'message.reaction',
    id,
    chatId,
    from: reaction.senderId,
    fromMe: reaction.id.fromMe === true,
    timestamp: seconds(reaction.timestamp),
    reaction: { text: reaction.reaction ?? '', messageId },
  }
}

export function toRevokedEvent(message: WMessage, nowSeconds: number): EngineEvent {
  return {
    type: 'message.revoked',
    chatId: chatIdOf(message),
    // The revoked message keeps its id; only its type and body change.
    revokedMessageId: message.id._serialized,
    from: serialized(message.author) ?? serialized(message.from) ?? '',
    fromMe: message.fromMe,
    timestamp: seconds(message.timestamp) || nowSeconds,
  }
}

export function toEditedEvent(message: WMessage, newBody: string, nowSeconds: number): EngineEvent {
  const editedAt = message.latestEditSenderTimestampMs
  return {
    type: 'message.edited',
    chatId: chatIdOf(message),
    editedMessageId: message.id._serialized,
    body: String(newBody),
    from: serialized(message.author) ?? serialized(message.from) ?? '',
    fromMe: message.fromMe,
    timestamp: editedAt ? Math.floor(editedAt / 1000) : nowSeconds,
  }
}

export type GroupNotificationKind = 'group_join' | 'group_leave' | 'group_admin_changed' | 'group_update'

/**
 * A group notification as the boundary's `group.v2.*` events: this account joining or
 * leaving is `join`/`leave`; others coming, going or changing role is `participants`.
 */
export function toGroupEvents(kind: GroupNotificationKind, notification: WGroupNotification, meId: string | undefined): EngineEvent[] {
  const groupId = serialized(notification.chatId) ?? ''
  const timestamp = seconds(notification.timestamp)
  const author = serialized(notification.author)
  const recipients = (notification.recipientIds ?? []).map((id: unknown) => serialized(id)).filter((id): id is string => id !== undefined)
  const isMe = (id: string) => meId !== undefined && sameUser(id, meId)
  const others = recipients.filter((id) => !isMe(id))
  const events: EngineEvent[] = []
  const participants = (action: 'add' | 'remove' | 'promote' | 'demote', ids: string[]) => {
    if (ids.length > 0) events.push({ type: 'group.v2.participants', group: { id: groupId }, action, participants: ids, ...(author && { author }), timestamp })
  }
  switch (kind) {
    case 'group_join':
      if (recipients.some(isMe)) events.push({ type: 'group.v2.join', group: { id: groupId }, timestamp })
      participants('add', others)
      break
    case 'group_leave':
      if (recipients.some(isMe)) events.push({ type: 'group.v2.leave', group: { id: groupId }, timestamp })
      participants('remove', others)
      break
    case 'group_admin_changed':
      participants(notification.type === 'demote' ? 'demote' : 'promote', recipients)
      break
    case 'group_update': {
      const body = notification.body ?? ''
      const group = {
        id: groupId,
        ...(notification.type === 'subject' && { subject: body }),
        ...(notification.type === 'description' && { description: body }),
      }
      events.push({ type: 'group.v2.update', group, ...(author && { author }), timestamp })
      break
    }
  }
  return events
}

export function toCallEvent(call: WCall): EngineEvent | undefined {
  if (call.fromMe) return undefined
  return {
    type: 'call.received',
    id: String(call.id),
    from: serialized(call.from) ?? '',
    isVideo: call.isVideo === true,
    isGroup: call.isGroup === true,
    timestamp: seconds(call.timestamp),
  }
}

// ─── Lifecycle ──────────────────────────────────────────────────────────────

export interface StateOutcome {
  status: Extract<SessionStatus, 'FAILED' | 'CONFLICT'>
  reason: string
  /** The pairing is gone: forget the local auth so the next start shows a QR. */
  wipeAuth: boolean
}

/**
 * WhatsApp Web connection states that end the session (whatsapp-web.js destroys its
 * Client on them). CONNECTED, OPENING, PAIRING and TIMEOUT are passing states: undefined.
 */
export function outcomeOfState(state: string): StateOutcome | undefined {
  switch (state) {
    case 'CONFLICT':
      return {
        status: 'CONFLICT',
        reason: 'WhatsApp Web was opened for this number in another browser or computer, which took the session over. Restart this session to take it back',
        wipeAuth: false,
      }
    case 'TOS_BLOCK':
    case 'SMB_TOS_BLOCK':
      return { status: 'FAILED', reason: `WhatsApp blocked this number for breaking its terms of service (${state})`, wipeAuth: false }
    case 'PROXYBLOCK':
      return { status: 'FAILED', reason: 'WhatsApp refused the connection from this network or proxy (PROXYBLOCK); change the proxy in CHROME_ARGS or the network', wipeAuth: false }
    case 'DEPRECATED_VERSION':
      return { status: 'FAILED', reason: 'WhatsApp reports this WhatsApp Web version as outdated (DEPRECATED_VERSION); update whatsapp-web.js', wipeAuth: false }
    case 'UNPAIRED':
    case 'UNPAIRED_IDLE':
      return { status: 'FAILED', reason: `This device was unlinked (${state}); start the session and scan a new QR code to link it again`, wipeAuth: true }
    case 'UNLAUNCHED':
      return { status: 'FAILED', reason: 'WhatsApp Web stopped (UNLAUNCHED); restart the session', wipeAuth: false }
    default:
      return undefined
  }
}

export const LOGOUT_REASON = 'Logged out from the phone (Linked devices → Log out); start the session and scan a new QR code to link it again'

export function mismatchReason(linkedNumber: string, sessionNumber: string): string {
  return `Linked by +${linkedNumber}, but this session is for +${sessionNumber}, so the link was undone. Restart the session and scan the QR code with the WhatsApp of +${sessionNumber}`
}
