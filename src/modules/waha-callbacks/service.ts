/**
 * Inbound WAHA callbacks: a WAHA server (the `waha` engine's backend) posts its webhook
 * envelopes here. Each is turned into our provider events and handed to the session's
 * engine, which updates its state and emits them into the one pipeline (outbox →
 * webhooks, SSE, message store). WAHA retries its webhooks and sends a received message
 * both as `message` and `message.any`, so repeats are recognised and published once.
 *
 * WAHA's session name is our phone number (the waha engine names its WAHA sessions so).
 */
import { BadRequestError } from '../../errors'
import type { EventIngest } from '../../events/ingest'
import { parsePhoneNumber } from '../../lib/phone'
import {
  ACK,
  type Ack,
  type MessageDTO,
  type MessageType,
  type ParticipantAction,
  type ProviderEvent,
  type SessionStatus,
} from '../../providers/provider'
import type {
  WahaMessageWebhookBody,
  WahaSessionStatus,
  WahaStateChangeWebhookBody,
  WAMessage,
} from '../../providers/waha/model'
import type { SessionManager } from '../../sessions/manager'

/** Remembers recent keys per session, forgetting the oldest beyond `capacity`. */
class RecentKeys {
  private readonly bySession = new Map<string, Set<string>>()

  constructor(private readonly capacity: number) {}

  has(session: string, key: string): boolean {
    return this.bySession.get(session)?.has(key) ?? false
  }

  add(session: string, key: string): void {
    let set = this.bySession.get(session)
    if (!set) {
      set = new Set()
      this.bySession.set(session, set)
    }
    set.add(key)
    if (set.size > this.capacity) set.delete(set.values().next().value!)
  }
}

const WEBJS_TYPES: Record<string, MessageType> = {
  chat: 'text',
  image: 'image',
  video: 'video',
  audio: 'audio',
  ptt: 'voice',
  document: 'document',
  sticker: 'sticker',
  location: 'location',
  vcard: 'contact',
  multi_vcard: 'contact',
  poll_creation: 'poll',
  revoked: 'revoked',
}

function mediaType(mimetype: string): MessageType {
  if (mimetype.startsWith('image/webp')) return 'sticker'
  if (mimetype.startsWith('image/')) return 'image'
  if (mimetype.startsWith('video/')) return 'video'
  if (mimetype.startsWith('audio/ogg')) return 'voice'
  if (mimetype.startsWith('audio/')) return 'audio'
  return 'document'
}

function typeOf(message: WAMessage): MessageType {
  const raw = message._data
  if (raw && typeof raw === 'object' && 'type' in raw && typeof raw.type === 'string' && WEBJS_TYPES[raw.type]) return WEBJS_TYPES[raw.type]!
  if (message.location) return 'location'
  if (message.vCards && message.vCards.length > 0) return 'contact'
  if (message.hasMedia) return message.media?.mimetype ? mediaType(message.media.mimetype) : 'document'
  return 'text'
}

function toAck(value: number | null | undefined, fromMe: boolean): Ack {
  const rounded = value === null || value === undefined ? undefined : Math.round(value)
  const known = Object.values(ACK) as number[]
  if (rounded !== undefined && known.includes(rounded)) return rounded as Ack
  return fromMe ? ACK.SERVER : ACK.DEVICE
}

function coordinate(value: string | number): number | undefined {
  const number = typeof value === 'number' ? value : Number(value)
  return Number.isFinite(number) ? number : undefined
}

/** WAHA sends coordinates as strings (numbers on WEBJS); an unreadable location is left out rather than the message refused. */
function locationOf(location: WAMessage['location']): MessageDTO['location'] {
  if (!location) return undefined
  const latitude = coordinate(location.latitude)
  const longitude = coordinate(location.longitude)
  if (latitude === undefined || longitude === undefined) return undefined
  return { latitude, longitude, ...(location.name && { name: location.name }), ...(location.address && { address: location.address }) }
}

/** WAHA's `WAMessage` as our MessageDTO. */
export function messageFromWaha(message: WAMessage): MessageDTO {
  const chatId = message.fromMe ? message.to : message.from
  const participant = message.participant ?? message.author ?? undefined
  const location = locationOf(message.location)
  return {
    id: message.id,
    timestamp: Math.floor(message.timestamp),
    chatId,
    from: message.from,
    to: message.to,
    fromMe: message.fromMe,
    ...(participant && { participant }),
    type: typeOf(message),
    body: message.body ?? '',
    hasMedia: message.hasMedia,
    ...(message.hasMedia &&
      message.media?.mimetype && {
        media: { mimetype: message.media.mimetype, ...(message.media.filename && { filename: message.media.filename }) },
      }),
    ack: toAck(message.ack, message.fromMe),
    ...(message.replyTo?.id && { replyTo: message.replyTo.id }),
    ...(location && { location }),
    ...(message.vCards && message.vCards.length > 0 && { vcards: message.vCards }),
  }
}

const PARTICIPANT_ACTIONS: Record<'join' | 'leave' | 'promote' | 'demote', ParticipantAction> = {
  join: 'add',
  leave: 'remove',
  promote: 'promote',
  demote: 'demote',
}

/** WAHA statuses we do not have: the passkey steps are part of linking (AUTHENTICATING). */
export function statusFromWaha(status: WahaSessionStatus): SessionStatus {
  if (status === 'PASSKEY_REQUIRED' || status === 'PASSKEY_CONFIRMATION_REQUIRED') return 'SCAN_QR_CODE'
  return status
}

const nowSeconds = () => Math.floor(Date.now() / 1000)

/** The provider events one WAHA envelope stands for (several for a presence update with several people). */
export function providerEventsFrom(envelope: WahaMessageWebhookBody | WahaStateChangeWebhookBody): ProviderEvent[] {
  switch (envelope.event) {
    case 'session.status': {
      const me = envelope.me ? { id: envelope.me.id, ...(envelope.me.pushName && { pushName: envelope.me.pushName }) } : undefined
      return [{ type: 'session.status', status: statusFromWaha(envelope.payload.status), ...(me && { me }) }]
    }
    case 'state.change':
      return []
    case 'message':
    case 'message.any':
      return [{ type: 'message', message: messageFromWaha(envelope.payload) }]
    case 'message.ack': {
      const p = envelope.payload
      return [{ type: 'message.ack', id: p.id, chatId: p.fromMe ? p.to : p.from, from: p.from, to: p.to, fromMe: p.fromMe, ack: toAck(p.ack, p.fromMe) }]
    }
    case 'message.reaction': {
      const p = envelope.payload
      return [
        {
          type: 'message.reaction',
          id: p.id,
          chatId: p.fromMe ? p.to : p.from,
          from: p.participant ?? p.from,
          fromMe: p.fromMe,
          timestamp: Math.floor(p.timestamp),
          reaction: { text: p.reaction.text, messageId: p.reaction.messageId },
        },
      ]
    }
    case 'message.revoked': {
      const p = envelope.payload
      const message = p.before ?? p.after
      const revokedMessageId = p.revokedMessageId ?? p.before?.id
      if (!message || !revokedMessageId) throw new BadRequestError('message.revoked needs revokedMessageId and the message (before or after)')
      return [
        {
          type: 'message.revoked',
          chatId: message.fromMe ? message.to : message.from,
          revokedMessageId,
          from: message.from,
          fromMe: message.fromMe,
          timestamp: Math.floor(p.after?.timestamp ?? message.timestamp),
        },
      ]
    }
    case 'message.edited': {
      const p = envelope.payload
      return [
        {
          type: 'message.edited',
          chatId: p.fromMe ? p.to : p.from,
          editedMessageId: p.editedMessageId ?? p.id,
          body: p.body ?? '',
          from: p.from,
          fromMe: p.fromMe,
          timestamp: Math.floor(p.timestamp),
        },
      ]
    }
    case 'group.v2.join': {
      const group = envelope.payload.group
      return [{ type: 'group.v2.join', group: { id: group.id, subject: group.subject }, timestamp: Math.floor(envelope.payload.timestamp) }]
    }
    case 'group.v2.leave':
      return [{ type: 'group.v2.leave', group: { id: envelope.payload.group.id }, timestamp: Math.floor(envelope.payload.timestamp) }]
    case 'group.v2.participants': {
      const p = envelope.payload
      return [
        {
          type: 'group.v2.participants',
          group: { id: p.group.id },
          action: PARTICIPANT_ACTIONS[p.type],
          participants: p.participants.map((participant) => participant.pn ?? participant.id),
          timestamp: Math.floor(p.timestamp),
        },
      ]
    }
    case 'group.v2.update': {
      const group: Record<string, unknown> = envelope.payload.group
      if (typeof group.id !== 'string' || group.id === '') throw new BadRequestError('group.v2.update needs payload.group.id')
      const subject = typeof group.subject === 'string' ? group.subject : undefined
      const description = typeof group.description === 'string' ? group.description : undefined
      return [
        {
          type: 'group.v2.update',
          group: { id: group.id, ...(subject !== undefined && { subject }), ...(description !== undefined && { description }) },
          timestamp: Math.floor(envelope.payload.timestamp),
        },
      ]
    }
    case 'presence.update':
      return envelope.payload.presences.map((presence) => ({
        type: 'presence.update' as const,
        chatId: envelope.payload.id,
        participant: presence.participant,
        state: presence.lastKnownPresence,
        timestamp: Math.floor(presence.lastSeen ?? nowSeconds()),
      }))
    case 'call.received': {
      const p = envelope.payload
      return [{ type: 'call.received', id: p.id, from: p.from ?? '', isVideo: p.isVideo, isGroup: p.isGroup, timestamp: Math.floor(p.timestamp) }]
    }
  }
}

export interface CallbackResult {
  success: true
  /** How many events entered the pipeline (0 for a repeat, or WAHA's informational `state.change`). */
  published: number
  duplicate: boolean
}

export class WahaCallbacksService {
  private readonly envelopes = new RecentKeys(5000)
  private readonly messages = new RecentKeys(5000)

  constructor(
    private readonly sessions: SessionManager,
    private readonly ingest: EventIngest,
  ) {}

  async accept(envelope: WahaMessageWebhookBody | WahaStateChangeWebhookBody): Promise<CallbackResult> {
    const session = parsePhoneNumber(envelope.session)
    if (this.envelopes.has(session, envelope.id)) return { success: true, published: 0, duplicate: true }
    const events = providerEventsFrom(envelope)
    if (events.length === 0) {
      await this.sessions.get(session) // 404 for an unknown session, as for every other callback
      return { success: true, published: 0, duplicate: false }
    }
    // A received message comes twice (`message` and `message.any`); the pipeline derives both from one.
    const messageKey = events[0]?.type === 'message' ? events[0].message.id : undefined
    if (messageKey !== undefined && this.messages.has(session, messageKey)) {
      this.envelopes.add(session, envelope.id)
      return { success: true, published: 0, duplicate: true }
    }
    for (const event of events) await this.sessions.deliverCallbackEvent(session, event)
    this.envelopes.add(session, envelope.id)
    if (messageKey !== undefined) this.messages.add(session, messageKey)
    // Answer once the events are committed to the outbox, so WAHA retries anything we did not store.
    await this.ingest.idle()
    return { success: true, published: events.length, duplicate: false }
  }
}
