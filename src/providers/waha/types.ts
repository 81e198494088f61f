/**
 * WAHA REST request and response shapes, hand-written from WAHA's published OpenAPI
 * document (2026.7.1, `components.schemas`). Names are the document's.
 *
 * Where the document gives no response schema (it says `{}` or `type: object`), the
 * shape depends on WAHA's engine; those responses are typed `WahaEngineObject` (an open
 * object of unknowns) or with the few fields WAHA returns in every engine, all optional.
 * Request fields the document types wrongly (`type: object` with a string default, a
 * NestJS swagger artefact) are typed as what WAHA reads: strings/booleans.
 */
import type { MeInfo, WahaSessionStatus, WAMessage, GroupParticipant, WAHAChatPresences } from './model'

export type { MeInfo, WahaSessionStatus, WAMessage, GroupParticipant, WAHAChatPresences }

/** An engine-specific object the document does not describe. */
export type WahaEngineObject = { [key: string]: unknown }

// ── Files ────────────────────────────────────────────────────────────────────────

/** `RemoteFile`: WAHA downloads `url`. */
export interface RemoteFile {
  mimetype: string
  filename?: string
  url: string
  data?: never
}
/** `BinaryFile`: base64 `data`. */
export interface BinaryFile {
  mimetype: string
  filename?: string
  data: string
  url?: never
}
export type WahaFile = RemoteFile | BinaryFile

export interface VoiceRemoteFile {
  mimetype: string
  url: string
  data?: never
}
export interface VoiceBinaryFile {
  mimetype: string
  filename: string
  data: string
  url?: never
}
export type WahaVoiceFile = VoiceRemoteFile | VoiceBinaryFile

export interface VideoRemoteFile {
  mimetype: string
  filename: string
  url: string
  data?: never
}
export interface VideoBinaryFile {
  mimetype: string
  filename: string
  data: string
  url?: never
}
export type WahaVideoFile = VideoRemoteFile | VideoBinaryFile

// ── Sessions ─────────────────────────────────────────────────────────────────────

export interface HmacConfiguration {
  key?: string
}
export interface RetriesConfiguration {
  delaySeconds?: number
  attempts?: number
  policy?: 'linear' | 'exponential' | 'constant'
}
export interface CustomHeader {
  name: string
  value: string
}
/** `WebhookConfig` (`events` are event names; the document's `items: {type: object}` is an artefact). */
export interface WebhookConfig {
  url: string
  events: string[]
  hmac?: HmacConfiguration
  retries?: RetriesConfiguration
  customHeaders?: CustomHeader[]
}
export interface ProxyConfig {
  server: string
  username?: string
  password?: string
}
export interface IgnoreConfig {
  status?: boolean
  groups?: boolean
  channels?: boolean
  broadcast?: boolean
}
export interface ClientSessionConfig {
  deviceName?: string
  browserName?: string
}
export interface NowebConfig {
  markOnline: boolean
  store?: { enabled: boolean; fullSync: boolean }
}
export interface GowsConfig {
  storage?: { messages?: boolean | null; groups?: boolean | null; chats?: boolean | null; labels?: boolean | null }
}
export interface WebjsConfig {
  tagsEventsOn?: boolean
}
export interface SessionConfig {
  metadata?: Record<string, string>
  proxy?: ProxyConfig
  debug?: boolean
  ignore?: IgnoreConfig
  client?: ClientSessionConfig
  noweb?: NowebConfig
  gows?: GowsConfig
  webjs?: WebjsConfig
  webhooks?: WebhookConfig[]
}
export interface SessionCreateRequest {
  name?: string
  /** Start after creating; WAHA's default is `true`. */
  start?: boolean
  config?: SessionConfig
}
export interface SessionUpdateRequest {
  config?: SessionConfig
}
/** `SessionDTO`: what create/update/start/stop/logout/restart return. */
export interface SessionDTO {
  name: string
  status: WahaSessionStatus
  config?: SessionConfig
}
/** `SessionInfo`: what get/list return. */
export interface SessionInfo {
  name: string
  status: WahaSessionStatus
  me?: MeInfo | null
  assignedWorker?: string
  presence: unknown
  timestamps: { activity: number | null }
  config?: SessionConfig
}

// ── Pairing ──────────────────────────────────────────────────────────────────────

/** `QRCodeValue` (`format=raw`). */
export interface QRCodeValue {
  value: string
}
/** `Base64File` (`format=image` with `Accept: application/json`). */
export interface Base64File {
  mimetype: string
  data: string
}
export interface RequestCodeRequest {
  phoneNumber: string
  /** `sms` | `voice` for registration; leave out for Web pairing (the code to type on the phone). */
  method?: string
}
/** Undocumented response of `POST /api/{session}/auth/request-code`; WAHA returns the code. */
export interface RequestCodeResponse {
  code?: string
  [key: string]: unknown
}

// ── Profile ──────────────────────────────────────────────────────────────────────

export interface MyProfile {
  id: string
  picture: string | null
  name: string
}
export interface Result {
  success: boolean
}

// ── Chatting ─────────────────────────────────────────────────────────────────────

export interface MessageTextRequest {
  chatId: string
  text: string
  reply_to?: string
  linkPreview?: boolean
  linkPreviewHighQuality?: boolean
}
export interface MessageImageRequest {
  chatId: string
  file: WahaFile
  caption?: string
  reply_to?: string
}
export type MessageFileRequest = MessageImageRequest
export interface MessageVoiceRequest {
  chatId: string
  file: WahaVoiceFile
  /** Have WAHA convert the audio to OGG/Opus (push-to-talk format). */
  convert: boolean
  reply_to?: string
}
export interface MessageVideoRequest {
  chatId: string
  file: WahaVideoFile
  convert: boolean
  caption?: string
  asNote?: boolean
  reply_to?: string
}
export interface MessageLocationRequest {
  chatId: string
  latitude: number
  longitude: number
  title: string
  reply_to?: string
}
export interface VCardContact {
  vcard: string
}
export interface MessageContactVcardRequest {
  chatId: string
  /**
   * Only `VCardContact`s: the document's other variant (`Contact`, with a required
   * `vcard` too) overlaps it, so a `oneOf` validator rejects it; build the vCard with
   * `buildVcard`.
   */
  contacts: VCardContact[]
  reply_to?: string
}
export interface MessagePoll {
  name: string
  options: string[]
  multipleAnswers: boolean
}
export interface MessagePollRequest {
  chatId: string
  poll: MessagePoll
  reply_to?: string
}
export interface MessageReactionRequest {
  messageId: string
  /** The emoji; `""` removes the reaction. */
  reaction: string
}
export interface MessageForwardRequest {
  chatId: string
  messageId: string
}
export interface SendSeenRequest {
  chatId: string
  messageIds?: string[]
  participant?: string
}
export type WahaPresence = 'offline' | 'online' | 'typing' | 'recording' | 'paused'
export interface WAHASessionPresence {
  chatId?: string
  presence: WahaPresence
}
/** `PUT /api/star` body (MessageStarRequest; `session` added by the client). */
export interface MessageStarRequest {
  messageId: string
  chatId: string
  star: boolean
}

/** `POST /api/sendPollVote` body (MessagePollVoteRequest; `session` added by the client). */
export interface MessagePollVoteRequest {
  chatId: string
  pollMessageId: string
  votes: string[]
}

/** `POST …/messages/{messageId}/pin` body (PinMessageRequest): 86400, 604800 or 2592000 seconds. */
export interface PinMessageRequest {
  duration: number
}

export interface EditMessageRequest {
  text: string
  linkPreview?: boolean
  linkPreviewHighQuality?: boolean
}
/** Send endpoints other than sendText/forward answer an engine-specific message object. */
export type WahaSendResult = WahaEngineObject

// ── Status (stories) ─────────────────────────────────────────────────────────────

export interface TextStatus {
  text: string
  backgroundColor: string
  font: number
  contacts?: string[]
  linkPreview?: boolean
}
export interface ImageStatus {
  file: WahaFile
  caption?: string
  contacts?: string[]
}
export interface VideoStatus {
  file: WahaVideoFile
  convert: boolean
  caption?: string
  contacts?: string[]
}
export interface VoiceStatus {
  file: WahaVoiceFile
  convert: boolean
  backgroundColor: string
  contacts?: string[]
}
export interface DeleteStatusRequest {
  /** The status message's key (not the serialized id). */
  id: string
  contacts?: string[]
}

// ── Groups by invite, contacts (issue 13 part A) ─────────────────────────────────

export interface JoinGroupRequest {
  /** A code or a https://chat.whatsapp.com/<code> link. */
  code: string
}
export interface JoinGroupResponse {
  id: string
}
export interface ContactUpdateBody {
  firstName: string
  lastName: string
}

// ── Chats ────────────────────────────────────────────────────────────────────────

export type SortOrder = 'desc' | 'asc'

export interface ChatSummary {
  id: string
  name: string | null
  picture: string | null
  lastMessage: WahaEngineObject | null
  _chat: WahaEngineObject
}
export interface ChatPictureResponse {
  url: string
}
export interface ReadChatMessagesResponse {
  ids?: string[]
}
export type WahaMessageAckName = 'ERROR' | 'PENDING' | 'SERVER' | 'DEVICE' | 'READ' | 'PLAYED'

export interface GetChatMessagesQuery {
  /** Required by WAHA. */
  limit: number
  offset?: number
  downloadMedia?: boolean
  sortBy?: 'timestamp' | 'messageTimestamp'
  sortOrder?: SortOrder
  merge?: boolean
  filter?: {
    /** Messages at or before this unix time (seconds): the cursor for "older than". */
    timestampLte?: number
    timestampGte?: number
    fromMe?: boolean
    ack?: WahaMessageAckName
  }
}

// ── Contacts ─────────────────────────────────────────────────────────────────────

/** Undocumented in the document; the fields WAHA's engines return, all optional. */
export interface WahaContact {
  id: string
  number?: string | null
  name?: string | null
  pushname?: string | null
  shortName?: string | null
  isMe?: boolean
  isGroup?: boolean
  isUser?: boolean
  isWAContact?: boolean
  isMyContact?: boolean
  isBlocked?: boolean
  isBusiness?: boolean
  [key: string]: unknown
}
export interface WANumberExistResult {
  chatId?: string
  numberExists: boolean
}
/** Undocumented; WAHA answers `{about}`. */
export interface WahaContactAbout {
  about?: string | null
  [key: string]: unknown
}
/** Undocumented; WAHA answers `{profilePictureURL}` (null when hidden or none). */
export interface WahaProfilePicture {
  profilePictureURL?: string | null
  [key: string]: unknown
}

// ── Groups ───────────────────────────────────────────────────────────────────────

export interface Participant {
  id: string
}
export interface CreateGroupRequest {
  name: string
  participants: Participant[]
}
export interface SettingsSecurityChangeInfo {
  adminsOnly: boolean
}
/** Group objects are engine-specific (WEBJS GroupChat, NOWEB metadata, …): undocumented. */
export type WahaGroup = WahaEngineObject

// ── Issue 13 part B: labels, calls, channels ──────────────────────────────────────

/** WAHA's `Label`: `color` is the palette index, `colorHex` the colour. */
export interface WahaLabelInfo {
  id: string
  name: string
  color: number
  colorHex: string
}

/** `POST` / `PUT /api/{session}/labels…` body (LabelBody). */
export interface LabelBody {
  name: string
  color?: number
  colorHex?: string
}

/** `POST /api/{session}/calls/reject` body (RejectCallRequest). */
export interface RejectCallRequest {
  from: string
  id: string
}

/** WAHA's `Channel`. */
export interface WahaChannel {
  id: string
  name: string
  invite?: string
  preview?: string
  picture?: string
  role: 'OWNER' | 'ADMIN' | 'SUBSCRIBER' | 'GUEST'
  description?: string
  verified?: boolean
  subscribersCount?: number
}

/** `POST /api/{session}/channels` body (CreateChannelRequest). */
export interface CreateChannelRequest {
  name: string
  description?: string
}
