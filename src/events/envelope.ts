/**
 * The one event model (API.md §7): every engine event becomes one or more envelopes
 * with WAHA's field names, so a consumer written for WAHA's webhooks reads ours as is:
 *
 *   { id: "evt_…", timestamp: <ms>, event, session, me, engine, payload }
 *
 * Mapping: an engine `message` (every message, sent or received) becomes WAHA's
 * `message.any`, and also `message` when it was received (not `fromMe`). Internal events
 * (`qr`, `engine.crashed`) are not published: WAHA does not send the QR in events either
 * (`session.status` says SCAN_QR_CODE; the QR is fetched from `GET /:phoneNumber/qr`).
 * Pure functions, no I/O: the outbox writes what this returns.
 */
import { mediaUrl } from '../lib/api-paths'
import { eventId } from '../lib/ids'
import { ackName, type EventName, type Me, type MessageDTO, type ParticipantAction, type EngineEvent, type SessionStatus } from '../providers/engine'
import type { SessionEvent } from './bus'


export interface Envelope {
  id: string
  /** Unix milliseconds when the server received the event. */
  timestamp: number
  event: EventName
  session: string
  me?: Me
  /** The engine's envelope name (WAHA's names: `WEBJS`, `SIMULATOR`, `WAHA`, …), from the engine registry. */
  engine: string
  payload: Record<string, unknown>
}

export interface EnvelopeOptions {
  /** This server's public base URL, for media links. */
  publicUrl: string
  /** An engine's envelope name (the registry's); without it, the engine name in capitals. */
  envelopeName?: (engine: string) => string
}


/** A message as WAHA's `WAMessage`, plus our `chatId` and `type`. */
export function messagePayload(message: MessageDTO, session: string, options: EnvelopeOptions): Record<string, unknown> {
  return {
    id: message.id,
    timestamp: message.timestamp,
    from: message.from,
    fromMe: message.fromMe,
    to: message.to,
    chatId: message.chatId,
    ...(message.participant && { participant: message.participant, author: message.participant }),
    type: message.type,
    body: message.body,
    hasMedia: message.hasMedia,
    ...(message.hasMedia &&
      message.media && {
        media: {
          url: mediaUrl(options.publicUrl, session, message.chatId, message.id),
          mimetype: message.media.mimetype,
          filename: message.media.filename ?? null,
          ...(message.media.size !== undefined && { size: message.media.size }),
        },
      }),
    ack: message.ack,
    ackName: ackName(message.ack),
    ...(message.replyTo && { replyTo: { id: message.replyTo } }),
    ...(message.location && { location: message.location }),
    ...(message.vcards && { vCards: message.vcards }),
    ...(message.poll && { poll: message.poll }),
    ...(message.mentions && { mentionedIds: message.mentions }),
    ...(message.isForwarded !== undefined && { isForwarded: message.isForwarded }),
    ...(message.edited !== undefined && { edited: message.edited }),
    ...(message.viewOnce && { isViewOnce: true }),
    ...(message.durationSeconds !== undefined && { duration: message.durationSeconds }),
    ...(message.waveform && { waveform: message.waveform }),
  }
}

const PARTICIPANT_TYPES: Record<ParticipantAction, { type: string; role: string }> = {
  add: { type: 'join', role: 'participant' },
  remove: { type: 'leave', role: 'left' },
  promote: { type: 'promote', role: 'admin' },
  demote: { type: 'demote', role: 'participant' },
}

/** Recent statuses of each session, for WAHA's `statuses` list in `session.status`. */
export class StatusHistory {
  private readonly history = new Map<string, Array<{ status: SessionStatus; timestamp: number }>>()

  constructor(private readonly keep = 10) {}

  record(session: string, status: SessionStatus, timestamp: number): Array<{ status: SessionStatus; timestamp: number }> {
    const list = this.history.get(session) ?? []
    // The same event written again (its transaction was retried) is not a new status.
    const last = list.at(-1)
    if (last?.status !== status || last.timestamp !== timestamp) list.push({ status, timestamp })
    if (list.length > this.keep) list.splice(0, list.length - this.keep)
    this.history.set(session, list)
    return [...list]
  }

  forget(session: string): void {
    this.history.delete(session)
  }
}

type Published = { event: EventName; payload: Record<string, unknown> }

function payloadsOf(source: SessionEvent, options: EnvelopeOptions, statuses: StatusHistory): Published[] {
  const event: EngineEvent = source.event
  const me = source.me
  switch (event.type) {
    case 'qr':
    case 'engine.crashed':
      return []
    case 'session.status':
      return [
        {
          event: 'session.status',
          payload: {
            name: source.session,
            status: event.status,
            statuses: statuses.record(source.session, event.status, source.receivedAt),
            ...((event.me ?? me) && { me: event.me ?? me }),
            ...(event.reason !== undefined && { reason: event.reason }),
          },
        },
      ]
    case 'message': {
      const payload = messagePayload(event.message, source.session, options)
      return event.message.fromMe ? [{ event: 'message.any', payload }] : [{ event: 'message', payload }, { event: 'message.any', payload }]
    }
    case 'message.ack':
      return [
        {
          event: 'message.ack',
          payload: { id: event.id, chatId: event.chatId, from: event.from, to: event.to, fromMe: event.fromMe, ack: event.ack, ackName: ackName(event.ack) },
        },
      ]
    case 'message.reaction':
      return [
        {
          event: 'message.reaction',
          payload: {
            id: event.id,
            timestamp: event.timestamp,
            chatId: event.chatId,
            from: event.from,
            fromMe: event.fromMe,
            to: event.fromMe ? event.chatId : (me?.id ?? event.chatId),
            reaction: { text: event.reaction.text, messageId: event.reaction.messageId },
          },
        },
      ]
    case 'message.revoked':
      return [
        {
          event: 'message.revoked',
          payload: { revokedMessageId: event.revokedMessageId, chatId: event.chatId, from: event.from, fromMe: event.fromMe, timestamp: event.timestamp },
        },
      ]
    case 'message.edited':
      return [
        {
          event: 'message.edited',
          payload: { editedMessageId: event.editedMessageId, chatId: event.chatId, body: event.body, from: event.from, fromMe: event.fromMe, timestamp: event.timestamp },
        },
      ]
    case 'group.v2.join':
      return [{ event: 'group.v2.join', payload: { timestamp: event.timestamp, group: event.group } }]
    case 'group.v2.leave':
      return [{ event: 'group.v2.leave', payload: { timestamp: event.timestamp, group: event.group } }]
    case 'group.v2.participants': {
      const { type, role } = PARTICIPANT_TYPES[event.action]
      return [
        {
          event: 'group.v2.participants',
          payload: {
            type,
            timestamp: event.timestamp,
            group: event.group,
            participants: event.participants.map((id) => ({ id, role })),
            ...(event.author && { author: event.author }),
          },
        },
      ]
    }
    case 'group.v2.update':
      return [{ event: 'group.v2.update', payload: { timestamp: event.timestamp, group: event.group, ...(event.author && { author: event.author }) } }]
    case 'presence.update':
      return [
        {
          event: 'presence.update',
          payload: { id: event.chatId, presences: [{ participant: event.participant, lastKnownPresence: event.state, lastSeen: event.timestamp }] },
        },
      ]
    case 'call.received':
      return [
        {
          event: 'call.received',
          payload: { id: event.id, from: event.from, timestamp: event.timestamp, isVideo: event.isVideo, isGroup: event.isGroup },
        },
      ]
    case 'poll.vote': {
      // WAHA's poll.vote payload: the vote, and the poll it is on.
      const own = me?.id ?? event.chatId
      return [
        {
          event: 'poll.vote',
          payload: {
            vote: {
              id: event.pollMessageId,
              selectedOptions: event.selectedOptions,
              timestamp: event.timestamp,
              from: event.voter,
              fromMe: event.fromMe,
              to: event.fromMe ? event.chatId : own,
            },
            poll: {
              id: event.pollMessageId,
              chatId: event.chatId,
              fromMe: event.pollMessageId.startsWith('true_'),
              from: event.pollMessageId.startsWith('true_') ? own : event.chatId,
              to: event.pollMessageId.startsWith('true_') ? event.chatId : own,
            },
          },
        },
      ]
    }
    // WAHA's label payloads: the label itself, or the label-chat association with the label.
    case 'label.upsert':
    case 'label.deleted':
      return [{ event: event.type, payload: { ...event.label } }]
    case 'label.chat.added':
    case 'label.chat.deleted':
      return [{ event: event.type, payload: { labelId: event.labelId, chatId: event.chatId, label: event.label && { ...event.label } } }]
  }
}

/** The envelopes one engine event publishes (none for internal events). */
export function toEnvelopes(source: SessionEvent, options: EnvelopeOptions, statuses: StatusHistory): Envelope[] {
  const me = source.event.type === 'session.status' ? (source.event.me ?? source.me) : source.me
  return payloadsOf(source, options, statuses).map(({ event, payload }) => ({
    id: eventId(source.receivedAt),
    timestamp: source.receivedAt,
    event,
    session: source.session,
    ...(me && { me }),
    engine: options.envelopeName?.(source.engine) ?? source.engine.toUpperCase(),
    payload,
  }))
}

/** Whether a webhook's event filter takes this event. */
export function matchesFilter(filter: readonly string[], event: string): boolean {
  return filter.includes('*') || filter.includes(event)
}
