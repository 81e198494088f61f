/**
 * Inbound WAHA webhook envelopes, as TypeBox schemas for `POST /webhook/message` and
 * `POST /webhook/state-change`.
 *
 * Derived from WAHA's published OpenAPI document (2026.7.1): `webhooks` → `WAHAWebhook*`,
 * `WebhookGroupV2*` and their payloads (`WAMessage`, `WASessionStatusBody`, …). Schema
 * names here are the document's, so a field can be traced back to it.
 *
 * Policy:
 * - Tolerant of extra fields everywhere (`additionalProperties: true`): WAHA adds fields
 *   over time and engines add their own; extras are kept, not stripped.
 * - Strict about what we consume: the envelope's `id`, `timestamp`, `session`, `engine`,
 *   `event` (one literal per schema) and `payload`; in payloads the ids, timestamps, chat
 *   ids, `fromMe`, `hasMedia`, session `status` (closed enum) and the shapes we map.
 * - Deliberate deviations from the document, where it marks a field required that WAHA
 *   does not send in every engine or version, or types it wrongly. Each is one we do not
 *   need, or one we can default:
 *   - envelope `environment` and `me` optional (older WAHA sends neither); `me.pushName`
 *     optional/null (unknown right after pairing);
 *   - `event` is a string literal (the document says `type: object` with a string
 *     default: a NestJS swagger artefact);
 *   - `engine` any string (new engines appear; the document lists WEBJS/WPP/NOWEB/GOWS);
 *   - `WAMessage`: `source` (only on `fromMe` messages, per its own description),
 *     `participant` (groups only), `mediaUrl` (deprecated), `ack`/`ackName` (not set by
 *     every engine for incoming messages) optional; `body`, `media`, `replyTo`,
 *     `location`, `vCards`, `author` may be `null`; `WALocation` coordinates may be
 *     numbers (WEBJS) as well as the documented strings;
 *   - `WASessionStatusBody.statuses` optional (added in later WAHA versions);
 *   - `_data` (raw engine data) optional wherever it appears;
 *   - `WAMessageAckBody.participant` and `GroupInfo`'s flags optional/nullable.
 */
// TypeBox itself, not Elysia's `t` (the same builders): engines know nothing of the HTTP framework.
import { Type as t, type TSchema } from '@sinclair/typebox'
import { EVENT_NAMES, type EventName } from '../engine'

const open = { additionalProperties: true } as const

const nullable = <T extends TSchema>(schema: T) => t.Union([schema, t.Null()])
const raw = t.Optional(t.Unknown({ description: 'Raw engine data; shape depends on the engine' }))

/** WAHA's session statuses (closed set: we map each one). */
export const WAHA_SESSION_STATUSES = [
  'STOPPED',
  'STARTING',
  'SCAN_QR_CODE',
  'PASSKEY_REQUIRED',
  'PASSKEY_CONFIRMATION_REQUIRED',
  'WORKING',
  'FAILED',
] as const
export type WahaSessionStatus = (typeof WAHA_SESSION_STATUSES)[number]

export const WahaSessionStatusSchema = t.Union(WAHA_SESSION_STATUSES.map((status) => t.Literal(status)))

/** Our contract's coarse state (API.md §4) for a WAHA status. */
export type GatewayState = 'DISCONNECTED' | 'AUTHENTICATING' | 'CONNECTED'

export function wahaStatusToState(status: WahaSessionStatus): GatewayState {
  switch (status) {
    case 'WORKING':
      return 'CONNECTED'
    case 'STARTING':
    case 'SCAN_QR_CODE':
    case 'PASSKEY_REQUIRED':
    case 'PASSKEY_CONFIRMATION_REQUIRED':
      return 'AUTHENTICATING'
    case 'STOPPED':
    case 'FAILED':
      return 'DISCONNECTED'
  }
}

export function isWahaSessionStatus(value: unknown): value is WahaSessionStatus {
  return typeof value === 'string' && (WAHA_SESSION_STATUSES as readonly string[]).includes(value)
}

// ── Shared pieces ────────────────────────────────────────────────────────────────

export const MeInfo = t.Object(
  {
    id: t.String({ minLength: 1, examples: ['11111111111@c.us'] }),
    lid: t.Optional(t.String()),
    jid: t.Optional(t.String()),
    pushName: t.Optional(nullable(t.String())),
  },
  open,
)
export type MeInfo = typeof MeInfo.static

export const WAHAEnvironment = t.Object(
  {
    version: t.Optional(t.String()),
    engine: t.Optional(t.String()),
    tier: t.Optional(t.String()),
    browser: t.Optional(nullable(t.String())),
    platform: t.Optional(t.String()),
    worker: t.Optional(nullable(t.Object({ id: t.Optional(nullable(t.String())) }, open))),
  },
  open,
)
export type WAHAEnvironment = typeof WAHAEnvironment.static

export const S3MediaData = t.Object({ Bucket: t.String(), Key: t.String() }, open)

export const WAMedia = t.Object(
  {
    url: t.Optional(nullable(t.String())),
    mimetype: t.Optional(nullable(t.String())),
    filename: t.Optional(nullable(t.String())),
    s3: t.Optional(nullable(S3MediaData)),
    error: t.Optional(t.Unknown()),
  },
  open,
)
export type WAMedia = typeof WAMedia.static

const coordinate = t.Union([t.String(), t.Number()])

export const WALocation = t.Object(
  {
    latitude: coordinate,
    longitude: coordinate,
    live: t.Optional(t.Boolean()),
    name: t.Optional(nullable(t.String())),
    address: t.Optional(nullable(t.String())),
    url: t.Optional(nullable(t.String())),
    description: t.Optional(nullable(t.String())),
    thumbnail: t.Optional(nullable(t.String())),
  },
  open,
)
export type WALocation = typeof WALocation.static

export const ReplyToMessage = t.Object(
  {
    id: t.String({ minLength: 1 }),
    participant: t.Optional(nullable(t.String())),
    body: t.Optional(nullable(t.String())),
    hasMedia: t.Optional(t.Boolean()),
    media: t.Optional(nullable(WAMedia)),
    _data: raw,
  },
  open,
)
export type ReplyToMessage = typeof ReplyToMessage.static

/** ACK: -1 error, 0 pending, 1 server, 2 device, 3 read, 4 played. */
const ack = t.Number({ minimum: -1, maximum: 4 })

const messageFields = {
  id: t.String({ minLength: 1, examples: ['false_11111111111@c.us_AAAAAAAAAAAAAAAAAAAA'] }),
  timestamp: t.Number({ description: 'Unix time in seconds' }),
  from: t.String({ minLength: 1 }),
  fromMe: t.Boolean(),
  source: t.Optional(t.String({ description: '"api" or "app"; fromMe messages only' })),
  to: t.String({ minLength: 1 }),
  participant: t.Optional(nullable(t.String())),
  body: nullable(t.String()),
  hasMedia: t.Boolean(),
  media: t.Optional(nullable(WAMedia)),
  mediaUrl: t.Optional(nullable(t.String())),
  ack: t.Optional(nullable(ack)),
  ackName: t.Optional(nullable(t.String())),
  author: t.Optional(nullable(t.String())),
  location: t.Optional(nullable(WALocation)),
  vCards: t.Optional(nullable(t.Array(t.String()))),
  _data: raw,
  replyTo: t.Optional(nullable(ReplyToMessage)),
}

export const WAMessage = t.Object(messageFields, open)
export type WAMessage = typeof WAMessage.static

export const WAMessageEditedBody = t.Object(
  { ...messageFields, editedMessageId: t.Optional(nullable(t.String())) },
  open,
)
export type WAMessageEditedBody = typeof WAMessageEditedBody.static

export const WAMessageAckBody = t.Object(
  {
    id: t.String({ minLength: 1 }),
    from: t.String(),
    to: t.String(),
    participant: t.Optional(nullable(t.String())),
    fromMe: t.Boolean(),
    ack,
    ackName: t.Optional(t.String()),
    _data: raw,
  },
  open,
)
export type WAMessageAckBody = typeof WAMessageAckBody.static

export const WAReaction = t.Object(
  {
    text: t.String({ description: 'The emoji, or "" when the reaction was removed' }),
    messageId: t.String({ minLength: 1 }),
  },
  open,
)

export const WAMessageReaction = t.Object(
  {
    id: t.String({ minLength: 1 }),
    timestamp: t.Number(),
    from: t.String({ minLength: 1 }),
    fromMe: t.Boolean(),
    source: t.Optional(t.String()),
    to: t.String(),
    participant: t.Optional(nullable(t.String())),
    reaction: WAReaction,
  },
  open,
)
export type WAMessageReaction = typeof WAMessageReaction.static

export const WAMessageRevokedBody = t.Object(
  {
    revokedMessageId: t.Optional(nullable(t.String())),
    after: t.Optional(nullable(WAMessage)),
    before: t.Optional(nullable(WAMessage)),
    _data: raw,
  },
  open,
)
export type WAMessageRevokedBody = typeof WAMessageRevokedBody.static

export const GroupParticipant = t.Object(
  {
    id: t.String({ minLength: 1 }),
    pn: t.Optional(nullable(t.String())),
    role: t.Union([t.Literal('left'), t.Literal('participant'), t.Literal('admin'), t.Literal('superadmin')]),
  },
  open,
)
export type GroupParticipant = typeof GroupParticipant.static

export const GroupId = t.Object({ id: t.String({ minLength: 1 }) }, open)

export const GroupInfo = t.Object(
  {
    id: t.String({ minLength: 1 }),
    subject: t.String(),
    description: t.Optional(nullable(t.String())),
    invite: t.Optional(nullable(t.String())),
    membersCanAddNewMember: t.Optional(t.Boolean()),
    membersCanSendMessages: t.Optional(t.Boolean()),
    newMembersApprovalRequired: t.Optional(t.Boolean()),
    participants: t.Array(GroupParticipant),
  },
  open,
)
export type GroupInfo = typeof GroupInfo.static

export const GroupV2JoinEvent = t.Object({ timestamp: t.Number(), group: GroupInfo, _data: raw }, open)
export const GroupV2LeaveEvent = t.Object({ timestamp: t.Number(), group: GroupId, _data: raw }, open)
export const GroupV2ParticipantsEvent = t.Object(
  {
    type: t.Union([t.Literal('join'), t.Literal('leave'), t.Literal('promote'), t.Literal('demote')]),
    timestamp: t.Number(),
    group: GroupId,
    participants: t.Array(GroupParticipant),
    _data: raw,
  },
  open,
)
/** `group` holds only the changed fields (and the id), so it is an open object. */
export const GroupV2UpdateEvent = t.Object(
  { timestamp: t.Number(), group: t.Object({ id: t.Optional(t.String()) }, open), _data: raw },
  open,
)

export const WAHAPresenceData = t.Object(
  {
    participant: t.String({ minLength: 1 }),
    lastSeen: t.Optional(nullable(t.Number())),
    lastKnownPresence: t.Union([
      t.Literal('offline'),
      t.Literal('online'),
      t.Literal('typing'),
      t.Literal('recording'),
      t.Literal('paused'),
    ]),
  },
  open,
)
export const WAHAChatPresences = t.Object({ id: t.String({ minLength: 1 }), presences: t.Array(WAHAPresenceData) }, open)
export type WAHAChatPresences = typeof WAHAChatPresences.static

export const CallData = t.Object(
  {
    id: t.String({ minLength: 1 }),
    from: t.Optional(t.String()),
    timestamp: t.Number(),
    isVideo: t.Boolean(),
    isGroup: t.Boolean(),
    _data: raw,
  },
  open,
)
export type CallData = typeof CallData.static

/** A WhatsApp Business label (issue 13 part B). */
export const WahaLabel = t.Object(
  {
    id: t.String({ minLength: 1 }),
    name: t.String(),
    color: t.Number({ description: 'Palette index, not a colour' }),
    colorHex: t.String(),
  },
  open,
)
export type WahaLabel = typeof WahaLabel.static

export const LabelChatAssociation = t.Object({ labelId: t.String({ minLength: 1 }), chatId: t.String({ minLength: 1 }), label: nullable(WahaLabel) }, open)
export type LabelChatAssociation = typeof LabelChatAssociation.static

/** A message WAHA points at (the poll a vote is for). */
export const MessageDestination = t.Object(
  {
    id: t.String({ minLength: 1 }),
    to: t.String(),
    from: t.String(),
    fromMe: t.Boolean(),
    participant: t.Optional(nullable(t.String())),
  },
  open,
)
export const PollVote = t.Object(
  {
    id: t.String({ minLength: 1 }),
    selectedOptions: t.Array(t.String()),
    timestamp: t.Number(),
    to: t.String(),
    from: t.String(),
    fromMe: t.Boolean(),
    participant: t.Optional(nullable(t.String())),
  },
  open,
)
export const PollVotePayload = t.Object({ vote: PollVote, poll: MessageDestination, _data: raw }, open)

export const SessionStatusPoint = t.Object({ status: WahaSessionStatusSchema, timestamp: t.Number() }, open)

export const WASessionStatusBody = t.Object(
  {
    name: t.String({ minLength: 1 }),
    status: WahaSessionStatusSchema,
    statuses: t.Optional(t.Array(SessionStatusPoint)),
    data: t.Optional(t.Unknown({ description: 'Extra info for PASSKEY_* statuses; null otherwise' })),
  },
  open,
)
export type WASessionStatusBody = typeof WASessionStatusBody.static

// ── Envelopes ────────────────────────────────────────────────────────────────────

function envelope<E extends string, P extends TSchema>(event: E, payload: P) {
  return t.Object(
    {
      id: t.String({ minLength: 1, description: 'Event id (lower-case ULID, "evt_…")' }),
      timestamp: t.Number({ description: 'Unix time in milliseconds when WAHA created the event' }),
      session: t.String({ minLength: 1 }),
      metadata: t.Optional(nullable(t.Record(t.String(), t.Unknown()))),
      engine: t.String({ minLength: 1, description: 'WEBJS, WPP, NOWEB, GOWS, …' }),
      event: t.Literal(event),
      payload,
      me: t.Optional(nullable(MeInfo)),
      environment: t.Optional(nullable(WAHAEnvironment)),
    },
    open,
  )
}

export const WAHAWebhookSessionStatus = envelope('session.status', WASessionStatusBody)
export const WAHAWebhookMessage = envelope('message', WAMessage)
export const WAHAWebhookMessageAny = envelope('message.any', WAMessage)
export const WAHAWebhookMessageAck = envelope('message.ack', WAMessageAckBody)
export const WAHAWebhookMessageReaction = envelope('message.reaction', WAMessageReaction)
export const WAHAWebhookMessageRevoked = envelope('message.revoked', WAMessageRevokedBody)
export const WAHAWebhookMessageEdited = envelope('message.edited', WAMessageEditedBody)
export const WebhookGroupV2Join = envelope('group.v2.join', GroupV2JoinEvent)
export const WebhookGroupV2Leave = envelope('group.v2.leave', GroupV2LeaveEvent)
export const WebhookGroupV2Participants = envelope('group.v2.participants', GroupV2ParticipantsEvent)
export const WebhookGroupV2Update = envelope('group.v2.update', GroupV2UpdateEvent)
export const WAHAWebhookPresenceUpdate = envelope('presence.update', WAHAChatPresences)
export const WAHAWebhookCallReceived = envelope('call.received', CallData)
export const WAHAWebhookPollVote = envelope('poll.vote', PollVotePayload)
export const WAHAWebhookLabelUpsert = envelope('label.upsert', WahaLabel)
export const WAHAWebhookLabelDeleted = envelope('label.deleted', WahaLabel)
export const WAHAWebhookLabelChatAdded = envelope('label.chat.added', LabelChatAssociation)
export const WAHAWebhookLabelChatDeleted = envelope('label.chat.deleted', LabelChatAssociation)
/** Deprecated by WAHA ("an internal engine's state, not session status"); accepted, payload opaque. */
export const WAHAWebhookStateChange = envelope('state.change', t.Record(t.String(), t.Unknown()))

export type WAHAWebhookSessionStatus = typeof WAHAWebhookSessionStatus.static
export type WAHAWebhookMessage = typeof WAHAWebhookMessage.static
export type WAHAWebhookMessageAny = typeof WAHAWebhookMessageAny.static
export type WAHAWebhookMessageAck = typeof WAHAWebhookMessageAck.static
export type WAHAWebhookMessageReaction = typeof WAHAWebhookMessageReaction.static
export type WAHAWebhookMessageRevoked = typeof WAHAWebhookMessageRevoked.static
export type WAHAWebhookMessageEdited = typeof WAHAWebhookMessageEdited.static
export type WebhookGroupV2Join = typeof WebhookGroupV2Join.static
export type WebhookGroupV2Leave = typeof WebhookGroupV2Leave.static
export type WebhookGroupV2Participants = typeof WebhookGroupV2Participants.static
export type WebhookGroupV2Update = typeof WebhookGroupV2Update.static
export type WAHAWebhookPresenceUpdate = typeof WAHAWebhookPresenceUpdate.static
export type WAHAWebhookCallReceived = typeof WAHAWebhookCallReceived.static
export type WAHAWebhookPollVote = typeof WAHAWebhookPollVote.static
export type WAHAWebhookStateChange = typeof WAHAWebhookStateChange.static

/**
 * Events the `waha` engine subscribes `POST /webhook/message` to: the contract's event
 * list (API.md §7) less `session.status`, which goes to `/webhook/state-change`.
 */
export const WAHA_MESSAGE_WEBHOOK_EVENTS = EVENT_NAMES.filter(
  (name): name is Exclude<EventName, 'session.status'> => name !== 'session.status',
)
export const WAHA_STATE_WEBHOOK_EVENTS = ['session.status'] as const

/** Body of `POST /webhook/message`: any envelope of WAHA_MESSAGE_WEBHOOK_EVENTS. */
export const WahaMessageWebhookBody = t.Union([
  WAHAWebhookMessage,
  WAHAWebhookMessageAny,
  WAHAWebhookMessageAck,
  WAHAWebhookMessageReaction,
  WAHAWebhookMessageRevoked,
  WAHAWebhookMessageEdited,
  WebhookGroupV2Join,
  WebhookGroupV2Leave,
  WebhookGroupV2Participants,
  WebhookGroupV2Update,
  WAHAWebhookPresenceUpdate,
  WAHAWebhookCallReceived,
  WAHAWebhookPollVote,
  WAHAWebhookLabelUpsert,
  WAHAWebhookLabelDeleted,
  WAHAWebhookLabelChatAdded,
  WAHAWebhookLabelChatDeleted,
])
export type WahaMessageWebhookBody = typeof WahaMessageWebhookBody.static

/** Body of `POST /webhook/state-change`: `session.status`, or WAHA's deprecated `state.change`. */
export const WahaStateChangeWebhookBody = t.Union([WAHAWebhookSessionStatus, WAHAWebhookStateChange])
export type WahaStateChangeWebhookBody = typeof WahaStateChangeWebhookBody.static

export type WahaWebhookEventName = WahaMessageWebhookBody['event'] | WahaStateChangeWebhookBody['event']
