/**
 * Pure mappers from what WAHA answers to our DTOs. WAHA's document describes messages
 * (`WAMessage`), profiles, number checks and chat summaries; chats, contacts and groups
 * are engine objects it leaves undescribed (`type: object`), so those mappers read the
 * shapes WAHA's engines really return — WEBJS (whatsapp-web.js objects), NOWEB (Baileys),
 * GOWS (whatsmeow, capitalised keys) and the documented `GroupInfo` — and default what
 * none of them carries. No I/O here; unit-tested from fixtures.
 */
import { userOf } from '../../lib/chat-id'
import { messageTypeOfMime, WWEB_MESSAGE_TYPES } from '../message-types'
import { UpstreamError } from '../../errors'
import { labelColorHex } from '../../lib/label-colors'
import {
  ACK,
  CHANNEL_ROLES,
  type Ack,
  type ChannelDTO,
  type ChannelRole,
  type LabelDTO,
  type ChatDTO,
  type ContactDTO,
  type GroupDTO,
  type GroupParticipant,
  type Location,
  type MessageDTO,
  type MessageMediaInfo,
  type MessageType,
  type Poll,
  type ProfileDTO,
  type SessionStatus,
  type GroupInviteInfo,
} from '../engine'
import { messageIdOf } from './client'
import type { WahaSessionStatus } from './model'
import type { ChatSummary, MyProfile, WahaContact, WahaEngineObject, WahaGroup, WAMessage, WANumberExistResult } from './types'

// ─── Reading loosely typed engine objects ────────────────────────────────────

type Rec = Record<string, unknown>

function rec(value: unknown): Rec | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Rec) : undefined
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

function bool(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined
}

/** A number, also from a numeric string or a protobuf Long (`{low, high}`), as NOWEB sends timestamps. */
function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value)
  const long = rec(value)
  if (long && typeof long.low === 'number' && typeof long.high === 'number') return long.high * 2 ** 32 + (long.low >>> 0)
  return undefined
}

/** Unix seconds from seconds, milliseconds or an ISO date (GOWS). */
function unixSeconds(value: unknown): number | undefined {
  const n = num(value)
  if (n !== undefined) return Math.floor(n > 1e11 ? n / 1000 : n)
  if (typeof value === 'string') {
    const parsed = Date.parse(value)
    if (Number.isFinite(parsed)) return Math.floor(parsed / 1000)
  }
  return undefined
}

/** A WhatsApp id: a string, or whatsapp-web.js's `{_serialized}` object. */
export function serializedId(value: unknown): string | undefined {
  const direct = str(value)
  if (direct) return direct
  return str(rec(value)?._serialized)
}


// ─── Message ids ─────────────────────────────────────────────────────────────

/** WAHA's message id, `{fromMe}_{chat}_{id}[_{participant}]`: the one rule of src/lib/message-id.ts. */
export { parseMessageId } from '../../lib/message-id'

// ─── Status ──────────────────────────────────────────────────────────────────

/** Our status for a WAHA status; WAHA's passkey steps are an authentication in progress. */
export function wahaStatusToSessionStatus(status: WahaSessionStatus): { status: SessionStatus; reason?: string } {
  switch (status) {
    case 'PASSKEY_REQUIRED':
    case 'PASSKEY_CONFIRMATION_REQUIRED':
      return { status: 'STARTING', reason: `WAHA waits for a passkey (${status}); complete it on the WAHA server` }
    case 'FAILED':
      return { status: 'FAILED', reason: 'The WAHA session failed; restart it, and see the WAHA server logs if it fails again' }
    default:
      return { status }
  }
}

// ─── Messages ────────────────────────────────────────────────────────────────


/** Baileys/whatsmeow protobuf message keys (NOWEB lower camel case, GOWS upper). */
const PROTO_TYPES: Record<string, MessageType> = {
  conversation: 'text',
  extendedTextMessage: 'text',
  imageMessage: 'image',
  videoMessage: 'video',
  ptvMessage: 'video',
  audioMessage: 'audio',
  documentMessage: 'document',
  documentWithCaptionMessage: 'document',
  stickerMessage: 'sticker',
  locationMessage: 'location',
  liveLocationMessage: 'location',
  contactMessage: 'contact',
  contactsArrayMessage: 'contact',
  pollCreationMessage: 'poll',
  pollCreationMessageV2: 'poll',
  pollCreationMessageV3: 'poll',
}

function protoMessage(data: Rec | undefined): Rec | undefined {
  return rec(data?.message) ?? rec(data?.Message)
}

function lowerFirst(key: string): string {
  return key.charAt(0).toLowerCase() + key.slice(1)
}


function messageTypeOf(message: WAMessage): MessageType {
  const data = rec(message._data)
  const webjs = str(data?.type)
  if (webjs && WWEB_MESSAGE_TYPES[webjs]) return WWEB_MESSAGE_TYPES[webjs]
  const proto = protoMessage(data)
  if (proto) {
    for (const [rawKey, inner] of Object.entries(proto)) {
      const type = PROTO_TYPES[lowerFirst(rawKey)]
      if (!type) continue
      if (type === 'audio' && (bool(rec(inner)?.ptt) ?? bool(rec(inner)?.PTT))) return 'voice'
      return type
    }
  }
  if (message.location) return 'location'
  if (message.vCards && message.vCards.length > 0) return 'contact'
  if (message.hasMedia) return messageTypeOfMime(message.media?.mimetype ?? undefined)
  return message.body ? 'text' : 'unknown'
}

function locationOf(message: WAMessage): Location | undefined {
  const location = message.location
  if (!location) return undefined
  const latitude = Number(location.latitude)
  const longitude = Number(location.longitude)
  if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) return undefined
  const name = str(location.name) ?? str(location.description)
  const address = str(location.address)
  return { latitude, longitude, ...(name && { name }), ...(address && { address }) }
}

function pollOf(message: WAMessage): Poll | undefined {
  const data = rec(message._data)
  // WEBJS: pollName, pollOptions [{name}], pollSelectableOptionsCount (0 = any number).
  const webjsName = str(data?.pollName)
  if (webjsName && Array.isArray(data?.pollOptions)) {
    const options = data.pollOptions.map((option) => str(rec(option)?.name)).filter((name): name is string => name !== undefined)
    return { name: webjsName, options, multipleAnswers: num(data.pollSelectableOptionsCount) !== 1 }
  }
  // NOWEB/GOWS: message.pollCreationMessage{,V2,V3} {name, options [{optionName}], selectableOptionsCount}.
  const proto = protoMessage(data)
  for (const [rawKey, inner] of Object.entries(proto ?? {})) {
    if (PROTO_TYPES[lowerFirst(rawKey)] !== 'poll') continue
    const poll = rec(inner)
    const name = str(poll?.name) ?? str(poll?.Name)
    const rawOptions = poll?.options ?? poll?.Options
    if (!name || !Array.isArray(rawOptions)) return undefined
    const options = rawOptions
      .map((option) => str(rec(option)?.optionName) ?? str(rec(option)?.OptionName))
      .filter((optionName): optionName is string => optionName !== undefined)
    return { name, options, multipleAnswers: num(poll?.selectableOptionsCount ?? poll?.SelectableOptionsCount) !== 1 }
  }
  return undefined
}

/** A valid ack level, else `fallback`. */
export function ackOf(value: unknown, fallback: Ack): Ack {
  const n = num(value)
  return n !== undefined && Number.isInteger(n) && n >= ACK.ERROR && n <= ACK.PLAYED ? (n as Ack) : fallback
}

/** The chat a WAHA message belongs to: `to` for our own messages, `from` otherwise (the document's definitions). */
export function chatIdOfMessage(message: { from: string; to: string; fromMe: boolean }): string {
  return message.fromMe ? message.to : message.from
}

/** WAHA's `WAMessage` → our MessageDTO. */
export function wahaMessageToDto(message: WAMessage): MessageDTO {
  const type = messageTypeOf(message)
  const mimetype = message.hasMedia ? str(message.media?.mimetype) : undefined
  const filename = str(message.media?.filename)
  const media: MessageMediaInfo | undefined = mimetype ? { mimetype, ...(filename && { filename }) } : undefined
  const participant = str(message.participant) ?? str(message.author)
  const location = locationOf(message)
  const poll = type === 'poll' ? pollOf(message) : undefined
  const replyTo = str(message.replyTo?.id)
  const data = rec(message._data)
  const isForwarded = bool(data?.isForwarded)
  return {
    id: message.id,
    timestamp: message.timestamp,
    chatId: chatIdOfMessage(message),
    from: message.from,
    to: message.to,
    fromMe: message.fromMe,
    ...(participant && { participant }),
    type,
    body: message.body ?? '',
    hasMedia: message.hasMedia,
    ...(media && { media }),
    // WAHA leaves `ack` out for some incoming messages: they reached this device.
    ack: ackOf(message.ack, message.fromMe ? ACK.PENDING : ACK.DEVICE),
    ...(replyTo && { replyTo }),
    ...(location && { location }),
    ...(message.vCards && message.vCards.length > 0 && { vcards: message.vCards }),
    ...(poll && { poll }),
    ...(isForwarded !== undefined && { isForwarded }),
  }
}

/** What we know of a message we just sent, to complete WAHA's engine-specific send answer. */
export interface SentMessage {
  chatId: string
  from: string
  type: MessageType
  body: string
  media?: MessageMediaInfo
  replyTo?: string
  location?: Location
  vcards?: string[]
  poll?: Poll
}

/**
 * A send answer → MessageDTO. `sendText`/`forwardMessage` answer a documented
 * `WAMessage`; the other sends answer the engine's own message object, of which only the
 * id (in any engine's shape), timestamp and ack are read; the rest is what we sent.
 * Without an id the message cannot be referred to again, so that is an upstream error.
 */
export function sentMessageToDto(result: unknown, sent: SentMessage, now: () => number = Date.now): MessageDTO {
  const id = messageIdOf(result)
  if (!id) throw new UpstreamError('WAHA accepted the message but answered without its id; it was probably sent, check the chat before retrying')
  const answer = rec(result) ?? {}
  const timestamp = unixSeconds(answer.timestamp) ?? unixSeconds(answer.messageTimestamp) ?? Math.floor(now() / 1000)
  return {
    id,
    timestamp,
    chatId: sent.chatId,
    from: sent.from,
    to: sent.chatId,
    fromMe: true,
    type: sent.type,
    body: sent.body,
    hasMedia: sent.media !== undefined,
    ...(sent.media && { media: sent.media }),
    ack: ackOf(answer.ack, ACK.PENDING),
    ...(sent.replyTo && { replyTo: sent.replyTo }),
    ...(sent.location && { location: sent.location }),
    ...(sent.vcards && { vcards: sent.vcards }),
    ...(sent.poll && { poll: sent.poll }),
  }
}

function looksLikeWAMessage(value: unknown): value is WAMessage {
  const message = rec(value)
  return (
    message !== undefined &&
    typeof message.id === 'string' &&
    typeof message.from === 'string' &&
    typeof message.to === 'string' &&
    typeof message.fromMe === 'boolean' &&
    typeof message.timestamp === 'number' &&
    typeof message.hasMedia === 'boolean'
  )
}

/**
 * A `forwardMessage` answer → MessageDTO: a documented `WAMessage` is mapped whole; an
 * engine's own message object gives its id, type (WEBJS `type`), body and media flag.
 */
export function forwardedMessageToDto(result: unknown, chatId: string, from: string, now: () => number = Date.now): MessageDTO {
  if (looksLikeWAMessage(result)) return { ...wahaMessageToDto(result), isForwarded: true }
  const answer = rec(result)
  const webjsType = str(answer?.type)
  const type = (webjsType && WWEB_MESSAGE_TYPES[webjsType]) || 'unknown'
  const body = typeof answer?.body === 'string' ? answer.body : ''
  const message = sentMessageToDto(result, { chatId, from, type, body }, now)
  return { ...message, hasMedia: bool(answer?.hasMedia) ?? false, isForwarded: true }
}

// ─── Chats ───────────────────────────────────────────────────────────────────

function lastMessageOf(value: unknown): ChatDTO['lastMessage'] | undefined {
  const message = rec(value)
  if (!message) return undefined
  const timestamp = unixSeconds(message.timestamp) ?? unixSeconds(message.messageTimestamp)
  if (timestamp === undefined) return undefined
  const fromMe = bool(message.fromMe) ?? bool(rec(message.id)?.fromMe) ?? bool(rec(message.key)?.fromMe) ?? false
  const body = typeof message.body === 'string' ? message.body : ''
  return { body, timestamp, fromMe }
}

/** A chat of `GET /api/{session}/chats` (WEBJS Chat, NOWEB/GOWS chat records) → ChatDTO. */
export function wahaChatToDto(chat: WahaEngineObject): ChatDTO {
  const id = serializedId(chat.id) ?? serializedId(chat.JID) ?? serializedId(chat.jid)
  if (!id) throw new UpstreamError('WAHA answered a chat without an id')
  const lastMessage = lastMessageOf(chat.lastMessage)
  const timestamp =
    unixSeconds(chat.timestamp) ?? unixSeconds(chat.conversationTimestamp) ?? lastMessage?.timestamp ?? 0
  return {
    id,
    name: str(chat.name) ?? str(chat.Name) ?? str(chat.subject) ?? str(chat.formattedTitle) ?? userOf(id),
    isGroup: bool(chat.isGroup) ?? id.endsWith('@g.us'),
    // WhatsApp Web says -1 for a chat the user marked unread; the API counts whole messages from 0.
    unreadCount: Math.max(0, Math.trunc(num(chat.unreadCount) ?? num(chat.UnreadCount) ?? 0)),
    archived: bool(chat.archived) ?? bool(chat.archive) ?? bool(chat.Archived) ?? false,
    timestamp,
    ...(lastMessage && { lastMessage }),
  }
}

/** A documented `ChatSummary` (`GET /api/{session}/chats/overview`) → ChatDTO; `_chat` fills what it lacks. */
export function wahaChatSummaryToDto(summary: ChatSummary): ChatDTO {
  const fromChat = wahaChatToDto({ ...(rec(summary._chat) ?? {}), id: summary.id })
  const lastMessage = lastMessageOf(summary.lastMessage) ?? fromChat.lastMessage
  return {
    ...fromChat,
    name: str(summary.name) ?? fromChat.name,
    timestamp: Math.max(fromChat.timestamp, lastMessage?.timestamp ?? 0),
    ...(lastMessage && { lastMessage }),
  }
}

// ─── Contacts ────────────────────────────────────────────────────────────────

export function wahaContactToDto(contact: WahaContact): ContactDTO {
  const id = serializedId(contact.id)
  if (!id) throw new UpstreamError('WAHA answered a contact without an id')
  return {
    id,
    name: str(contact.name) ?? null,
    pushname: str(contact.pushname) ?? str(contact.pushName) ?? null,
    number: str(contact.number) ?? userOf(id),
    isMyContact: contact.isMyContact ?? false,
    isBusiness: contact.isBusiness ?? false,
    isBlocked: contact.isBlocked ?? false,
  }
}

export function wahaNumberCheckToDto(number: string, result: WANumberExistResult): { number: string; exists: boolean; jid: string | null } {
  return { number, exists: result.numberExists, jid: result.numberExists ? (str(result.chatId) ?? null) : null }
}

// ─── Groups ──────────────────────────────────────────────────────────────────

function participantOf(value: unknown): GroupParticipant | undefined {
  const participant = rec(value)
  if (!participant) return undefined
  let id = serializedId(participant.id) ?? serializedId(participant.JID)
  // WAHA's documented participant may be a @lid with the phone JID in `pn`.
  const pn = str(participant.pn) ?? serializedId(participant.PhoneNumber)
  if (id?.endsWith('@lid') && pn) id = pn
  if (!id) return undefined
  const role = str(participant.role) // documented GroupParticipant: left/participant/admin/superadmin
  if (role === 'left') return undefined
  const admin = str(participant.admin) // NOWEB: 'admin' | 'superadmin' | null
  const isSuperAdmin = role === 'superadmin' || admin === 'superadmin' || bool(participant.isSuperAdmin) === true || bool(participant.IsSuperAdmin) === true
  const isAdmin = isSuperAdmin || role === 'admin' || admin === 'admin' || bool(participant.isAdmin) === true || bool(participant.IsAdmin) === true
  return { id, isAdmin, isSuperAdmin }
}

/** The group id of a create/get answer in any engine's shape; undefined when absent. */
export function groupIdOf(group: WahaGroup): string | undefined {
  const metadata = rec(group.groupMetadata)
  return serializedId(group.id) ?? serializedId(group.gid) ?? serializedId(group.JID) ?? serializedId(metadata?.id)
}

/**
 * A WAHA group (WEBJS GroupChat with `groupMetadata`, NOWEB GroupMetadata, GOWS GroupInfo,
 * or the documented `GroupInfo`) → GroupDTO.
 */
export function wahaGroupToDto(group: WahaGroup): GroupDTO {
  const id = groupIdOf(group)
  if (!id) throw new UpstreamError('WAHA answered a group without an id')
  const meta = rec(group.groupMetadata) ?? group
  const rawParticipants = meta.participants ?? group.participants ?? group.Participants
  const participants = Array.isArray(rawParticipants)
    ? rawParticipants.map(participantOf).filter((p): p is GroupParticipant => p !== undefined)
    : []
  const owner = serializedId(meta.owner) ?? serializedId(group.OwnerJID) ?? serializedId(meta.subjectOwner) ?? null
  const membersCanSend = bool(meta.membersCanSendMessages)
  const createdAt = unixSeconds(meta.creation) ?? unixSeconds(group.GroupCreated)
  return {
    id,
    subject: str(meta.subject) ?? str(group.name) ?? str(group.Name) ?? str(group.title) ?? '',
    description: str(meta.desc) ?? str(meta.description) ?? str(group.Topic) ?? null,
    owner,
    participants,
    messagesAdminsOnly: bool(meta.announce) ?? bool(group.IsAnnounce) ?? (membersCanSend === undefined ? false : !membersCanSend),
    infoAdminsOnly: bool(meta.restrict) ?? bool(group.IsLocked) ?? false,
    ...(createdAt !== undefined && { createdAt }),
  }
}

/**
 * WAHA's join-info answer (the engine's own group metadata: WEBJS/NOWEB `GroupMetadata`,
 * GOWS `GroupInfo`) → what an invite tells before joining.
 */
export function wahaInviteInfoToDto(info: WahaEngineObject): GroupInviteInfo {
  const id = serializedId(info.id) ?? serializedId(info.JID) ?? serializedId(info.gid)
  if (!id) throw new UpstreamError('WAHA answered the invite info without a group id')
  const participants = info.participants ?? info.Participants
  const approval = rec(info.MembershipApprovalMode)
  const createdAt = unixSeconds(info.creation) ?? unixSeconds(info.GroupCreated)
  return {
    groupId: id,
    subject: str(info.subject) ?? str(info.Name) ?? '',
    description: str(info.desc) ?? str(info.description) ?? str(info.Topic) ?? null,
    owner: serializedId(info.owner) ?? serializedId(info.OwnerJID) ?? null,
    size: num(info.size) ?? (Array.isArray(participants) ? participants.length : 0),
    membershipApproval: bool(info.membershipApprovalMode) ?? bool(info.joinApprovalMode) ?? bool(approval?.IsJoinApprovalRequired) ?? false,
    ...(createdAt !== undefined && { createdAt }),
  }
}

/** WAHA's invite code answer (a code or a whole link) → the link. */
export function inviteLinkOf(code: string): string {
  const trimmed = code.trim()
  if (!trimmed) throw new UpstreamError('WAHA answered an empty invite code')
  return /^https?:\/\//.test(trimmed) ? trimmed : `https://chat.whatsapp.com/${trimmed}`
}

// ─── Profile ─────────────────────────────────────────────────────────────────

export function wahaProfileToDto(profile: MyProfile, about?: string | null): ProfileDTO {
  return {
    id: profile.id,
    pushname: profile.name ?? '',
    phone: userOf(profile.id),
    ...(typeof about === 'string' && { status: about }),
    pictureUrl: profile.picture ?? null,
  }
}

// ─── Issue 13 part B: labels and channels ──────────────────────────────────

/** A WAHA label; the colour as WAHA gives it (index and hex), the hex derived when an engine leaves it out. */
export function wahaLabelToDto(label: { id: string; name: string; color: number; colorHex?: string }): LabelDTO {
  const color = Number.isInteger(label.color) ? label.color : 0
  return { id: String(label.id), name: label.name, color, colorHex: (label.colorHex || labelColorHex(color)).toLowerCase() }
}

export function wahaChannelToDto(channel: { id: string; name: string; description?: string; role: string; subscribersCount?: number; invite?: string }): ChannelDTO {
  const role = (CHANNEL_ROLES as readonly string[]).includes(channel.role) ? (channel.role as ChannelRole) : 'GUEST'
  return {
    id: channel.id,
    name: channel.name,
    description: channel.description ?? '',
    role,
    ...(typeof channel.subscribersCount === 'number' && { subscribers: channel.subscribersCount }),
    ...(channel.invite && { invite: channel.invite }),
  }
}
