/**
 * The part of whatsapp-web.js the engine touches, typed from whatsapp-web.js's own
 * index.d.ts. Only types live here (no runtime import), so the engine's logic and its
 * tests never load whatsapp-web.js or a browser by themselves.
 *
 * The interfaces are narrowed to what the engine calls, which keeps a test double small;
 * the assertions at the bottom make `tsc` fail when whatsapp-web.js's real `Client`,
 * `Message`, `Chat`… stop fitting them (a renamed method, a changed parameter).
 */
import type WAWebJS from 'whatsapp-web.js'

type M = WAWebJS.Message

/** A whatsapp-web.js `Message`, as far as the engine reads and acts on it. */
export type WMessage = Pick<M, 'id' | 'ack' | 'body' | 'from' | 'to' | 'fromMe' | 'hasMedia' | 'hasQuotedMsg' | 'timestamp' | 'type' | 'rawData'> &
  Partial<
    Pick<
      M,
      | 'author'
      | 'location'
      | 'vCards'
      | 'mentionedIds'
      | 'isForwarded'
      | 'isStatus'
      | 'pollName'
      | 'pollOptions'
      | 'allowMultipleAnswers'
      | 'latestEditSenderTimestampMs'
      | 'duration'
    >
  > &
  Pick<M, 'react' | 'delete' | 'forward' | 'downloadMedia' | 'star' | 'unstar' | 'pin' | 'unpin' | 'vote' | 'getPollVotes'> & {
    edit(content: WAWebJS.MessageContent, options?: WAWebJS.MessageEditOptions): Promise<WMessage | null>
  }

/** A whatsapp-web.js `Chat`. */
export type WChat = Pick<
  WAWebJS.Chat,
  | 'id'
  | 'name'
  | 'isGroup'
  | 'unreadCount'
  | 'timestamp'
  | 'archived'
  | 'sendStateTyping'
  | 'sendStateRecording'
  | 'clearState'
  | 'archive'
  | 'unarchive'
  | 'pin'
  | 'unpin'
  | 'markUnread'
  | 'mute'
  | 'unmute'
  | 'clearMessages'
  | 'delete'
> &
  Partial<Pick<WAWebJS.Chat, 'pinned' | 'isMuted' | 'muteExpiration'>> & {
  lastMessage?: WMessage
  fetchMessages(searchOptions: WAWebJS.MessageSearchOptions): Promise<WMessage[]>
}

/** A whatsapp-web.js `GroupChat`; `groupMetadata` is what its getters read (not in index.d.ts). */
export type WGroupChat = WChat &
  Partial<Pick<WAWebJS.GroupChat, 'owner' | 'description' | 'createdAt'>> &
  Pick<
    WAWebJS.GroupChat,
    | 'participants'
    | 'setSubject'
    | 'setDescription'
    | 'setMessagesAdminsOnly'
    | 'setInfoAdminsOnly'
    | 'addParticipants'
    | 'removeParticipants'
    | 'promoteParticipants'
    | 'demoteParticipants'
    | 'getInviteCode'
    | 'leave'
    | 'setPicture'
    | 'revokeInvite'
    | 'deletePicture'
  > & {
    groupMetadata?: { announce?: boolean; restrict?: boolean; creation?: number; membershipApprovalMode?: boolean }
  }

/** A whatsapp-web.js `Contact`. */
export type WContact = Pick<WAWebJS.Contact, 'id' | 'number' | 'isBusiness' | 'isMyContact' | 'isBlocked' | 'pushname' | 'block' | 'unblock' | 'getAbout'> &
  Partial<Pick<WAWebJS.Contact, 'name' | 'shortName' | 'isMe' | 'isUser' | 'isGroup'>>

export type WReaction = Pick<WAWebJS.Reaction, 'id' | 'msgId' | 'senderId' | 'reaction' | 'timestamp'>

export type WGroupNotification = Pick<WAWebJS.GroupNotification, 'id' | 'chatId' | 'author' | 'recipientIds' | 'timestamp' | 'type' | 'body'>

export type WCall = Pick<WAWebJS.Call, 'id' | 'from' | 'timestamp' | 'isVideo' | 'isGroup' | 'fromMe' | 'reject'>

/** A whatsapp-web.js `Label` (WhatsApp Business). */
export type WLabel = Pick<WAWebJS.Label, 'id' | 'name' | 'hexColor'>

/**
 * A whatsapp-web.js `Channel` (newsletter). `channelMetadata` is WhatsApp Web's newsletter
 * metadata as whatsapp-web.js copies it (not in index.d.ts): the membership and follower count.
 */
export type WChannel = Pick<WAWebJS.Channel, 'id' | 'name' | 'description' | 'isChannel' | 'mute' | 'unmute'> &
  Partial<Pick<WAWebJS.Channel, 'isMuted'>> & {
    channelMetadata?: { membershipType?: string; subscribersCount?: number; inviteCode?: string }
  }

/** A whatsapp-web.js `PollVote`: `selectedOptions` empty when the vote was withdrawn; `interractedAtTs` in ms. */
export type WPollVote = Pick<WAWebJS.PollVote, 'voter' | 'selectedOptions' | 'interractedAtTs'> & { parentMessage: WMessage }

/** The Client events the engine listens to, with the arguments whatsapp-web.js passes. */
export interface WebjsClientEvents {
  qr: [qr: string]
  authenticated: []
  auth_failure: [message: string]
  ready: []
  change_state: [state: WAWebJS.WAState]
  /** A WAState, `LOGOUT`, or whatsapp-web.js's own `Max qrcode retries reached`. */
  disconnected: [reason: string]
  message_create: [message: WMessage]
  message_ack: [message: WMessage, ack: WAWebJS.MessageAck]
  message_reaction: [reaction: WReaction]
  message_revoke_everyone: [message: WMessage, revoked?: WMessage | null]
  message_edit: [message: WMessage, newBody: string, prevBody: string]
  group_join: [notification: WGroupNotification]
  group_leave: [notification: WGroupNotification]
  group_admin_changed: [notification: WGroupNotification]
  group_update: [notification: WGroupNotification]
  call: [call: WCall]
  vote_update: [vote: WPollVote]
}
export type WebjsClientEvent = keyof WebjsClientEvents

/** A whatsapp-web.js `Client`, as far as the engine uses it. */
export interface WebjsClient {
  /** Set by whatsapp-web.js once the session is ready. */
  info?: Pick<WAWebJS.ClientInfo, 'wid' | 'pushname' | 'platform'>
  on<E extends WebjsClientEvent>(event: E, listener: (...args: WebjsClientEvents[E]) => void): unknown
  initialize(): Promise<void>
  destroy(): Promise<void>
  logout(): Promise<void>
  getState(): Promise<WAWebJS.WAState | null>
  requestPairingCode(phoneNumber: string, showNotification?: boolean, intervalMs?: number): Promise<string>
  sendMessage(chatId: string, content: WAWebJS.MessageContent, options?: WAWebJS.MessageSendOptions): Promise<WMessage | undefined | null>
  getMessageById(messageId: string): Promise<WMessage | undefined | null>
  getChatById(chatId: string): Promise<WChat | WGroupChat | undefined>
  getChats(): Promise<Array<WChat | WGroupChat>>
  getContacts(): Promise<WContact[]>
  getContactById(contactId: string): Promise<WContact>
  getProfilePicUrl(contactId: string): Promise<string | undefined>
  getNumberId(number: string): Promise<WAWebJS.ContactId | null>
  createGroup(
    title: string,
    participants?: string | WAWebJS.Contact | WAWebJS.Contact[] | string[],
    options?: WAWebJS.CreateGroupOptions,
  ): Promise<WAWebJS.CreateGroupResult | string>
  sendSeen(chatId: string): Promise<boolean>
  setStatus(status: string): Promise<void>
  setDisplayName(displayName: string): Promise<boolean>
  setProfilePicture(media: WAWebJS.MessageMedia): Promise<boolean>
  // Issue 13 part B: labels (WhatsApp Business) and channels.
  getLabels(): Promise<WLabel[]>
  getChatLabels(chatId: string): Promise<WLabel[]>
  getChatsByLabelId(labelId: string): Promise<Array<WChat | WGroupChat>>
  addOrRemoveLabels(labelIds: Array<number | string>, chatIds: string[]): Promise<void>
  getChannels(): Promise<WChannel[]>
  createChannel(title: string, options?: WAWebJS.CreateChannelOptions): Promise<WAWebJS.CreateChannelResult | string>
  deleteChannel(channelId: string): Promise<boolean>
  subscribeToChannel(channelId: string): Promise<boolean>
  unsubscribeFromChannel(channelId: string, options?: WAWebJS.UnsubscribeOptions): Promise<boolean>
  // Issue 13 part A: invites, membership requests, contacts, presence, profile and Status extras (./invites.ts).
  acceptInvite(inviteCode: string): Promise<string>
  getInviteInfo(inviteCode: string): Promise<object>
  getGroupMembershipRequests(groupId: string): Promise<WAWebJS.GroupMembershipRequest[]>
  approveGroupMembershipRequests(groupId: string, options: WAWebJS.MembershipRequestActionOptions): Promise<WAWebJS.MembershipRequestActionResult[]>
  rejectGroupMembershipRequests(groupId: string, options: WAWebJS.MembershipRequestActionOptions): Promise<WAWebJS.MembershipRequestActionResult[]>
  saveOrEditAddressbookContact(phoneNumber: string, firstName: string, lastName: string, syncToAddressbook?: boolean): Promise<void>
  sendPresenceAvailable(): Promise<void>
  sendPresenceUnavailable(): Promise<void>
  deleteProfilePicture(): Promise<boolean>
  revokeStatusMessage(messageId: string): Promise<void>
}

/** The browser under one Client, as the engine watches it. */
export interface BrowserHandles {
  /** Chromium's process id; puppeteer starts it as the leader of its own process group. */
  readonly pid?: number
  /** Calls `listener` once, when Chromium exits or disconnects, or the page crashes or closes. */
  onGone(listener: (reason: string) => void): void
  /** A trivial `page.evaluate`, for the health probe. */
  evaluate(): Promise<void>
}

/** What the engine hands the code that creates a Client for one session. */
export interface ClientSetup {
  /** The session's number: LocalAuth's `clientId`. */
  phoneNumber: string
  /** LocalAuth's `dataPath` (DATA_DIR/sessions/<number>/webjs). */
  dataPath: string
  /** Chromium's profile directory inside it (LocalAuth names it `session-<clientId>`). */
  userDataDir: string
  qrMaxRetries: number
  /** Aborting it kills the browser this Client launched (puppeteer's launch `signal`). */
  signal: AbortSignal
  /** Called once Chromium and its page are up, before WhatsApp Web is loaded. */
  onBrowser(handles: BrowserHandles): void
}

export type ClientFactory = (setup: ClientSetup) => WebjsClient

/** The whatsapp-web.js classes the engine builds outgoing content with. */
export interface WebjsRuntime {
  MessageMedia: typeof WAWebJS.MessageMedia
  Location: typeof WAWebJS.Location
  Poll: typeof WAWebJS.Poll
}

// ─── Drift checks: whatsapp-web.js's real types must still fit the narrowed ones ──

type Fits<Actual, Narrowed> = [Actual] extends [Narrowed] ? true : false
type Assert<T extends true> = T

export type DriftChecks = [
  Assert<Fits<WAWebJS.Client, WebjsClient>>,
  Assert<Fits<WAWebJS.Message, WMessage>>,
  Assert<Fits<WAWebJS.Chat, WChat>>,
  Assert<Fits<WAWebJS.GroupChat, WGroupChat>>,
  Assert<Fits<WAWebJS.Contact, WContact>>,
  Assert<Fits<WAWebJS.Reaction, WReaction>>,
  Assert<Fits<WAWebJS.GroupNotification, WGroupNotification>>,
  Assert<Fits<WAWebJS.Call, WCall>>,
  Assert<Fits<WAWebJS.PollVote, WPollVote>>,
  Assert<Fits<WAWebJS.Label, WLabel>>,
  Assert<Fits<WAWebJS.Channel, WChannel>>,
  Assert<Fits<typeof WAWebJS.MessageMedia, WebjsRuntime['MessageMedia']>>,
]
