/** Our DTOs in WAHA's shapes (`WAMessage`, `SessionInfo`, contacts, groups…). Pure functions. */
import type { HistoryMessage } from '../../messaging/message-store'
import type { ChannelDTO, ChatDTO, ContactDTO, GroupDTO, GroupParticipant, Me } from '../../providers/engine'
import type { SessionView } from '../../sessions/manager'
import { wahaStatus } from './errors'

/**
 * A stored message as WAHA's `WAMessage`. WAHA's schema requires `participant` and
 * `mediaUrl` as strings: `participant` is who sent it (the group author, else the sender),
 * `mediaUrl` the download link ('' without media). `source` is `api` for our own messages
 * (sent through this server or the phone: we cannot tell them apart afterwards) — WAHA
 * only distinguishes them in events.
 */
export function toWaMessage(message: HistoryMessage, publicUrl: string, me?: Me): Record<string, unknown> {
  const sender = message.participant ?? (message.fromMe ? (me?.id ?? message.from) : message.from)
  const mediaUrl = message.media ? `${publicUrl}${message.media.url}` : ''
  return {
    id: message.id,
    timestamp: message.timestamp,
    from: message.from,
    fromMe: message.fromMe,
    source: message.fromMe ? 'api' : 'app',
    to: message.to,
    participant: sender,
    ...(message.participant && { author: message.participant }),
    body: message.body,
    hasMedia: message.hasMedia,
    ...(message.media && { media: { url: mediaUrl, mimetype: message.media.mimetype, filename: message.media.filename ?? '' } }),
    mediaUrl,
    ack: message.ack,
    ackName: message.ackName,
    ...(message.location && {
      location: {
        latitude: String(message.location.latitude),
        longitude: String(message.location.longitude),
        live: false,
        ...(message.location.name !== undefined && { name: message.location.name }),
        ...(message.location.address !== undefined && { address: message.location.address }),
      },
    }),
    ...(message.vcards && { vCards: message.vcards }),
    ...(message.replyTo && { replyTo: { id: message.replyTo.id, hasMedia: false } }),
    ...(message.poll && { poll: message.poll }),
    ...(message.mentions && { mentionedIds: message.mentions }),
    ...(message.isForwarded !== undefined && { isForwarded: message.isForwarded }),
    ...(message.edited && { edited: true }),
    ...(message.reactions && { reactions: message.reactions }),
    chatId: message.chatId,
    type: message.type,
  }
}

export function meInfo(me: Me | undefined): { id: string; pushName: string } | null {
  return me ? { id: me.id, pushName: me.pushName ?? '' } : null
}

/** `SessionDTO`: name, status, config. */
export function sessionDto(name: string, view: SessionView, config: Record<string, unknown> | undefined) {
  return { name, status: wahaStatus(view.status), config: config ?? {} }
}

/** `SessionInfo`: SessionDTO plus me, presence, timestamps, engine. */
/** `envelopeName`: WAHA's name of the session's engine (the engine registry's, through the events runtime). */
export function sessionInfo(name: string, view: SessionView, config: Record<string, unknown> | undefined, activity: number | null, envelopeName: (engine: string) => string) {
  return {
    ...sessionDto(name, view, config),
    // Absent until linked (WAHA's schema has no null for it).
    ...(view.me && { me: meInfo(view.me) }),
    // WAHA's own presence of the session; we do not track it, so none is reported.
    presence: {},
    timestamps: { activity },
    engine: { engine: envelopeName(view.engine), state: view.state, ...(view.reason !== undefined && { reason: view.reason }) },
    assignedWorker: '',
  }
}

export function waChat(chat: ChatDTO) {
  return {
    id: chat.id,
    name: chat.name,
    isGroup: chat.isGroup,
    unreadCount: chat.unreadCount,
    archived: chat.archived,
    timestamp: chat.timestamp,
    ...(chat.lastMessage && { lastMessage: chat.lastMessage }),
  }
}

/** A contact as WAHA's WEBJS engine returns them (whatsapp-web.js `Contact`). */
export function waContact(contact: ContactDTO) {
  const isGroup = contact.id.endsWith('@g.us')
  return {
    id: contact.id,
    number: contact.number,
    name: contact.name,
    pushname: contact.pushname,
    shortName: contact.name,
    isMe: false,
    isGroup,
    isUser: !isGroup,
    isWAContact: true,
    isMyContact: contact.isMyContact,
    isBusiness: contact.isBusiness,
    isBlocked: contact.isBlocked,
  }
}

export function participantRole(participant: GroupParticipant): 'participant' | 'admin' | 'superadmin' {
  return participant.isSuperAdmin ? 'superadmin' : participant.isAdmin ? 'admin' : 'participant'
}

/** A group as WAHA returns it: the whatsapp-web.js `GroupChat` fields a client reads. */
export function waGroup(group: GroupDTO) {
  return {
    id: group.id,
    name: group.subject,
    subject: group.subject,
    description: group.description,
    owner: group.owner,
    isGroup: true,
    participants: group.participants.map((p) => ({ id: p.id, isAdmin: p.isAdmin, isSuperAdmin: p.isSuperAdmin })),
    groupMetadata: {
      id: group.id,
      subject: group.subject,
      desc: group.description,
      owner: group.owner,
      announce: group.messagesAdminsOnly,
      restrict: group.infoAdminsOnly,
      participants: group.participants.map((p) => ({ id: p.id, isAdmin: p.isAdmin, isSuperAdmin: p.isSuperAdmin })),
      ...(group.createdAt !== undefined && { creation: group.createdAt }),
    },
  }
}

/** `https://chat.whatsapp.com/CODE` → `CODE`: WAHA answers the code. */
export function inviteCodeOf(link: string): string {
  return link.replace(/^https?:\/\/chat\.whatsapp\.com\//, '')
}

/** Our channel as WAHA's `Channel` (which requires an invite link, `verified` and a follower count). */
export function waChannel(channel: ChannelDTO): Record<string, unknown> {
  return {
    id: channel.id,
    name: channel.name,
    invite: channel.invite ?? '',
    role: channel.role,
    description: channel.description,
    verified: false,
    subscribersCount: channel.subscribers ?? 0,
  }
}
