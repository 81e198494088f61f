/**
 * What travels over the simulated network, and the message ids devices derive from it.
 *
 * Every message carries WhatsApp's shared message key; each device keeps its own copy
 * under its own serialized id, spelled as whatsapp-web.js spells them:
 * `true_<chat>_<key>` for own messages, `false_<chat>_<key>` for received direct ones,
 * `false_<group>_<key>_<author>` for received group (and Status) ones.
 */
import { randomBytes } from 'node:crypto'
import type { Ack, Location, MediaFile, MessageType, OwnPresence, ParticipantAction, Poll, PresenceState } from '../engine'

export interface WireMessage {
  key: string
  /** Sender's phone number (digits). */
  from: string
  /** A phone number (digits) for a direct chat, a group JID, or `status@broadcast`. */
  to: string
  /** Unix seconds. */
  timestamp: number
  type: MessageType
  body: string
  media?: MediaFile
  quotedKey?: string
  location?: Location
  vcards?: string[]
  poll?: Poll
  mentions?: string[]
  isForwarded?: boolean
  viewOnce?: boolean
  durationSeconds?: number
  waveform?: number[]
}

export type GroupNotification =
  | { type: 'join'; groupId: string; subject: string; timestamp: number }
  | { type: 'leave'; groupId: string; timestamp: number }
  | { type: 'participants'; groupId: string; action: ParticipantAction; participants: string[]; author?: string; timestamp: number }
  | { type: 'update'; groupId: string; subject?: string; description?: string; author?: string; timestamp: number }

/**
 * One delivery from the network to an account. `from` is the acting phone number;
 * `group` is set when the act happened in a group (or `status@broadcast`), otherwise the
 * chat on the receiving side is the sender's own chat.
 */
export type Packet =
  | { kind: 'message'; message: WireMessage }
  | { kind: 'receipt'; from: string; group?: string; keys: string[]; ack: Ack }
  | { kind: 'reaction'; from: string; group?: string; key: string; targetKey: string; emoji: string; timestamp: number }
  | { kind: 'edit'; from: string; group?: string; targetKey: string; body: string; timestamp: number }
  | { kind: 'revoke'; from: string; group?: string; targetKey: string; timestamp: number }
  | { kind: 'presence'; from: string; group?: string; state: PresenceState | OwnPresence; timestamp: number }
  | { kind: 'group'; notification: GroupNotification }
  | { kind: 'vote'; from: string; group?: string; targetKey: string; options: string[]; timestamp: number }
  /** A call rings (issue 13 part B); `group` for a group call. */
  | { kind: 'call'; from: string; group?: string; id: string; video: boolean; timestamp: number }
  /** `until` 0: unpinned. */
  | { kind: 'pin'; from: string; group?: string; targetKey: string; until: number }

export function messageKey(): string {
  return `3EB0${randomBytes(8).toString('hex').toUpperCase()}`
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

export function jid(phone: string): string {
  return phone.includes('@') ? phone : `${phone}@c.us`
}

/** A phone number (digits) from a JID or from a phone number itself. */
export { userOf as phoneOf } from '../../lib/chat-id'

export { ownMessageId as ownId, parseMessageId, receivedMessageId as receivedId, type ParsedMessageId } from '../../lib/message-id'
