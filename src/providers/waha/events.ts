/**
 * WAHA webhook envelopes (validated against `model.ts`) → our EngineEvents. Pure: the
 * callback routes map a body with `wahaEnvelopeToEngineEvents` and hand the result to
 * `SessionManager.acceptExternalEvents`, which gives it to the session's WahaSession.
 *
 * One WhatsApp message is ONE engine `message` event: WAHA sends `message` (incoming
 * only) and `message.any` (every message) for an incoming message, so `message.any` is
 * used only for our own messages (`fromMe`, sent from the phone or through the API), and
 * `message` for the rest. WahaSession also drops a message id it has emitted already
 * (WAHA retries a callback that timed out).
 */
import { ACK, type MessageDTO, type ParticipantAction, type EngineEvent, type SessionStatus } from '../engine'
import { ackOf, chatIdOfMessage, parseMessageId, wahaLabelToDto, wahaMessageToDto, wahaStatusToSessionStatus } from './mappers'
import type { WahaMessageWebhookBody, WahaStateChangeWebhookBody, WAMessage } from './model'

export type WahaEnvelope = WahaMessageWebhookBody | WahaStateChangeWebhookBody

/**
 * A `message` event still carrying WAHA's file URL of its media: WahaSession fetches the
 * bytes from it (bounded), attaches them as `media`, and drops the URL before emitting.
 * Structurally a EngineEvent, so the list goes through the engine-neutral seam as is.
 */
export type WahaMessageEvent = Extract<EngineEvent, { type: 'message' }> & { wahaMediaUrl?: string }
export type WahaEngineEvent = Exclude<EngineEvent, { type: 'message' }> | WahaMessageEvent

const PARTICIPANT_ACTIONS: Record<'join' | 'leave' | 'promote' | 'demote', ParticipantAction> = {
  join: 'add',
  leave: 'remove',
  promote: 'promote',
  demote: 'demote',
}

function messageEvent(payload: WAMessage): WahaMessageEvent {
  const message: MessageDTO = wahaMessageToDto(payload)
  const url = payload.hasMedia ? (payload.media?.url ?? payload.mediaUrl ?? undefined) : undefined
  return { type: 'message', message, ...(url && { wahaMediaUrl: url }) }
}

/** A participant id as users know it: the phone JID when WAHA gives one beside a @lid. */
function participantId(participant: { id: string; pn?: string | null }): string {
  return participant.id.endsWith('@lid') && participant.pn ? participant.pn : participant.id
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/** Our events for one WAHA envelope; [] for what carries nothing for us (a duplicate `message.any`, `state.change`). */
export function wahaEnvelopeToEngineEvents(envelope: WahaEnvelope): WahaEngineEvent[] {
  // Envelope time is unix milliseconds; our event timestamps are seconds, like WhatsApp's.
  const envelopeSeconds = Math.floor(envelope.timestamp / 1000)
  switch (envelope.event) {
    case 'message':
      return [messageEvent(envelope.payload)]
    case 'message.any':
      // An incoming message also arrives as `message`; only our own messages come this way alone.
      return envelope.payload.fromMe ? [messageEvent(envelope.payload)] : []
    case 'message.ack': {
      const { payload } = envelope
      return [
        {
          type: 'message.ack',
          id: payload.id,
          chatId: chatIdOfMessage(payload),
          from: payload.from,
          to: payload.to,
          fromMe: payload.fromMe,
          ack: ackOf(payload.ack, ACK.PENDING),
        },
      ]
    }
    case 'message.reaction': {
      const { payload } = envelope
      return [
        {
          type: 'message.reaction',
          id: payload.id,
          chatId: chatIdOfMessage(payload),
          from: payload.from,
          fromMe: payload.fromMe,
          timestamp: payload.timestamp,
          reaction: { text: payload.reaction.text, messageId: payload.reaction.messageId },
        },
      ]
    }
    case 'message.revoked': {
      const { payload } = envelope
      const message = payload.after ?? payload.before ?? undefined
      const parsed = payload.revokedMessageId ? parseMessageId(payload.revokedMessageId) : undefined
      const chatId = message ? chatIdOfMessage(message) : parsed?.chatId
      const fromMe = message?.fromMe ?? parsed?.fromMe
      if (!chatId || fromMe === undefined) return []
      // WAHA names the revoked message by its bare key; ours is the full id.
      const revokedMessageId =
        payload.before?.id ??
        (payload.revokedMessageId ? (parsed ? payload.revokedMessageId : `${fromMe}_${chatId}_${payload.revokedMessageId}`) : undefined)
      if (!revokedMessageId) return []
      return [
        {
          type: 'message.revoked',
          chatId,
          revokedMessageId,
          from: message?.from ?? (fromMe ? (envelope.me?.id ?? `${envelope.session}@c.us`) : chatId),
          fromMe,
          timestamp: payload.after?.timestamp ?? envelopeSeconds,
        },
      ]
    }
    case 'message.edited': {
      const { payload } = envelope
      return [
        {
          type: 'message.edited',
          chatId: chatIdOfMessage(payload),
          editedMessageId: optionalString(payload.editedMessageId) ?? payload.id,
          body: payload.body ?? '',
          from: payload.from,
          fromMe: payload.fromMe,
          timestamp: payload.timestamp,
        },
      ]
    }
    case 'group.v2.join': {
      const { group, timestamp } = envelope.payload
      return [{ type: 'group.v2.join', group: { id: group.id, ...(group.subject && { subject: group.subject }) }, timestamp }]
    }
    case 'group.v2.leave':
      return [{ type: 'group.v2.leave', group: { id: envelope.payload.group.id }, timestamp: envelope.payload.timestamp }]
    case 'group.v2.participants': {
      const { payload } = envelope
      return [
        {
          type: 'group.v2.participants',
          group: { id: payload.group.id },
          action: PARTICIPANT_ACTIONS[payload.type],
          participants: payload.participants.map(participantId),
          timestamp: payload.timestamp,
        },
      ]
    }
    case 'group.v2.update': {
      const { group, timestamp } = envelope.payload
      const id = optionalString(group.id)
      if (!id) return []
      // Only the changed fields are present (an open object in the document).
      const changed: Record<string, unknown> = group
      const subject = optionalString(changed.subject)
      const description = optionalString(changed.description)
      return [{ type: 'group.v2.update', group: { id, ...(subject && { subject }), ...(description && { description }) }, timestamp }]
    }
    case 'presence.update':
      return envelope.payload.presences.map((presence) => ({
        type: 'presence.update' as const,
        chatId: envelope.payload.id,
        participant: presence.participant,
        state: presence.lastKnownPresence,
        timestamp: envelopeSeconds,
      }))
    case 'call.received': {
      const { payload } = envelope
      if (!payload.from) return []
      return [{ type: 'call.received', id: payload.id, from: payload.from, isVideo: payload.isVideo, isGroup: payload.isGroup, timestamp: payload.timestamp }]
    }
    case 'poll.vote': {
      const { vote, poll } = envelope.payload
      return [
        {
          type: 'poll.vote',
          chatId: chatIdOfMessage(poll),
          pollMessageId: poll.id,
          voter: vote.participant ?? vote.from,
          fromMe: vote.fromMe,
          selectedOptions: vote.selectedOptions,
          timestamp: vote.timestamp,
        },
      ]
    }
    case 'label.upsert':
    case 'label.deleted':
      return [{ type: envelope.event, label: wahaLabelToDto(envelope.payload) }]
    case 'label.chat.added':
    case 'label.chat.deleted': {
      const { labelId, chatId, label } = envelope.payload
      return [{ type: envelope.event, labelId, chatId, label: label ? wahaLabelToDto(label) : null }]
    }
    case 'session.status': {
      const mapped: { status: SessionStatus; reason?: string } = wahaStatusToSessionStatus(envelope.payload.status)
      const me = envelope.me ? { id: envelope.me.id, ...(envelope.me.pushName && { pushName: envelope.me.pushName }) } : undefined
      return [{ type: 'session.status', status: mapped.status, ...(me && { me }), ...(mapped.reason && { reason: mapped.reason }) }]
    }
    case 'state.change':
      // Deprecated by WAHA: an engine's internal state, not the session's; session.status carries that.
      return []
  }
}
