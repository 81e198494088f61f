/**
 * WAHA's request bodies and queries (`../shared/waha/openapi.json`, 2026.7.1) as `t.*`
 * schemas. Lenient where WAHA is: `session` defaults to `default`, WAHA-only knobs
 * (`linkPreviewHighQuality`, pre-generated `id`, `convert`…) are accepted and ignored
 * (each is named in the README), unknown fields are dropped.
 */
import { t } from 'elysia'
import { MESSAGE_ID_MAX_LENGTH, MESSAGE_ID_PATTERN } from '../../lib/message-id'
import { PIN_DURATIONS } from '../../providers/engine'

const Session = t.Optional(t.String({ default: 'default', description: 'Session name: the phone number; `default` means WAHA_DEFAULT_SESSION' }))
/** WAHA's message ids are ours: `{fromMe}_{chatId}_{id}[_{participant}]` (src/lib/message-id.ts). */
const MessageId = t.String({ pattern: MESSAGE_ID_PATTERN, maxLength: MESSAGE_ID_MAX_LENGTH })
const ReplyTo = t.Optional(t.Nullable(t.String({ pattern: MESSAGE_ID_PATTERN, maxLength: MESSAGE_ID_MAX_LENGTH, description: 'WAHA message id to reply to' })))
const PregeneratedId = t.Optional(t.Nullable(t.String()))

export const SessionParams = t.Object({ session: t.String() })

const CustomHeader = t.Object({ name: t.String({ minLength: 1 }), value: t.String() })

export const WebhookConfig = t.Object({
  url: t.String(),
  events: t.Array(t.String(), { default: ['message', 'session.status'] }),
  hmac: t.Optional(t.Nullable(t.Object({ key: t.Optional(t.Nullable(t.String())) }))),
  retries: t.Optional(t.Nullable(t.Object({ delaySeconds: t.Optional(t.Number()), attempts: t.Optional(t.Number()), policy: t.Optional(t.String()) }))),
  customHeaders: t.Optional(t.Nullable(t.Array(CustomHeader))),
})

export const SessionConfig = t.Object(
  {
    metadata: t.Optional(t.Nullable(t.Record(t.String(), t.String()))),
    webhooks: t.Optional(t.Nullable(t.Array(WebhookConfig))),
    proxy: t.Optional(t.Unknown()),
    debug: t.Optional(t.Boolean()),
    ignore: t.Optional(t.Unknown()),
    client: t.Optional(t.Unknown()),
    noweb: t.Optional(t.Unknown()),
    gows: t.Optional(t.Unknown()),
    webjs: t.Optional(t.Unknown()),
  },
  { additionalProperties: true },
)
export type SessionConfigInput = typeof SessionConfig.static

export const SessionCreateBody = t.Object({
  name: t.Optional(t.String()),
  start: t.Optional(t.Boolean()),
  config: t.Optional(t.Nullable(SessionConfig)),
  apps: t.Optional(t.Unknown()),
})

export const SessionUpdateBody = t.Object({
  config: t.Optional(t.Nullable(SessionConfig)),
  apps: t.Optional(t.Unknown()),
})

export const DeprecatedStartBody = t.Object({ name: t.String(), config: t.Optional(t.Nullable(SessionConfig)) })
export const DeprecatedStopBody = t.Object({ name: t.String(), logout: t.Optional(t.Boolean()) })
export const DeprecatedLogoutBody = t.Object({ name: t.String() })

export const ListSessionsQuery = t.Object({ all: t.Optional(t.BooleanString()), expand: t.Optional(t.Unknown()) })

export const QrQuery = t.Object({ format: t.Optional(t.Union([t.Literal('image'), t.Literal('raw')])) })
export const RequestCodeBody = t.Object({ phoneNumber: t.String(), method: t.Optional(t.Nullable(t.String())) })

export const SendTextBody = t.Object({
  session: Session,
  chatId: t.String(),
  text: t.String({ minLength: 1 }),
  reply_to: ReplyTo,
  linkPreview: t.Optional(t.Boolean()),
  linkPreviewHighQuality: t.Optional(t.Boolean()),
  mentions: t.Optional(t.Array(t.String())),
  id: PregeneratedId,
})

export const SendTextQuery = t.Object({ phone: t.String(), text: t.String({ minLength: 1 }), session: Session })

/** WAHA's `RemoteFile | BinaryFile` (and the voice/video variants): a URL or base64 `data`. */
export const FileInput = t.Object({
  url: t.Optional(t.String()),
  data: t.Optional(t.String()),
  mimetype: t.Optional(t.String()),
  filename: t.Optional(t.Nullable(t.String())),
})
export type FileValue = typeof FileInput.static

export const SendMediaBody = t.Object({
  session: Session,
  chatId: t.String(),
  file: FileInput,
  caption: t.Optional(t.Nullable(t.String())),
  reply_to: ReplyTo,
  convert: t.Optional(t.Boolean()),
  asNote: t.Optional(t.Boolean()),
  id: PregeneratedId,
})
export type SendMediaInput = typeof SendMediaBody.static

export const SendLocationBody = t.Object({
  session: Session,
  chatId: t.String(),
  latitude: t.Number({ minimum: -90, maximum: 90 }),
  longitude: t.Number({ minimum: -180, maximum: 180 }),
  title: t.Optional(t.Nullable(t.String())),
  reply_to: ReplyTo,
  id: PregeneratedId,
})

export const SendContactVcardBody = t.Object({
  session: Session,
  chatId: t.String(),
  contacts: t.Array(
    t.Object({
      vcard: t.Optional(t.Nullable(t.String())),
      fullName: t.Optional(t.String()),
      organization: t.Optional(t.String()),
      phoneNumber: t.Optional(t.String()),
      whatsappId: t.Optional(t.String()),
    }),
    { minItems: 1, maxItems: 20 },
  ),
  reply_to: ReplyTo,
  id: PregeneratedId,
})

export const SendPollBody = t.Object({
  session: Session,
  chatId: t.String(),
  poll: t.Object({ name: t.String({ minLength: 1 }), options: t.Array(t.String(), { minItems: 2, maxItems: 12 }), multipleAnswers: t.Optional(t.Boolean()) }),
  reply_to: ReplyTo,
  id: PregeneratedId,
})

export const SendSeenBody = t.Object({
  session: Session,
  chatId: t.String(),
  messageId: t.Optional(t.String()),
  messageIds: t.Optional(t.Array(t.String())),
  participant: t.Optional(t.Nullable(t.String())),
})

export const ChatBody = t.Object({ session: Session, chatId: t.String() })

export const ReactionBody = t.Object({ session: Session, messageId: MessageId, reaction: t.String() })
export const StarBody = t.Object({ session: Session, messageId: MessageId, chatId: t.String(), star: t.Boolean() })
export const PollVoteBody = t.Object({
  session: Session,
  chatId: t.String(),
  pollMessageId: MessageId,
  pollServerId: t.Optional(t.Nullable(t.Number())),
  // WAHA's document nests the item type one level too deep; clients send a list of option names.
  votes: t.Array(t.Union([t.String(), t.Array(t.String())])),
})
export const PinBody = t.Object({ duration: t.Union(PIN_DURATIONS.map((value) => t.Literal(value))) })

export const ForwardBody = t.Object({ session: Session, chatId: t.String(), messageId: MessageId, id: PregeneratedId })
export const ReplyBody = t.Object({
  session: Session,
  chatId: t.String(),
  reply_to: ReplyTo,
  text: t.String({ minLength: 1 }),
  linkPreview: t.Optional(t.Boolean()),
  linkPreviewHighQuality: t.Optional(t.Boolean()),
  id: PregeneratedId,
})

const BoolQuery = t.Optional(t.BooleanString())
export const MessagesQuery = t.Object({
  limit: t.Optional(t.Numeric({ minimum: 1, maximum: 1000 })),
  offset: t.Optional(t.Numeric({ minimum: 0 })),
  sortBy: t.Optional(t.String()),
  sortOrder: t.Optional(t.Union([t.Literal('asc'), t.Literal('desc')])),
  downloadMedia: BoolQuery,
  merge: BoolQuery,
  'filter.timestamp.lte': t.Optional(t.Numeric()),
  'filter.timestamp.gte': t.Optional(t.Numeric()),
  'filter.fromMe': BoolQuery,
  'filter.ack': t.Optional(t.String()),
})
export type MessagesQueryInput = typeof MessagesQuery.static

export const DeprecatedMessagesQuery = t.Composite([MessagesQuery, t.Object({ chatId: t.String(), session: Session })])

export const ChatsQuery = t.Object({
  limit: t.Optional(t.Numeric({ minimum: 1, maximum: 200 })),
  offset: t.Optional(t.Numeric({ minimum: 0 })),
  sortBy: t.Optional(t.String()),
  sortOrder: t.Optional(t.String()),
  merge: BoolQuery,
  ids: t.Optional(t.Union([t.String(), t.Array(t.String())])),
})

export const OverviewBody = t.Object({
  pagination: t.Optional(t.Object({ limit: t.Optional(t.Number()), offset: t.Optional(t.Number()) })),
  filter: t.Optional(t.Object({ ids: t.Optional(t.Array(t.String())) })),
})

export const EditBody = t.Object({ text: t.String({ minLength: 1 }), linkPreview: t.Optional(t.Boolean()), linkPreviewHighQuality: t.Optional(t.Boolean()) })

export const ReadQuery = t.Object({ messages: t.Optional(t.Numeric()), days: t.Optional(t.Numeric()) })

export const SessionQuery = t.Object({ session: Session })
export const ContactQuery = t.Object({ contactId: t.String(), session: Session, refresh: BoolQuery })
export const PhoneQuery = t.Object({ phone: t.String(), session: Session })
export const ContactsAllQuery = t.Object({
  session: Session,
  limit: t.Optional(t.Numeric({ minimum: 1 })),
  offset: t.Optional(t.Numeric({ minimum: 0 })),
  sortBy: t.Optional(t.String()),
  sortOrder: t.Optional(t.String()),
})
export const ContactBody = t.Object({ contactId: t.String(), session: Session })

const ParticipantList = t.Array(t.Object({ id: t.String() }), { minItems: 1 })
export const CreateGroupBody = t.Object({ name: t.String({ minLength: 1 }), participants: ParticipantList })
export const ParticipantsBody = t.Object({ participants: ParticipantList })
export const SubjectBody = t.Object({ subject: t.String({ minLength: 1 }) })
export const DescriptionBody = t.Object({ description: t.String() })
export const AdminsOnlyBody = t.Object({ adminsOnly: t.Boolean() })
export const GroupsQuery = t.Object({
  limit: t.Optional(t.Numeric({ minimum: 1 })),
  offset: t.Optional(t.Numeric({ minimum: 0 })),
  sortBy: t.Optional(t.String()),
  sortOrder: t.Optional(t.String()),
  exclude: t.Optional(t.Unknown()),
})

export const PictureBody = t.Object({ file: FileInput })
export const ProfileNameBody = t.Object({ name: t.String({ minLength: 1 }) })
export const ProfileStatusBody = t.Object({ status: t.String() })

export const PresenceBody = t.Object({
  chatId: t.Optional(t.Nullable(t.String())),
  presence: t.Union([t.Literal('offline'), t.Literal('online'), t.Literal('typing'), t.Literal('recording'), t.Literal('paused')]),
})

export const TextStatusBody = t.Object({
  text: t.String({ minLength: 1 }),
  backgroundColor: t.Optional(t.String()),
  font: t.Optional(t.Number()),
  contacts: t.Optional(t.Nullable(t.Array(t.String()))),
  linkPreview: t.Optional(t.Boolean()),
  linkPreviewHighQuality: t.Optional(t.Boolean()),
  id: PregeneratedId,
})

export const VoiceStatusBody = t.Object({
  file: FileInput,
  convert: t.Optional(t.Boolean()),
  backgroundColor: t.Optional(t.String({ pattern: '^#[0-9A-Fa-f]{6}$' })),
  contacts: t.Optional(t.Nullable(t.Array(t.String()))),
  id: PregeneratedId,
})

export const DeleteStatusBody = t.Object({
  id: t.String({ minLength: 1, maxLength: 200 }),
  contacts: t.Optional(t.Nullable(t.Array(t.String()))),
})

export const JoinInfoQuery = t.Object({ code: t.String({ minLength: 1, maxLength: 200 }) })
export const JoinGroupBody = t.Object({ code: t.String({ minLength: 1, maxLength: 200 }) })
export const ContactUpdateBody = t.Object({ firstName: t.String({ minLength: 1, maxLength: 100 }), lastName: t.Optional(t.String({ maxLength: 100 })) })

export const MediaStatusBody = t.Object({
  file: FileInput,
  caption: t.Optional(t.Nullable(t.String())),
  contacts: t.Optional(t.Nullable(t.Array(t.String()))),
  convert: t.Optional(t.Boolean()),
  id: PregeneratedId,
})

export const ApiKeyBody = t.Object({
  isAdmin: t.Optional(t.Boolean()),
  session: t.Optional(t.Nullable(t.String())),
  isActive: t.Optional(t.Boolean()),
  actions: t.Optional(t.Unknown()),
})

export const WsQuery = t.Object({
  session: t.Optional(t.String()),
  events: t.Optional(t.Union([t.String(), t.Array(t.String())])),
  'x-api-key': t.Optional(t.String()),
})

// ─── Labels, calls, channels (issue 13 part B) ─────────────────────────────

export const LabelBody = t.Object({
  name: t.String({ minLength: 1, maxLength: 100 }),
  colorHex: t.Optional(t.Nullable(t.String({ pattern: '^#?[0-9A-Fa-f]{6}$' }))),
  color: t.Optional(t.Nullable(t.Number())),
})
export const SetLabelsBody = t.Object({ labels: t.Array(t.Object({ id: t.String({ minLength: 1, maxLength: 64 }) }), { maxItems: 20 }) })
export const RejectCallBody = t.Object({ from: t.String(), id: t.String({ minLength: 1, maxLength: 128 }) })
export const CreateChannelBody = t.Object({ name: t.String({ minLength: 1, maxLength: 100 }), description: t.Optional(t.String({ maxLength: 2048 })), picture: t.Optional(t.Unknown()) })
export const ChannelsQuery = t.Object({ role: t.Optional(t.Union([t.Literal('OWNER'), t.Literal('ADMIN'), t.Literal('SUBSCRIBER')])) })
