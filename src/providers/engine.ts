/**
 * The engine boundary (WAHA's `WhatsappSession`, improved): one typed interface every
 * engine implements, a declared capability set checked before the engine is touched,
 * and typed events. Routes and services talk only to this; they never import an engine.
 */
import type { TSchema } from '@sinclair/typebox'
import type { EnvReader } from '../lib/env-reader'
import { NotSupportedError } from '../lib/errors'
import type { Logger } from '../lib/logger'

/** An engine's name (`webjs`, `simulator`, `waha`, …): the registry (src/providers/registry.ts) knows which exist. */
export type EngineName = string

// ─── Session status ──────────────────────────────────────────────────────────

/** WAHA's detailed status names. */
export const SESSION_STATUSES = ['STOPPED', 'STARTING', 'SCAN_QR_CODE', 'WORKING', 'FAILED', 'CONFLICT'] as const
export type SessionStatus = (typeof SESSION_STATUSES)[number]

/** The coarse state the seed API exposes. */
export const SESSION_STATES = ['DISCONNECTED', 'AUTHENTICATING', 'CONNECTED', 'CONFLICT'] as const
export type SessionState = (typeof SESSION_STATES)[number]

export function stateOf(status: SessionStatus): SessionState {
  switch (status) {
    case 'STOPPED':
    case 'FAILED':
      return 'DISCONNECTED'
    case 'STARTING':
    case 'SCAN_QR_CODE':
      return 'AUTHENTICATING'
    case 'WORKING':
      return 'CONNECTED'
    case 'CONFLICT':
      return 'CONFLICT'
  }
}

/** The account a session is linked to. `id` is a JID such as `966500000001@c.us`. */
export interface Me {
  id: string
  pushName?: string
}

export interface SessionSnapshot {
  status: SessionStatus
  /** The pending QR's raw value, while `SCAN_QR_CODE`. */
  qr?: string
  me?: Me
  /** Why the session is FAILED or in CONFLICT, in words a person can act on. */
  reason?: string
}

// ─── Capabilities ────────────────────────────────────────────────────────────

export const CAPABILITIES = [
  'session.qr',
  'session.pairingCode',
  'send.text',
  'send.image',
  'send.file',
  'send.video',
  'send.voice',
  'send.audio',
  'send.sticker',
  'send.location',
  'send.contact',
  'send.poll',
  'message.react',
  'message.edit',
  'message.delete',
  'message.forward',
  'chat.seen',
  'chat.presence',
  'status.post',
  'chats.list',
  'chats.get',
  'messages.history',
  'messages.media',
  'contacts.list',
  'contacts.get',
  'contacts.profilePicture',
  'contacts.exists',
  'contacts.block',
  'groups.list',
  'groups.create',
  'groups.get',
  'groups.update',
  'groups.leave',
  'groups.participants',
  'groups.inviteLink',
  'groups.picture',
  'profile.get',
  'profile.name',
  'profile.status',
  'profile.picture',
  // Issue 13 (API.md §12): chat actions, message star/pin, polls.
  'chats.archive',
  'chats.pin',
  'chats.unread',
  'chats.mute',
  'chats.clear',
  'chats.delete',
  'message.star',
  'message.pin',
  'poll.vote',
  'poll.votes',
  // Issue 13 part C (media): sending image, video and voice "view once".
  'send.viewOnce',
  /** Simulator-only test controls (`/sandbox/*`). */
  'sandbox',
  // Issue 13 part B (API.md §12): WhatsApp Business labels, calls, channels (newsletters).
  'labels.list',
  'labels.manage',
  'labels.chats',
  'labels.assign',
  'calls.reject',
  'channels.list',
  'channels.get',
  'channels.create',
  'channels.delete',
  'channels.follow',
  'channels.mute',
  // Issue 13 part A (API.md §12): group invites, pictures and membership requests; contacts; presence; profile and Status extras.
  'groups.join',
  'groups.inviteInfo',
  'groups.inviteRevoke',
  'groups.pictureDelete',
  'groups.requests',
  'groups.requestsReview',
  'contacts.about',
  'contacts.save',
  'presence.set',
  'profile.pictureDelete',
  'status.delete',
  'status.voice',
] as const
export type Capability = (typeof CAPABILITIES)[number]

/** An engine's capability set, named by what it lacks (so a new capability is never silently dropped). */
export function capabilitiesExcept(...lacking: Capability[]): ReadonlySet<Capability> {
  return new Set(CAPABILITIES.filter((capability) => !lacking.includes(capability)))
}

// ─── Messages and other DTOs ─────────────────────────────────────────────────

/** WAHA's ack levels. */
export const ACK = { ERROR: -1, PENDING: 0, SERVER: 1, DEVICE: 2, READ: 3, PLAYED: 4 } as const
export type Ack = (typeof ACK)[keyof typeof ACK]
export type AckName = keyof typeof ACK

export function ackName(ack: Ack): AckName {
  return (Object.keys(ACK) as AckName[]).find((name) => ACK[name] === ack) ?? 'PENDING'
}

export type MessageType =
  | 'text'
  | 'image'
  | 'video'
  | 'audio'
  | 'voice'
  | 'document'
  | 'sticker'
  | 'location'
  | 'contact'
  | 'poll'
  | 'revoked'
  | 'unknown'

/** Bytes of a media item, already fetched and size-checked by the caller: engines never fetch user URLs. */
export interface MediaFile {
  data: Uint8Array
  mimeType: string
  filename?: string
}

export interface MessageMediaInfo {
  mimetype: string
  filename?: string
  /** Size in bytes when known. */
  size?: number
}

export interface Location {
  latitude: number
  longitude: number
  name?: string
  address?: string
}

export interface Poll {
  name: string
  options: string[]
  multipleAnswers: boolean
}

/** A message as every engine reports it; the shape of WAHA's `WAMessage` where the names overlap. */
export interface MessageDTO {
  id: string
  /** Unix seconds, as WhatsApp stamps messages. */
  timestamp: number
  chatId: string
  from: string
  to: string
  fromMe: boolean
  /** The author inside a group chat. */
  participant?: string
  type: MessageType
  body: string
  hasMedia: boolean
  media?: MessageMediaInfo
  ack: Ack
  replyTo?: string
  location?: Location
  vcards?: string[]
  poll?: Poll
  mentions?: string[]
  isForwarded?: boolean
  edited?: boolean
  // Issue 13 part C (media):
  /** Sent "view once". */
  viewOnce?: boolean
  /** Voice notes: length in seconds and waveform, where the engine reports them. */
  durationSeconds?: number
  waveform?: number[]
}

// Issue 13 part C (media): `viewOnce` on image, video and voice sends; `mentions` in captions;
// a voice note's duration and waveform, measured when the server converted it.
/** Opened once by the recipient, then gone (WhatsApp's "view once"); needs the `send.viewOnce` capability. */
export interface ViewOnceOption {
  viewOnce?: boolean
}

/** A voice note's length and the 64 loudness points (0–100) WhatsApp draws under it. */
export interface VoiceNoteDetails {
  durationSeconds?: number
  waveform?: number[]
}

export type OutgoingContent =
  | { type: 'text'; text: string; mentions?: string[]; linkPreview?: boolean }
  | ({ type: 'image'; media: MediaFile; caption?: string; mentions?: string[] } & ViewOnceOption)
  | { type: 'file'; media: MediaFile; caption?: string }
  | ({ type: 'video'; media: MediaFile; caption?: string; mentions?: string[] } & ViewOnceOption)
  | ({ type: 'voice'; media: MediaFile } & ViewOnceOption & VoiceNoteDetails)
  | { type: 'audio'; media: MediaFile }
  | { type: 'sticker'; media: MediaFile }
  | ({ type: 'location' } & Location)
  | { type: 'contact'; vcards: string[] }
  | ({ type: 'poll' } & Poll)

export interface SendRequest {
  chatId: string
  content: OutgoingContent
  quotedMsgId?: string
}

export type StatusContent =
  | { type: 'text'; text: string; backgroundColor?: string; font?: number }
  | { type: 'image'; media: MediaFile; caption?: string }
  | { type: 'video'; media: MediaFile; caption?: string }
  /** A voice note on Status (capability `status.voice`); `backgroundColor` behind it, as WhatsApp shows it. */
  | { type: 'voice'; media: MediaFile; backgroundColor?: string }

export type PresenceState = 'typing' | 'recording' | 'paused'

export interface ChatDTO {
  id: string
  name: string
  isGroup: boolean
  unreadCount: number
  archived: boolean
  // Absent where an engine cannot tell: the routes show false / null / [].
  pinned?: boolean
  /** null: not muted; -1: muted for ever; otherwise unix seconds when the mute ends (whatsapp-web.js's convention). */
  muteExpiration?: number | null
  /** Ids of the WhatsApp Business labels on the chat. */
  labels?: string[]
  /** "Mark as unread" was used and the chat has not been read since. */
  markedUnread?: boolean
  /** Unix seconds of the last activity, for ordering. */
  timestamp: number
  lastMessage?: { body: string; timestamp: number; fromMe: boolean }
}

export interface ChatQuery {
  page: number
  limit: number
  archived?: boolean
  pinned?: boolean
  /** true: chats with unread messages (or marked unread); false: the others. */
  unread?: boolean
  labelId?: string
  /** Case-insensitive substring of the chat's name (or id). */
  search?: string
}

/** WhatsApp's choices for how long a message stays pinned: 24 hours, 7 days, 30 days. */
export const PIN_DURATIONS = [86_400, 604_800, 2_592_000] as const
export type PinDuration = (typeof PIN_DURATIONS)[number]

/** The tally of a poll: every option, in the poll's order, with who chose it. */
export interface PollVotes {
  options: Array<{ name: string; votes: number; voters: string[] }>
}

export interface Page<T> {
  items: T[]
  total: number
}

export interface HistoryQuery {
  limit: number
  /** Cursor: only messages older than this one. */
  before?: string
}

export interface ContactDTO {
  id: string
  name: string | null
  pushname: string | null
  number: string
  isMyContact: boolean
  isBusiness: boolean
  isBlocked: boolean
}

export interface NumberCheck {
  number: string
  exists: boolean
  jid: string | null
}

export interface GroupParticipant {
  id: string
  isAdmin: boolean
  isSuperAdmin: boolean
}

export interface GroupDTO {
  id: string
  subject: string
  description: string | null
  owner: string | null
  participants: GroupParticipant[]
  messagesAdminsOnly: boolean
  infoAdminsOnly: boolean
  createdAt?: number
  /** Admins approve who joins (by invite link or by a member's add); absent where the engine cannot tell. */
  membershipApproval?: boolean
}

export interface GroupCreateOptions {
  membershipApproval?: boolean
}

export interface GroupUpdate {
  subject?: string
  description?: string
  messagesAdminsOnly?: boolean
  infoAdminsOnly?: boolean
  /** Admin-only; an engine that cannot change it answers NOT_SUPPORTED. */
  membershipApproval?: boolean
}

// ─── Issue 13 part A: invites, membership requests, own presence ─────────────

/** What an invite code tells before joining. */
export interface GroupInviteInfo {
  groupId: string
  subject: string
  description: string | null
  owner: string | null
  /** Number of participants. */
  size: number
  /** Joining makes a request that an admin approves. */
  membershipApproval: boolean
  createdAt?: number
}

export interface GroupJoinResult {
  groupId: string
  /** true: the group approves new members; the join is a request until an admin approves it. */
  pending: boolean
}

/** Someone waiting for an admin to let them into a group. */
export interface MembershipRequest {
  id: string
  /** Unix seconds. */
  requestedAt: number
  /** Who added them, when a member's add became a request. */
  addedBy?: string
  /** WhatsApp's words: `InviteLink`, `NonAdminAdd`, `LinkedGroupJoin`. */
  method?: string
}

/** Own presence for everyone, as "online" shows on the phone. */
export type OwnPresence = 'online' | 'offline'

export type ParticipantAction = 'add' | 'remove' | 'promote' | 'demote'

export interface ProfileDTO {
  id: string
  pushname: string
  phone: string
  platform?: string
  status?: string
  pictureUrl?: string | null
}

// ─── Labels, calls, channels (issue 13 part B) ───────────────────────────────

/** A WhatsApp Business label. `color` is WhatsApp's palette index (0–19), `colorHex` its colour. */
export interface LabelDTO {
  id: string
  name: string
  color: number
  colorHex: string
}

/** A label to create (no `id`) or change (`id`). */
export interface LabelInput {
  id?: string
  name: string
  color: number
}

/** This number's relation to a channel, in WAHA's words. */
export const CHANNEL_ROLES = ['OWNER', 'ADMIN', 'SUBSCRIBER', 'GUEST'] as const
export type ChannelRole = (typeof CHANNEL_ROLES)[number]

/** A WhatsApp channel (newsletter), `…@newsletter`. */
export interface ChannelDTO {
  id: string
  name: string
  description: string
  role: ChannelRole
  /** Followers, where the engine can count them. */
  subscribers?: number
  /** Whether this number muted the channel's notifications, where the engine can tell. */
  muted?: boolean
  /** `https://whatsapp.com/channel/<code>`, where known. */
  invite?: string
}

// ─── Events ──────────────────────────────────────────────────────────────────

export const EVENT_NAMES = [
  'session.status',
  'message',
  'message.any',
  'message.ack',
  'message.reaction',
  'message.revoked',
  'message.edited',
  'group.v2.join',
  'group.v2.leave',
  'group.v2.participants',
  'group.v2.update',
  'presence.update',
  'call.received',
  'poll.vote',
  // Issue 13 part B: WhatsApp Business labels.
  'label.upsert',
  'label.deleted',
  'label.chat.added',
  'label.chat.deleted',
] as const
export type EventName = (typeof EVENT_NAMES)[number]

/**
 * What an engine reports. `message` carries every message, incoming or sent (also from
 * the phone); the event layer derives WAHA's `message` (incoming only) and `message.any`.
 */
export type EngineEvent =
  /**
   * `ended`: the engine ended the session for good (logged out from the phone, login
   * refused, number blocked…); it will not come back by itself, so the manager no longer
   * restores it at boot. A crash is not an end: it arrives as `engine.crashed`.
   */
  | { type: 'session.status'; status: SessionStatus; me?: Me; reason?: string; ended?: boolean }
  | { type: 'qr'; value: string }
  | { type: 'message'; message: MessageDTO; media?: MediaFile }
  | { type: 'message.ack'; id: string; chatId: string; from: string; to: string; fromMe: boolean; ack: Ack }
  | { type: 'message.reaction'; id: string; chatId: string; from: string; fromMe: boolean; timestamp: number; reaction: { text: string; messageId: string } }
  | { type: 'message.revoked'; chatId: string; revokedMessageId: string; from: string; fromMe: boolean; timestamp: number }
  | { type: 'message.edited'; chatId: string; editedMessageId: string; body: string; from: string; fromMe: boolean; timestamp: number }
  | { type: 'group.v2.join'; group: { id: string; subject?: string }; timestamp: number }
  | { type: 'group.v2.leave'; group: { id: string }; timestamp: number }
  | { type: 'group.v2.participants'; group: { id: string }; action: ParticipantAction; participants: string[]; author?: string; timestamp: number }
  | { type: 'group.v2.update'; group: { id: string; subject?: string; description?: string }; author?: string; timestamp: number }
  | { type: 'presence.update'; chatId: string; participant: string; state: PresenceState | 'online' | 'offline'; timestamp: number }
  | { type: 'call.received'; id: string; from: string; isVideo: boolean; isGroup: boolean; timestamp: number }
  /** Someone voted on a poll (`selectedOptions` empty: the vote was withdrawn). Reported on the voter's side too (`fromMe`). */
  | { type: 'poll.vote'; chatId: string; pollMessageId: string; voter: string; fromMe: boolean; selectedOptions: string[]; timestamp: number }
  /** The engine died underneath (browser crash…); the session manager restarts it with backoff. */
  | { type: 'engine.crashed'; reason: string }
  // Issue 13 part B: labels (created or changed, deleted; put on or taken off a chat).
  | { type: 'label.upsert'; label: LabelDTO }
  | { type: 'label.deleted'; label: LabelDTO }
  | { type: 'label.chat.added'; labelId: string; chatId: string; label: LabelDTO | null }
  | { type: 'label.chat.deleted'; labelId: string; chatId: string; label: LabelDTO | null }

export type EngineEventListener = (event: EngineEvent) => void

// ─── Sandbox (simulator only) ────────────────────────────────────────────────

export interface SandboxIncoming {
  from: string
  text?: string
  media?: MediaFile
  quotedMsgId?: string
}

export interface SandboxControls {
  /** The phone scans the pending QR (or confirms the pairing code). `phone` defaults to the session's number. */
  scan(options: { phone?: string; pushName?: string }): Promise<SessionSnapshot>
  /** A message arrives from a number outside this server. */
  incoming(message: SandboxIncoming): Promise<MessageDTO>
  /** The engine dies underneath, as a browser crash would. */
  crash(reason: string): Promise<void>
  /** This number calls `to` (a number or a group of this network), which rings there as `call.received`. */
  call?(to: string, video: boolean): Promise<{ id: string }>
}

// ─── The session interface ───────────────────────────────────────────────────

/** Everything an engine needs from the server for one session. */
export interface EngineContext {
  /** The validated phone number (digits only) this session serves. */
  phoneNumber: string
  /** A directory the engine may keep files in (auth state, browser profile), already created. */
  dataDir: string
  /** Small opaque auth state kept in the database, for engines without files of their own. */
  authState: {
    load(): Promise<string | undefined>
    save(state: string): Promise<void>
    clear(): Promise<void>
  }
  /**
   * In a cluster (Postgres): where a browser engine keeps its login as an archive, so
   * another node can take the session over without a QR (webjs saves it soon after `ready`,
   * periodically and on a clean stop, and restores it into a fresh profile). Saves are
   * fenced: a node that lost the session cannot overwrite the new owner's. Absent on SQLite,
   * where the profile on disk is all there is.
   */
  profileSnapshots?: {
    /** The newest stored archive and when it was saved (epoch ms). */
    load(): Promise<{ archive: Uint8Array; savedAt: number } | undefined>
    save(archive: Uint8Array): Promise<void>
  }
  emit: EngineEventListener
}

export interface EngineSession {
  readonly engine: EngineName
  readonly capabilities: ReadonlySet<Capability>
  /** Present only on engines with the `sandbox` capability. */
  readonly sandbox?: SandboxControls

  snapshot(): SessionSnapshot
  /** Begins connecting; resolves once the engine is STARTING or further. */
  start(): Promise<void>
  /** Disconnects and keeps auth: the next start needs no QR. */
  stop(): Promise<void>
  /** Unpairs and wipes auth: the next start needs a QR. */
  logout(): Promise<void>
  requestPairingCode(phoneNumber: string): Promise<string>

  // Contract notes for engines (the routes rely on them):
  // - ids arrive normalized (`…@c.us`, `…@g.us`, `…@lid`, `status@broadcast`); media arrives as
  //   bytes already fetched and size-checked. Engines never fetch user URLs.
  // - unknown chats/messages/contacts/groups throw NotFoundError; a group the number is not in
  //   counts as unknown. WhatsApp refusing an act (not admin, not your message, edit window
  //   passed) is BadRequestError or, for admin-only acts, ForbiddenError.
  // - every message, sent or received, is also reported as a `message` event (with `media`
  //   bytes when the engine has them): the message store is fed from events. Reactions, edits,
  //   deletes for everyone and acks are reported as their events on BOTH sides (`fromMe` true
  //   on the acting side), so the store of the acting number follows too.

  /** Sends and returns the message as stored (`id`, `timestamp`); also emitted as a `message` event. */
  send(request: SendRequest): Promise<MessageDTO>
  /** `emoji` '' removes the reaction. Emits `message.reaction`. */
  react(messageId: string, emoji: string): Promise<void>
  /** Own messages only (text or caption). Emits `message.edited`. */
  editMessage(messageId: string, text: string): Promise<void>
  /** forEveryone: emits `message.revoked`. Otherwise only this device forgets it (no event; the route updates the store). */
  deleteMessage(messageId: string, forEveryone: boolean): Promise<void>
  forwardMessage(messageId: string, chatId: string): Promise<MessageDTO>
  markSeen(chatId: string): Promise<void>
  setPresence(chatId: string, state: PresenceState): Promise<void>
  /** Stored in the chat `status@broadcast`; also emitted as a `message` event. */
  postStatus(content: StatusContent): Promise<MessageDTO>

  listChats(query: ChatQuery): Promise<Page<ChatDTO>>
  getChat(chatId: string): Promise<ChatDTO>
  /**
   * The engine's own history. The history ROUTE reads this server's message store instead
   * (it works on every engine); this stays for engines that can backfill.
   */
  getMessages(chatId: string, query: HistoryQuery): Promise<{ messages: MessageDTO[]; hasMore: boolean }>
  /** Bytes of a message whose `message` event came without them; the route stores what it gets. */
  downloadMedia(messageId: string): Promise<MediaFile | null>

  listContacts(): Promise<ContactDTO[]>
  getContact(contactId: string): Promise<ContactDTO>
  /** `contactId` may also be a group (`…@g.us`): its picture. */
  getProfilePictureUrl(contactId: string): Promise<string | null>
  /** `number` is digits only. */
  checkNumber(number: string): Promise<NumberCheck>
  setBlocked(contactId: string, blocked: boolean): Promise<void>

  listGroups(): Promise<GroupDTO[]>
  /** Participants are `…@c.us` ids; emits `group.v2.join` on every member's side. `membershipApproval`: joins by link wait for an admin. */
  createGroup(name: string, participants: string[], options?: GroupCreateOptions): Promise<GroupDTO>
  getGroup(groupId: string): Promise<GroupDTO>
  updateGroup(groupId: string, update: GroupUpdate): Promise<GroupDTO>
  leaveGroup(groupId: string): Promise<void>
  updateParticipants(groupId: string, action: ParticipantAction, participants: string[]): Promise<GroupDTO>
  getInviteLink(groupId: string): Promise<string>
  setGroupPicture(groupId: string, picture: MediaFile): Promise<void>

  archiveChat(chatId: string, archived: boolean): Promise<void>
  pinChat(chatId: string, pinned: boolean): Promise<void>
  /** Marks the chat unread (WhatsApp's "mark as unread"); reading it (`markSeen`) clears that. */
  markUnread(chatId: string): Promise<void>
  /** `until` unix seconds; undefined: for ever. */
  muteChat(chatId: string, until?: number): Promise<void>
  unmuteChat(chatId: string): Promise<void>
  /** Deletes the chat's messages on this device; the chat stays. */
  clearChat(chatId: string): Promise<void>
  deleteChat(chatId: string): Promise<void>
  starMessage(messageId: string, starred: boolean): Promise<void>
  pinMessage(messageId: string, durationSeconds: PinDuration): Promise<void>
  unpinMessage(messageId: string): Promise<void>
  /** `options` are option names of the poll; [] withdraws the vote. Emits `poll.vote`. */
  votePoll(messageId: string, options: string[]): Promise<void>
  getPollVotes(messageId: string): Promise<PollVotes>

  // Issue 13 part B: labels, calls, channels.
  getLabels(): Promise<LabelDTO[]>
  /** Creates (no `id`) or changes a label; emits `label.upsert`. */
  saveLabel(label: LabelInput): Promise<LabelDTO>
  /** Emits `label.deleted` (and `label.chat.deleted` for each chat that had it). 404 for an unknown label. */
  deleteLabel(labelId: string): Promise<void>
  /** Chats with the label; 404 for an unknown label. */
  getLabelChats(labelId: string): Promise<ChatDTO[]>
  /** Replaces the chat's labels; emits `label.chat.added` / `label.chat.deleted` for what changed. */
  setChatLabels(chatId: string, labelIds: string[]): Promise<void>
  /** Declines a call ringing on this number; 404 for an unknown (or ended) call. */
  rejectCall(callId: string): Promise<void>
  /** Channels this number owns, administers or follows. */
  listChannels(): Promise<ChannelDTO[]>
  /** Any channel by id (`GUEST` when not following); 404 for an unknown one. */
  getChannel(channelId: string): Promise<ChannelDTO>
  createChannel(name: string, description?: string): Promise<ChannelDTO>
  /** The owner only (403 otherwise). */
  deleteChannel(channelId: string): Promise<void>
  followChannel(channelId: string, follow: boolean): Promise<void>
  muteChannel(channelId: string, muted: boolean): Promise<void>

  getProfile(): Promise<ProfileDTO>
  setProfileName(name: string): Promise<void>
  setProfileStatus(status: string): Promise<void>
  setProfilePicture(picture: MediaFile): Promise<void>

  // Issue 13 part A: group invites, pictures and membership requests; contacts; presence; profile and Status extras.
  /** `inviteCode` is the bare code. 404 for an unknown or revoked code; 409 when already a member. Emits `group.v2.join` once in. */
  joinGroup(inviteCode: string): Promise<GroupJoinResult>
  getInviteInfo(inviteCode: string): Promise<GroupInviteInfo>
  /** Admin-only: the old link stops working; answers the new link. */
  revokeInviteLink(groupId: string): Promise<string>
  deleteGroupPicture(groupId: string): Promise<void>
  /** Admin-only. */
  listMembershipRequests(groupId: string): Promise<MembershipRequest[]>
  /** Admin-only; `participants` are `…@c.us` ids of requesters. Answers the ids handled; approved ones join (`group.v2.join`). */
  reviewMembershipRequests(groupId: string, participants: string[], approve: boolean): Promise<string[]>
  /** The contact's "about" text; null when none or hidden. */
  getContactAbout(contactId: string): Promise<string | null>
  /** Saves (or renames) the contact in the phone's address book. */
  saveContact(contactId: string, name: { firstName: string; lastName?: string }): Promise<void>
  setOwnPresence(state: OwnPresence): Promise<void>
  deleteProfilePicture(): Promise<void>
  /** Own Status posts only; emits `message.revoked` as a delete for everyone does. */
  deleteStatus(messageId: string): Promise<void>

  /**
   * Only on engines that hear from WhatsApp out of band (the `waha` engine, through
   * WAHA's callbacks to `/webhook/*`): takes events already mapped to ours, updates the
   * session's state from them and emits them through `EngineContext.emit`, in order.
   * Resolves once they are emitted.
   */
  acceptExternalEvents?(events: EngineEvent[]): Promise<void>

  /**
   * Only on engines that run processes of their own per session (webjs: its Chromium):
   * their resident memory in bytes, or undefined while none runs. Read at metrics scrape
   * time, so it must be cheap and synchronous.
   */
  processMemoryBytes?(): number | undefined
}

/** Creates sessions of one engine. The registry holds one per engine name. */
export interface EngineFactory {
  readonly engine: EngineName
  readonly capabilities: ReadonlySet<Capability>
  create(context: EngineContext): EngineSession
  /**
   * How many of this engine's sessions may be starting at once when a boot restores them
   * (a browser launch costs a core and hundreds of MB for seconds); unset: all at once.
   */
  readonly maxConcurrentStarts?: number
  /** Releases shared resources (browsers, networks) at shutdown. */
  close?(): Promise<void>
}

/**
 * Base for engines: every operation answers NOT_SUPPORTED until the engine overrides it.
 * Routes check capabilities first, so these are reached only by a capability declared
 * without its method — a bug the contract tests catch.
 */
export abstract class BaseEngineSession implements EngineSession {
  abstract readonly engine: EngineName
  abstract readonly capabilities: ReadonlySet<Capability>
  readonly sandbox?: SandboxControls

  abstract snapshot(): SessionSnapshot
  abstract start(): Promise<void>
  abstract stop(): Promise<void>
  abstract logout(): Promise<void>

  protected unsupported(feature: string): never {
    throw new NotSupportedError(this.engine, feature)
  }

  requestPairingCode(_phoneNumber: string): Promise<string> { return this.unsupported('pairing codes') }
  send(request: SendRequest): Promise<MessageDTO> { return this.unsupported(`sending ${request.content.type} messages`) }
  react(_messageId: string, _emoji: string): Promise<void> { return this.unsupported('reactions') }
  editMessage(_messageId: string, _text: string): Promise<void> { return this.unsupported('editing messages') }
  deleteMessage(_messageId: string, _forEveryone: boolean): Promise<void> { return this.unsupported('deleting messages') }
  forwardMessage(_messageId: string, _chatId: string): Promise<MessageDTO> { return this.unsupported('forwarding messages') }
  markSeen(_chatId: string): Promise<void> { return this.unsupported('marking chats seen') }
  setPresence(_chatId: string, _state: PresenceState): Promise<void> { return this.unsupported('presence') }
  postStatus(_content: StatusContent): Promise<MessageDTO> { return this.unsupported('Status posts') }
  listChats(_query: ChatQuery): Promise<Page<ChatDTO>> { return this.unsupported('listing chats') }
  getChat(_chatId: string): Promise<ChatDTO> { return this.unsupported('reading chats') }
  getMessages(_chatId: string, _query: HistoryQuery): Promise<{ messages: MessageDTO[]; hasMore: boolean }> { return this.unsupported('message history') }
  downloadMedia(_messageId: string): Promise<MediaFile | null> { return this.unsupported('media download') }
  listContacts(): Promise<ContactDTO[]> { return this.unsupported('listing contacts') }
  getContact(_contactId: string): Promise<ContactDTO> { return this.unsupported('reading contacts') }
  getProfilePictureUrl(_contactId: string): Promise<string | null> { return this.unsupported('profile pictures') }
  checkNumber(_number: string): Promise<NumberCheck> { return this.unsupported('number checks') }
  setBlocked(_contactId: string, _blocked: boolean): Promise<void> { return this.unsupported('blocking contacts') }
  listGroups(): Promise<GroupDTO[]> { return this.unsupported('listing groups') }
  createGroup(_name: string, _participants: string[], _options?: GroupCreateOptions): Promise<GroupDTO> { return this.unsupported('creating groups') }
  getGroup(_groupId: string): Promise<GroupDTO> { return this.unsupported('reading groups') }
  updateGroup(_groupId: string, _update: GroupUpdate): Promise<GroupDTO> { return this.unsupported('updating groups') }
  leaveGroup(_groupId: string): Promise<void> { return this.unsupported('leaving groups') }
  updateParticipants(_groupId: string, _action: ParticipantAction, _participants: string[]): Promise<GroupDTO> { return this.unsupported('group participants') }
  getInviteLink(_groupId: string): Promise<string> { return this.unsupported('group invite links') }
  setGroupPicture(_groupId: string, _picture: MediaFile): Promise<void> { return this.unsupported('group pictures') }
  archiveChat(_chatId: string, _archived: boolean): Promise<void> { return this.unsupported('archiving chats') }
  pinChat(_chatId: string, _pinned: boolean): Promise<void> { return this.unsupported('pinning chats') }
  markUnread(_chatId: string): Promise<void> { return this.unsupported('marking chats unread') }
  muteChat(_chatId: string, _until?: number): Promise<void> { return this.unsupported('muting chats') }
  unmuteChat(_chatId: string): Promise<void> { return this.unsupported('muting chats') }
  clearChat(_chatId: string): Promise<void> { return this.unsupported('clearing chats') }
  deleteChat(_chatId: string): Promise<void> { return this.unsupported('deleting chats') }
  starMessage(_messageId: string, _starred: boolean): Promise<void> { return this.unsupported('starring messages') }
  pinMessage(_messageId: string, _durationSeconds: PinDuration): Promise<void> { return this.unsupported('pinning messages') }
  unpinMessage(_messageId: string): Promise<void> { return this.unsupported('pinning messages') }
  votePoll(_messageId: string, _options: string[]): Promise<void> { return this.unsupported('voting in polls') }
  getPollVotes(_messageId: string): Promise<PollVotes> { return this.unsupported('poll results') }
  getProfile(): Promise<ProfileDTO> { return this.unsupported('reading the profile') }
  setProfileName(_name: string): Promise<void> { return this.unsupported('setting the profile name') }
  setProfileStatus(_status: string): Promise<void> { return this.unsupported('setting the profile status') }
  setProfilePicture(_picture: MediaFile): Promise<void> { return this.unsupported('setting the profile picture') }
  // Issue 13 part B: labels, calls, channels.
  getLabels(): Promise<LabelDTO[]> { return this.unsupported('labels') }
  saveLabel(_label: LabelInput): Promise<LabelDTO> { return this.unsupported('creating labels') }
  deleteLabel(_labelId: string): Promise<void> { return this.unsupported('deleting labels') }
  getLabelChats(_labelId: string): Promise<ChatDTO[]> { return this.unsupported('chats of a label') }
  setChatLabels(_chatId: string, _labelIds: string[]): Promise<void> { return this.unsupported("setting a chat's labels") }
  rejectCall(_callId: string): Promise<void> { return this.unsupported('rejecting calls') }
  listChannels(): Promise<ChannelDTO[]> { return this.unsupported('listing channels') }
  getChannel(_channelId: string): Promise<ChannelDTO> { return this.unsupported('reading channels') }
  createChannel(_name: string, _description?: string): Promise<ChannelDTO> { return this.unsupported('creating channels') }
  deleteChannel(_channelId: string): Promise<void> { return this.unsupported('deleting channels') }
  followChannel(_channelId: string, _follow: boolean): Promise<void> { return this.unsupported('following channels') }
  muteChannel(_channelId: string, _muted: boolean): Promise<void> { return this.unsupported('muting channels') }
  // Issue 13 part A.
  joinGroup(_inviteCode: string): Promise<GroupJoinResult> { return this.unsupported('joining groups by invite') }
  getInviteInfo(_inviteCode: string): Promise<GroupInviteInfo> { return this.unsupported('group invite info') }
  revokeInviteLink(_groupId: string): Promise<string> { return this.unsupported('revoking group invite links') }
  deleteGroupPicture(_groupId: string): Promise<void> { return this.unsupported('deleting group pictures') }
  listMembershipRequests(_groupId: string): Promise<MembershipRequest[]> { return this.unsupported('group membership requests') }
  reviewMembershipRequests(_groupId: string, _participants: string[], _approve: boolean): Promise<string[]> { return this.unsupported('reviewing group membership requests') }
  getContactAbout(_contactId: string): Promise<string | null> { return this.unsupported("reading a contact's about text") }
  saveContact(_contactId: string, _name: { firstName: string; lastName?: string }): Promise<void> { return this.unsupported('saving contacts') }
  setOwnPresence(_state: OwnPresence): Promise<void> { return this.unsupported('setting own presence') }
  deleteProfilePicture(): Promise<void> { return this.unsupported('deleting the profile picture') }
  deleteStatus(_messageId: string): Promise<void> { return this.unsupported('deleting Status posts') }
}

/**
 * Which EngineSession member serves each capability: the one table behind the session
 * manager's 501 check (a capability the engine does not declare, or declares without
 * overriding the base's NOT_SUPPORTED default, is refused before the engine is touched)
 * and behind the engine contract suite, which calls exactly these members.
 */
export const CAPABILITY_METHODS = {
  'session.qr': 'snapshot',
  'session.pairingCode': 'requestPairingCode',
  'send.text': 'send',
  'send.image': 'send',
  'send.file': 'send',
  'send.video': 'send',
  'send.voice': 'send',
  'send.audio': 'send',
  'send.sticker': 'send',
  'send.location': 'send',
  'send.contact': 'send',
  'send.poll': 'send',
  'message.react': 'react',
  'message.edit': 'editMessage',
  'message.delete': 'deleteMessage',
  'message.forward': 'forwardMessage',
  'chat.seen': 'markSeen',
  'chat.presence': 'setPresence',
  'status.post': 'postStatus',
  'chats.list': 'listChats',
  'chats.get': 'getChat',
  'messages.history': 'getMessages',
  'messages.media': 'downloadMedia',
  'contacts.list': 'listContacts',
  'contacts.get': 'getContact',
  'contacts.profilePicture': 'getProfilePictureUrl',
  'contacts.exists': 'checkNumber',
  'contacts.block': 'setBlocked',
  'groups.list': 'listGroups',
  'groups.create': 'createGroup',
  'groups.get': 'getGroup',
  'groups.update': 'updateGroup',
  'groups.leave': 'leaveGroup',
  'groups.participants': 'updateParticipants',
  'groups.inviteLink': 'getInviteLink',
  'groups.picture': 'setGroupPicture',
  'profile.get': 'getProfile',
  'profile.name': 'setProfileName',
  'profile.status': 'setProfileStatus',
  'profile.picture': 'setProfilePicture',
  'chats.archive': 'archiveChat',
  'chats.pin': 'pinChat',
  'chats.unread': 'markUnread',
  'chats.mute': 'muteChat',
  'chats.clear': 'clearChat',
  'chats.delete': 'deleteChat',
  'message.star': 'starMessage',
  'message.pin': 'pinMessage',
  'poll.vote': 'votePoll',
  'poll.votes': 'getPollVotes',
  'send.viewOnce': 'send',
  sandbox: 'sandbox',
  // Issue 13 part B: labels, calls, channels.
  'labels.list': 'getLabels',
  'labels.manage': 'saveLabel',
  'labels.chats': 'getLabelChats',
  'labels.assign': 'setChatLabels',
  'calls.reject': 'rejectCall',
  'channels.list': 'listChannels',
  'channels.get': 'getChannel',
  'channels.create': 'createChannel',
  'channels.delete': 'deleteChannel',
  'channels.follow': 'followChannel',
  'channels.mute': 'muteChannel',
  // Issue 13 part A.
  'groups.join': 'joinGroup',
  'groups.inviteInfo': 'getInviteInfo',
  'groups.inviteRevoke': 'revokeInviteLink',
  'groups.pictureDelete': 'deleteGroupPicture',
  'groups.requests': 'listMembershipRequests',
  'groups.requestsReview': 'reviewMembershipRequests',
  'contacts.about': 'getContactAbout',
  'contacts.save': 'saveContact',
  'presence.set': 'setOwnPresence',
  'profile.pictureDelete': 'deleteProfilePicture',
  'status.delete': 'deleteStatus',
  'status.voice': 'postStatus',
} as const satisfies Record<Capability, keyof EngineSession>

/**
 * Whether a session really serves a capability: declared, and its member (CAPABILITY_METHODS)
 * present and not BaseEngineSession's NOT_SUPPORTED default.
 */
export function servesCapability(session: EngineSession, capability: Capability): boolean {
  if (!session.capabilities.has(capability)) return false
  const member = CAPABILITY_METHODS[capability]
  const value = session[member]
  if (value === undefined) return false
  return !(session instanceof BaseEngineSession) || value !== (BaseEngineSession.prototype as unknown as Record<string, unknown>)[member]
}

// ─── Engine definitions (what the registry holds) ────────────────────────────

/** What the server hands an engine when it loads it, besides the engine's own settings. */
export interface EngineHost {
  logger: Logger
  /** This server's API as reachable from outside (PUBLIC_URL + base path): where an engine's backend sends callbacks. */
  publicApiUrl: string
  /** Durable rows an engine keeps beyond one session (the simulator's phones), in the server's database. */
  stateStore?: (engine: EngineName) => EngineStateStore
  /**
   * With many nodes on one database (API.md §10): mailboxes between nodes, so an engine
   * whose sessions talk to each other (the simulator's network) spans the cluster. Absent
   * on a single node.
   */
  relay?: (engine: EngineName) => EngineRelay
}

/**
 * Deliveries between the nodes of a cluster for one engine: a durable mailbox per number in
 * the shared database (what waits is taken by whichever node runs that number, now or
 * later), and the numbers on the engine's network anywhere.
 */
export interface EngineRelay {
  /** A number joined the engine's network on this node. */
  announce(phoneNumber: string): Promise<void>
  /** Every number announced on any node. */
  members(): Promise<string[]>
  /** Leaves a payload in a number's mailbox. */
  post(to: string, payload: string): Promise<void>
  /** Takes what waits for these numbers, oldest first (each payload is taken once, by one node). */
  take(numbers: string[]): Promise<Array<{ to: string; payload: string }>>
  /** Calls `wake` whenever something may be waiting (another node's notification, or a poll); returns the stop. */
  watch(wake: () => void): () => void
}

/** One engine's durable state: opaque text rows by key, written together. */
export interface EngineStateStore {
  load(): Promise<Array<{ key: string; state: string }>>
  /** Writes `rows` and deletes the rows of `removedKeys`, in one transaction. */
  save(rows: Array<{ key: string; state: string }>, removedKeys?: string[]): Promise<void>
}

/** The HTTP callbacks an engine's backend may send: `POST /webhook/message` and `POST /webhook/state-change`. */
export const CALLBACK_KINDS = ['message', 'state-change'] as const
export type CallbackKind = (typeof CALLBACK_KINDS)[number]

/** One callback, decoded: whose it is, what identifies a retried delivery, and the events it carries. */
export interface DecodedCallback {
  /** The phone number of the session it is for. */
  session: string
  /** Equal for a redelivery of the same callback: repeats are acknowledged and dropped. */
  deliveryId: string
  events: EngineEvent[]
}

export interface CallbackDecoder {
  /** `body` has passed the engine's schema for `kind`. */
  decode(kind: CallbackKind, body: unknown): DecodedCallback
}

/** How an engine that hears from WhatsApp over HTTP callbacks (as WAHA's webhooks) reads them. */
export interface EngineCallbacks {
  /**
   * Body schemas (TypeBox) of each callback, for validation and the API document. Every
   * body names its session in a `session` string: the route reads it to find the engine.
   */
  readonly schemas: Readonly<Record<CallbackKind, TSchema>>
  /** Loaded on the first callback, so a server that never receives one never loads the decoding code. */
  decoder(): Promise<CallbackDecoder>
}

/**
 * Everything the server knows about one engine, in one value: one line in the registry's
 * list adds it. Only this and the `load` it points at name the engine's folder; nothing
 * else imports an engine.
 */
export interface EngineDefinition<Name extends EngineName = EngineName, Settings = unknown> {
  readonly name: Name
  /** The `engine` field of the event envelopes (WAHA's names: `WEBJS`, …). */
  readonly envelopeName: string
  /**
   * Reads the engine's settings section (`config[name]`) from the environment, through
   * config.ts's reader so a bad value is reported with every other. Must not load the engine.
   */
  settings?(read: EnvReader): Settings
  /** Why sessions cannot run on this engine with these settings (e.g. "needs WAHA_URL"); undefined when they can. */
  notConfigured?(settings: Settings): string | undefined
  /** Loads the engine (methods, not fields: a list of engines holds definitions of different settings types), lazily: the first session that needs it (a simulator-only server never loads a browser). */
  load(settings: Settings, host: EngineHost): Promise<EngineFactory>
  /** Present when the engine's backend reports over HTTP callbacks. */
  readonly callbacks?: EngineCallbacks
}

/** Declares an engine with its literal name kept, so `config[name]` is typed with its settings. */
export function defineEngine<const Name extends EngineName, Settings = undefined>(definition: EngineDefinition<Name, Settings>): EngineDefinition<Name, Settings> {
  return definition
}
