/**
 * The simulator engine: a linked WhatsApp device that lives in memory. It behaves like
 * the real thing where clients can observe it — a QR that refreshes, pairing by scan or
 * pairing code, pairing that survives a restart (kept through `EngineContext.authState`),
 * messages of every kind that travel between sessions with advancing acks, replies,
 * reactions, edits, deletes for everyone, presence, Status, contacts, blocking, groups
 * with admins, and the profile — each reported to every side through EngineEvents.
 *
 * The phone's data (chats, messages) lives in the network's `Account` for the number, so
 * it survives a stop/start of the session within one server process. After a server
 * restart the pairing is kept but the simulated chats start empty (the server's own
 * message store still has the history).
 */
import { messageTypeOfMime } from '../message-types'
import { pageOfChats } from '../chat-query'
import { randomBytes } from 'node:crypto'
import { BadRequestError, ClientNotReadyError, ConflictError, ForbiddenError, NoLinkPendingError, NotFoundError } from '../../errors'
import { jidOf } from '../../lib/phone'
import { STATUS_BROADCAST } from '../../lib/chat-id'
import {
  ACK,
  BaseEngineSession,
  capabilitiesExcept,
  stateOf,
  type Ack,
  type Capability,
  type ChatDTO,
  type ChatQuery,
  type ContactDTO,
  type GroupCreateOptions,
  type GroupDTO,
  type GroupUpdate,
  type HistoryQuery,
  type MediaFile,
  type Me,
  type MessageDTO,
  type MessageType,
  type NumberCheck,
  type Page,
  type ParticipantAction,
  type PinDuration,
  type PollVotes,
  type PresenceState,
  type ProfileDTO,
  type EngineContext,
  type EngineEvent,
  type GroupInviteInfo,
  type GroupJoinResult,
  type MembershipRequest,
  type OwnPresence,
  type SandboxControls,
  type SandboxIncoming,
  type SendRequest,
  type SessionSnapshot,
  type SessionStatus,
  type StatusContent,
  type ChannelDTO,
  type LabelDTO,
  type LabelInput,
} from '../engine'
import type { Account, ChatState, StoredMessage } from './account'
import { labelDto, requireLabel, saveLabel } from './labels'
import type { GroupState } from './groups'
import type { NetworkDevice, SimulatorNetwork } from './network'
import { jid, messageKey, nowSeconds, ownId, phoneOf, receivedId, type GroupNotification, type Packet, type WireMessage } from './wire'

export interface SimulatorOptions {
  /** How often a pending QR is replaced by a new one, as WhatsApp does. */
  qrRefreshMs: number
  /** Delay between STARTING and the next status, to let clients observe STARTING. */
  connectDelayMs: number
}

/** The simulator can do everything the API offers. */
/** The simulator carries every feature, and the sandbox controls. */
export const SIMULATOR_CAPABILITIES: ReadonlySet<Capability> = capabilitiesExcept()

/** WhatsApp's windows: edits within 15 minutes, deletes for everyone within about 60 hours. */
export const EDIT_WINDOW_SECONDS = 15 * 60
export const REVOKE_WINDOW_SECONDS = 60 * 60 * 60

/** How long a call rings before it counts as missed. */
export const CALL_RING_SECONDS = 60

/** WhatsApp pins at most three chats. */
export const MAX_PINNED_CHATS = 3
/** How much longer than SIMULATOR_CONNECT_DELAY_MS a scan right after start waits for the QR. */
const SCAN_WAIT_EXTRA_MS = 5000
const EDITABLE: ReadonlySet<MessageType> = new Set(['text', 'image', 'video', 'document'])

interface StoredAuth {
  me: Me
  pairedAt: number
}

function qrValue(): string {
  // The shape of WhatsApp's QR payload: ref, noise key, identity key, ADV secret.
  const part = (bytes: number) => randomBytes(bytes).toString('base64')
  return `2@${part(48)},${part(32)},${part(32)},${part(32)}`
}

function dataUrl(media: MediaFile): string {
  return `data:${media.mimeType};base64,${Buffer.from(media.data).toString('base64')}`
}


/** Where a send goes: one person, a group's members, or the Status audience. */
interface Route {
  chatId: string
  recipients: string[]
  group?: GroupState
  /** A channel post: the chat is the channel, the recipients its followers. */
  channel?: boolean
}

export class SimulatorSession extends BaseEngineSession implements NetworkDevice {
  readonly engine = 'simulator' as const
  readonly capabilities = SIMULATOR_CAPABILITIES
  override readonly sandbox: SandboxControls

  private status: SessionStatus = 'STOPPED'
  private qr?: string
  private me?: Me
  private reason?: string
  private qrTimer?: ReturnType<typeof setInterval>
  private connectTimer?: ReturnType<typeof setTimeout>
  /** Scans waiting for the session to leave STARTING. */
  private readonly statusWaiters = new Set<() => void>()
  private pairingCode?: string

  constructor(
    private readonly context: EngineContext,
    private readonly network: SimulatorNetwork,
    private readonly options: SimulatorOptions,
  ) {
    super()
    this.sandbox = {
      scan: (options) => this.scan(options),
      incoming: (message) => this.incoming(message),
      crash: async (reason) => {
        this.disconnect('FAILED', reason)
        this.context.emit({ type: 'engine.crashed', reason })
      },
      call: (to, video) => this.placeCall(to, video),
    }
  }

  get phoneNumber(): string {
    return this.context.phoneNumber
  }

  private get myJid(): string {
    return jidOf(this.phoneNumber)
  }

  private get account(): Account {
    return this.network.account(this.phoneNumber)
  }

  snapshot(): SessionSnapshot {
    return {
      status: this.status,
      ...(this.qr !== undefined && { qr: this.qr }),
      ...(this.me && { me: this.me }),
      ...(this.reason !== undefined && { reason: this.reason }),
    }
  }

  async start(): Promise<void> {
    if (this.status !== 'STOPPED' && this.status !== 'FAILED') return
    this.reason = undefined
    this.setStatus('STARTING')
    const stored = await this.loadAuth()
    this.connectTimer = setTimeout(() => {
      if (this.status !== 'STARTING') return
      if (stored) this.connect(stored.me)
      else this.showQr()
    }, this.options.connectDelayMs)
  }

  async stop(): Promise<void> {
    this.disconnect('STOPPED')
  }

  async logout(): Promise<void> {
    this.disconnect('STOPPED')
    this.me = undefined
    await this.context.authState.clear()
  }

  override async requestPairingCode(_phoneNumber: string): Promise<string> {
    if (this.status !== 'SCAN_QR_CODE') throw new NoLinkPendingError('pairing', stateOf(this.status), this.status)
    const alphabet = 'ABCDEFGHJKLMNPQRSTVWXYZ0123456789'
    const bytes = randomBytes(8)
    const code = Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('')
    this.pairingCode = `${code.slice(0, 4)}-${code.slice(4)}`
    return this.pairingCode
  }

  // ─── Messaging ───────────────────────────────────────────────────────────

  override async send(request: SendRequest): Promise<MessageDTO> {
    this.requireWorking()
    const route = this.route(request.chatId)
    const content = request.content
    const wire: WireMessage = {
      key: messageKey(),
      from: this.phoneNumber,
      to: route.group ? route.group.id : route.channel ? route.chatId : phoneOf(route.chatId),
      timestamp: nowSeconds(),
      type: 'text',
      body: '',
    }
    if (request.quotedMsgId !== undefined) wire.quotedKey = this.requireMessage(request.quotedMsgId, route.chatId, 'Quoted message').key
    switch (content.type) {
      case 'text':
        wire.body = content.text
        if (content.mentions?.length) wire.mentions = content.mentions
        break
      case 'image':
      case 'video':
        wire.type = content.type
        wire.body = content.caption ?? ''
        wire.media = content.media
        if (content.mentions?.length) wire.mentions = content.mentions
        if (content.viewOnce) wire.viewOnce = true
        break
      case 'file':
        wire.type = 'document'
        wire.body = content.caption ?? ''
        wire.media = content.media
        break
      case 'voice':
        wire.type = content.type
        wire.media = content.media
        if (content.viewOnce) wire.viewOnce = true
        if (content.durationSeconds !== undefined) wire.durationSeconds = content.durationSeconds
        if (content.waveform) wire.waveform = content.waveform
        break
      case 'audio':
      case 'sticker':
        wire.type = content.type
        wire.media = content.media
        break
      case 'location': {
        const { type: _type, ...location } = content
        wire.type = 'location'
        wire.body = [content.name, content.address].filter(Boolean).join('\n')
        wire.location = location
        break
      }
      case 'contact':
        wire.type = 'contact'
        // As whatsapp-web.js reports it: one card is the body, several cards leave it empty.
        wire.body = content.vcards.length === 1 ? content.vcards[0]! : ''
        wire.vcards = content.vcards
        break
      case 'poll':
        wire.type = 'poll'
        wire.body = content.name
        wire.poll = { name: content.name, options: content.options, multipleAnswers: content.multipleAnswers }
        break
    }
    return this.dispatch(route, wire)
  }

  override async forwardMessage(messageId: string, chatId: string): Promise<MessageDTO> {
    this.requireWorking()
    const original = this.requireMessage(messageId)
    if (original.dto.type === 'revoked') throw new BadRequestError('A deleted message cannot be forwarded')
    const route = this.route(chatId)
    const dto = original.dto
    const wire: WireMessage = {
      key: messageKey(),
      from: this.phoneNumber,
      to: route.group ? route.group.id : route.channel ? route.chatId : phoneOf(route.chatId),
      timestamp: nowSeconds(),
      type: dto.type,
      body: dto.body,
      isForwarded: true,
      ...(original.media && { media: original.media }),
      ...(dto.location && { location: dto.location }),
      ...(dto.vcards && { vcards: dto.vcards }),
      ...(dto.poll && { poll: dto.poll }),
    }
    return this.dispatch(route, wire)
  }

  override async postStatus(content: StatusContent): Promise<MessageDTO> {
    this.requireWorking()
    const wire: WireMessage = {
      key: messageKey(),
      from: this.phoneNumber,
      to: STATUS_BROADCAST,
      timestamp: nowSeconds(),
      type: content.type,
      body: content.type === 'text' ? content.text : content.type === 'voice' ? '' : (content.caption ?? ''),
      ...(content.type !== 'text' && { media: content.media }),
    }
    // The Status audience: the numbers of this network that have a chat with this one.
    const audience = this.network
      .accountNumbers()
      .filter((phone) => phone !== this.phoneNumber && this.network.account(phone).chats.has(this.myJid))
    return this.dispatch({ chatId: STATUS_BROADCAST, recipients: audience }, wire)
  }

  override async react(messageId: string, emoji: string): Promise<void> {
    this.requireWorking()
    const target = this.requireMessage(messageId)
    if (target.dto.type === 'revoked') throw new BadRequestError('A deleted message cannot be reacted to')
    const key = messageKey()
    const timestamp = nowSeconds()
    const chatId = target.dto.chatId
    this.context.emit({
      type: 'message.reaction',
      id: ownId(chatId, key),
      chatId,
      from: this.myJid,
      fromMe: true,
      timestamp,
      reaction: { text: emoji, messageId },
    })
    this.tell(target, { kind: 'reaction', from: this.phoneNumber, ...this.groupField(chatId), key, targetKey: target.key, emoji, timestamp })
  }

  override async editMessage(messageId: string, text: string): Promise<void> {
    this.requireWorking()
    const target = this.requireMessage(messageId)
    if (!target.dto.fromMe) throw new BadRequestError('Only your own messages can be edited')
    if (target.dto.type === 'revoked') throw new BadRequestError('A deleted message cannot be edited')
    if (!EDITABLE.has(target.dto.type)) throw new BadRequestError(`A ${target.dto.type} message cannot be edited; only text and captions can`)
    if (nowSeconds() - target.dto.timestamp > EDIT_WINDOW_SECONDS) throw new BadRequestError('Messages can only be edited within 15 minutes of sending')
    const timestamp = nowSeconds()
    target.dto.body = text
    target.dto.edited = true
    this.account.touch(target)
    const chatId = target.dto.chatId
    this.context.emit({ type: 'message.edited', chatId, editedMessageId: messageId, body: text, from: this.myJid, fromMe: true, timestamp })
    this.tell(target, { kind: 'edit', from: this.phoneNumber, ...this.groupField(chatId), targetKey: target.key, body: text, timestamp })
  }

  override async deleteMessage(messageId: string, forEveryone: boolean): Promise<void> {
    this.requireWorking()
    const target = this.requireMessage(messageId)
    if (!forEveryone) {
      this.account.remove(messageId)
      return
    }
    if (target.dto.type === 'revoked') throw new BadRequestError('The message was already deleted for everyone')
    const chatId = target.dto.chatId
    const group = chatId.endsWith('@g.us') ? this.network.groups.get(chatId) : undefined
    const asAdmin = group !== undefined && this.network.groups.isAdmin(group, this.phoneNumber)
    if (!target.dto.fromMe && !asAdmin) throw new BadRequestError("Only your own messages (or, as a group admin, members' messages) can be deleted for everyone")
    if (target.dto.fromMe && nowSeconds() - target.dto.timestamp > REVOKE_WINDOW_SECONDS) {
      throw new BadRequestError('Messages can only be deleted for everyone within about 60 hours of sending')
    }
    const timestamp = nowSeconds()
    this.revokeLocally(target)
    this.context.emit({ type: 'message.revoked', chatId, revokedMessageId: messageId, from: this.myJid, fromMe: true, timestamp })
    this.tell(target, { kind: 'revoke', from: this.phoneNumber, ...this.groupField(chatId), targetKey: target.key, timestamp })
  }

  override async markSeen(chatId: string): Promise<void> {
    this.requireWorking()
    const chat = this.requireChat(chatId)
    chat.unreadCount = 0
    chat.markedUnread = false
    const bySender = new Map<string, string[]>()
    for (const message of chat.messages) {
      if (message.dto.fromMe || message.seen) continue
      message.seen = true
      this.account.touch(message)
      const sender = phoneOf(message.dto.participant ?? message.dto.from)
      bySender.set(sender, [...(bySender.get(sender) ?? []), message.key])
    }
    if (chatId === STATUS_BROADCAST) return
    for (const [sender, keys] of bySender) {
      this.network.send(sender, { kind: 'receipt', from: this.phoneNumber, ...this.groupField(chatId), keys, ack: ACK.READ })
    }
  }

  override async setPresence(chatId: string, state: PresenceState): Promise<void> {
    this.requireWorking()
    const route = this.route(chatId)
    const timestamp = nowSeconds()
    for (const phone of route.recipients) {
      this.network.send(phone, { kind: 'presence', from: this.phoneNumber, ...this.groupField(route.chatId), state, timestamp })
    }
  }

  // ─── Chats and history ───────────────────────────────────────────────────

  override async listChats(query: ChatQuery): Promise<Page<ChatDTO>> {
    this.requireWorking()
    // Channels are listed apart (GET /channels), as WhatsApp shows them under Updates.
    const all = [...this.account.chats.values()].filter((chat) => chat.id !== STATUS_BROADCAST && !chat.id.endsWith('@newsletter')).map((chat) => this.chatDto(chat))
    return pageOfChats(all, query)
  }

  override async getChat(chatId: string): Promise<ChatDTO> {
    this.requireWorking()
    return this.chatDto(this.requireChat(chatId))
  }

  override async getMessages(chatId: string, query: HistoryQuery): Promise<{ messages: MessageDTO[]; hasMore: boolean }> {
    this.requireWorking()
    const chat = this.requireChat(chatId)
    const newestFirst = [...chat.messages].reverse().map((m) => m.dto)
    let start = 0
    if (query.before !== undefined) {
      start = newestFirst.findIndex((m) => m.id === query.before) + 1
      if (start === 0) throw new NotFoundError(`Message ${query.before} not found in ${chatId}`)
    }
    const messages = newestFirst.slice(start, start + query.limit)
    return { messages, hasMore: start + query.limit < newestFirst.length }
  }

  override async downloadMedia(messageId: string): Promise<MediaFile | null> {
    this.requireWorking()
    return this.requireMessage(messageId).media ?? null
  }

  // ─── Chat actions (this device only, as on WhatsApp) ─────────────────────

  override async archiveChat(chatId: string, archived: boolean): Promise<void> {
    this.requireWorking()
    this.requireChat(chatId).archived = archived
  }

  override async pinChat(chatId: string, pinned: boolean): Promise<void> {
    this.requireWorking()
    const chat = this.requireChat(chatId)
    if (pinned && !chat.pinned) {
      const count = [...this.account.chats.values()].filter((c) => c.pinned).length
      if (count >= MAX_PINNED_CHATS) throw new BadRequestError(`At most ${MAX_PINNED_CHATS} chats can be pinned; unpin one first`)
    }
    chat.pinned = pinned
  }

  override async markUnread(chatId: string): Promise<void> {
    this.requireWorking()
    this.requireChat(chatId).markedUnread = true
  }

  override async muteChat(chatId: string, until?: number): Promise<void> {
    this.requireWorking()
    const chat = this.requireChat(chatId)
    if (until !== undefined && until <= nowSeconds()) throw new BadRequestError('until must be in the future')
    chat.muteUntil = until ?? -1
  }

  override async unmuteChat(chatId: string): Promise<void> {
    this.requireWorking()
    delete this.requireChat(chatId).muteUntil
  }

  override async clearChat(chatId: string): Promise<void> {
    this.requireWorking()
    this.requireChat(chatId)
    this.account.clear(chatId, false)
  }

  override async deleteChat(chatId: string): Promise<void> {
    this.requireWorking()
    this.requireChat(chatId)
    if (chatId.endsWith('@g.us') && this.network.groups.get(chatId)?.participants.has(this.phoneNumber)) {
      throw new BadRequestError('Leave the group before deleting its chat (POST /:phoneNumber/group/:groupId/leave)')
    }
    this.account.clear(chatId, true)
  }

  override async starMessage(messageId: string, starred: boolean): Promise<void> {
    this.requireWorking()
    const target = this.requireMessage(messageId)
    if (target.dto.type === 'revoked') throw new BadRequestError('A deleted message cannot be starred')
    target.starred = starred
    this.account.touch(target)
  }

  override async pinMessage(messageId: string, durationSeconds: PinDuration): Promise<void> {
    this.requireWorking()
    const target = this.requireMessage(messageId)
    if (target.dto.type === 'revoked') throw new BadRequestError('A deleted message cannot be pinned')
    this.requirePinRights(target)
    target.pinnedUntil = nowSeconds() + durationSeconds
    this.account.touch(target)
    this.tell(target, { kind: 'pin', from: this.phoneNumber, ...this.groupField(target.dto.chatId), targetKey: target.key, until: target.pinnedUntil })
  }

  override async unpinMessage(messageId: string): Promise<void> {
    this.requireWorking()
    const target = this.requireMessage(messageId)
    if (target.pinnedUntil === undefined || target.pinnedUntil <= nowSeconds()) throw new BadRequestError('The message is not pinned')
    this.requirePinRights(target)
    delete target.pinnedUntil
    this.account.touch(target)
    this.tell(target, { kind: 'pin', from: this.phoneNumber, ...this.groupField(target.dto.chatId), targetKey: target.key, until: 0 })
  }

  /** Pinned messages of a chat (newest pin first), for tests and the stand-ins. */
  pinnedMessages(chatId: string): string[] {
    const now = nowSeconds()
    return (this.account.chats.get(chatId)?.messages ?? []).filter((m) => (m.pinnedUntil ?? 0) > now).map((m) => m.dto.id)
  }

  override async votePoll(messageId: string, options: string[]): Promise<void> {
    this.requireWorking()
    const poll = this.requirePoll(messageId)
    const choice = [...new Set(options)]
    const unknown = choice.filter((option) => !poll.dto.poll!.options.includes(option))
    if (unknown.length > 0) throw new BadRequestError(`Not an option of this poll: ${unknown.join(', ')}`, { options: poll.dto.poll!.options })
    if (choice.length > 1 && !poll.dto.poll!.multipleAnswers) throw new BadRequestError('This poll takes one answer only')
    const chatId = poll.dto.chatId
    const timestamp = nowSeconds()
    poll.votes ??= new Map()
    poll.votes.set(this.myJid, choice)
    this.account.touch(poll)
    this.emit({ type: 'poll.vote', chatId, pollMessageId: messageId, voter: this.myJid, fromMe: true, selectedOptions: choice, timestamp })
    this.tell(poll, { kind: 'vote', from: this.phoneNumber, ...this.groupField(chatId), targetKey: poll.key, options: choice, timestamp })
  }

  override async getPollVotes(messageId: string): Promise<PollVotes> {
    this.requireWorking()
    const poll = this.requirePoll(messageId)
    const votes = [...(poll.votes ?? new Map<string, string[]>()).entries()]
    return {
      options: poll.dto.poll!.options.map((name) => {
        const voters = votes.filter(([, chosen]) => chosen.includes(name)).map(([voter]) => voter).sort()
        return { name, votes: voters.length, voters }
      }),
    }
  }

  private requirePoll(messageId: string): StoredMessage {
    const poll = this.requireMessage(messageId)
    if (poll.dto.type !== 'poll' || !poll.dto.poll) throw new BadRequestError(`Message ${messageId} is not a poll`)
    return poll
  }

  /** In a group where only admins may edit the info, only admins pin (WhatsApp's rule). */
  private requirePinRights(target: StoredMessage): void {
    const chatId = target.dto.chatId
    if (!chatId.endsWith('@g.us')) return
    const group = this.network.groups.requireMember(this.phoneNumber, chatId)
    if (group.infoAdminsOnly && !this.network.groups.isAdmin(group, this.phoneNumber)) throw new ForbiddenError('Only admins can pin messages in this group')
  }

  // ─── Contacts ────────────────────────────────────────────────────────────

  override async listContacts(): Promise<ContactDTO[]> {
    this.requireWorking()
    const ids = new Set<string>()
    for (const phone of this.network.accountNumbers()) if (phone !== this.phoneNumber) ids.add(jid(phone))
    for (const chatId of this.account.chats.keys()) if (chatId.endsWith('@c.us') && chatId !== this.myJid) ids.add(chatId)
    for (const blocked of this.account.blocked) ids.add(blocked)
    for (const saved of this.account.savedNames.keys()) ids.add(saved)
    return [...ids].sort().map((id) => this.contactDto(id))
  }

  override async getContact(contactId: string): Promise<ContactDTO> {
    this.requireWorking()
    if (!this.knowsContact(contactId)) throw new NotFoundError(`Contact ${contactId} not found`)
    return this.contactDto(contactId)
  }

  override async getProfilePictureUrl(contactId: string): Promise<string | null> {
    this.requireWorking()
    if (contactId.endsWith('@g.us')) {
      const picture = this.network.groups.requireMember(this.phoneNumber, contactId).picture
      return picture ? dataUrl(picture) : null
    }
    if (contactId !== this.myJid && !this.knowsContact(contactId)) throw new NotFoundError(`Contact ${contactId} not found`)
    const picture = this.network.profile(phoneOf(contactId))?.picture
    return picture ? dataUrl(picture) : null
  }

  override async checkNumber(number: string): Promise<NumberCheck> {
    this.requireWorking()
    const exists = this.network.exists(number)
    return { number, exists, jid: exists ? jid(number) : null }
  }

  override async setBlocked(contactId: string, blocked: boolean): Promise<void> {
    this.requireWorking()
    if (contactId === this.myJid) throw new BadRequestError('A number cannot block itself')
    if (!contactId.endsWith('@c.us')) throw new NotFoundError(`Contact ${contactId} not found`)
    if (blocked) this.account.blocked.add(contactId)
    else this.account.blocked.delete(contactId)
  }

  // ─── Groups ──────────────────────────────────────────────────────────────

  override async listGroups(): Promise<GroupDTO[]> {
    this.requireWorking()
    return this.network.groups.forMember(this.phoneNumber).map((group) => this.network.groups.dto(group))
  }

  override async createGroup(name: string, participants: string[], options?: GroupCreateOptions): Promise<GroupDTO> {
    this.requireWorking()
    const phones = this.groupPhones(participants).filter((phone) => phone !== this.phoneNumber)
    const unknown = phones.filter((phone) => !this.network.exists(phone))
    if (unknown.length > 0) throw new BadRequestError(`Not on WhatsApp: ${unknown.map(jid).join(', ')}`, { participants: unknown.map(jid) })
    return this.network.groups.dto(this.network.groups.create(this.phoneNumber, name, phones, options?.membershipApproval === true))
  }

  override async getGroup(groupId: string): Promise<GroupDTO> {
    this.requireWorking()
    return this.network.groups.dto(this.network.groups.requireMember(this.phoneNumber, groupId))
  }

  override async updateGroup(groupId: string, update: GroupUpdate): Promise<GroupDTO> {
    this.requireWorking()
    return this.network.groups.dto(this.network.groups.update(this.phoneNumber, groupId, update))
  }

  override async leaveGroup(groupId: string): Promise<void> {
    this.requireWorking()
    this.network.groups.leave(this.phoneNumber, groupId)
  }

  override async updateParticipants(groupId: string, action: ParticipantAction, participants: string[]): Promise<GroupDTO> {
    this.requireWorking()
    const group = this.network.groups.participants(this.phoneNumber, groupId, action, this.groupPhones(participants), (phone) =>
      this.network.exists(phone),
    )
    return this.network.groups.dto(group)
  }

  override async getInviteLink(groupId: string): Promise<string> {
    this.requireWorking()
    return this.network.groups.inviteLink(this.phoneNumber, groupId)
  }

  override async setGroupPicture(groupId: string, picture: MediaFile): Promise<void> {
    this.requireWorking()
    this.network.groups.setPicture(this.phoneNumber, groupId, picture)
  }

  // ─── Profile ─────────────────────────────────────────────────────────────

  override async getProfile(): Promise<ProfileDTO> {
    this.requireWorking()
    const profile = this.network.profile(this.phoneNumber)
    return {
      id: this.myJid,
      pushname: profile?.pushName ?? this.me?.pushName ?? this.phoneNumber,
      phone: this.phoneNumber,
      platform: 'simulator',
      status: profile?.status ?? '',
      pictureUrl: profile?.picture ? dataUrl(profile.picture) : null,
    }
  }

  override async setProfileName(name: string): Promise<void> {
    this.requireWorking()
    this.network.setProfile(this.phoneNumber, { pushName: name })
    this.me = { id: this.myJid, pushName: name }
    await this.context.authState.save(JSON.stringify({ me: this.me, pairedAt: Date.now() } satisfies StoredAuth))
  }

  override async setProfileStatus(status: string): Promise<void> {
    this.requireWorking()
    this.network.setProfile(this.phoneNumber, { status })
  }

  override async setProfilePicture(picture: MediaFile): Promise<void> {
    this.requireWorking()
    this.network.setProfile(this.phoneNumber, { picture })
  }

  // ─── Labels, calls, channels (issue 13 part B) ─────────────────────────

  override async getLabels(): Promise<LabelDTO[]> {
    this.requireWorking()
    return [...this.account.labels.values()].map(labelDto)
  }

  override async saveLabel(input: LabelInput): Promise<LabelDTO> {
    this.requireWorking()
    const label = labelDto(saveLabel(this.account.labels, input))
    this.emit({ type: 'label.upsert', label })
    return label
  }

  override async deleteLabel(labelId: string): Promise<void> {
    this.requireWorking()
    const label = labelDto(requireLabel(this.account.labels, labelId))
    for (const chat of this.account.chats.values()) {
      if (!chat.labels.includes(labelId)) continue
      chat.labels = chat.labels.filter((id) => id !== labelId)
      this.emit({ type: 'label.chat.deleted', labelId, chatId: chat.id, label })
    }
    this.account.labels.delete(labelId)
    this.emit({ type: 'label.deleted', label })
  }

  override async getLabelChats(labelId: string): Promise<ChatDTO[]> {
    this.requireWorking()
    requireLabel(this.account.labels, labelId)
    return [...this.account.chats.values()]
      .filter((chat) => chat.labels.includes(labelId))
      .map((chat) => this.chatDto(chat))
      .sort((a, b) => b.timestamp - a.timestamp)
  }

  override async setChatLabels(chatId: string, labelIds: string[]): Promise<void> {
    this.requireWorking()
    const chat = this.requireChat(chatId)
    const wanted = [...new Set(labelIds)]
    const unknown = wanted.filter((id) => !this.account.labels.has(id))
    if (unknown.length > 0) throw new BadRequestError(`Unknown label ids: ${unknown.join(', ')} (GET /:phoneNumber/labels lists them)`, { field: 'labelIds', unknown })
    const removed = chat.labels.filter((id) => !wanted.includes(id))
    const added = wanted.filter((id) => !chat.labels.includes(id))
    chat.labels = wanted
    const labelOf = (id: string) => {
      const label = this.account.labels.get(id)
      return label ? labelDto(label) : null
    }
    for (const labelId of removed) this.emit({ type: 'label.chat.deleted', labelId, chatId, label: labelOf(labelId) })
    for (const labelId of added) this.emit({ type: 'label.chat.added', labelId, chatId, label: labelOf(labelId) })
  }

  override async rejectCall(callId: string): Promise<void> {
    this.requireWorking()
    const call = this.account.calls.get(callId)
    if (!call || nowSeconds() - call.timestamp > CALL_RING_SECONDS) throw new NotFoundError(`No call ${callId} is ringing`)
    if (call.rejected) throw new ConflictError(`Call ${callId} was rejected already`)
    call.rejected = true
  }

  override async listChannels(): Promise<ChannelDTO[]> {
    this.requireWorking()
    return this.network.channels.forNumber(this.phoneNumber).map((channel) => this.network.channels.dto(channel, this.phoneNumber))
  }

  override async getChannel(channelId: string): Promise<ChannelDTO> {
    this.requireWorking()
    return this.network.channels.dto(this.network.channels.require(channelId), this.phoneNumber)
  }

  override async createChannel(name: string, description?: string): Promise<ChannelDTO> {
    this.requireWorking()
    const channel = this.network.channels.create(this.phoneNumber, name, description ?? '', nowSeconds())
    this.account.chat(channel.id, channel.createdAt)
    return this.network.channels.dto(channel, this.phoneNumber)
  }

  override async deleteChannel(channelId: string): Promise<void> {
    this.requireWorking()
    for (const follower of this.network.channels.delete(this.phoneNumber, channelId)) this.network.changed(follower)
    this.account.clear(channelId, true)
  }

  override async followChannel(channelId: string, follow: boolean): Promise<void> {
    this.requireWorking()
    this.network.channels.follow(this.phoneNumber, channelId, follow)
    if (follow) this.account.chat(channelId, nowSeconds())
  }

  override async muteChannel(channelId: string, muted: boolean): Promise<void> {
    this.requireWorking()
    this.network.channels.mute(this.phoneNumber, channelId, muted)
  }

  /** The sandbox's call: rings on `to` (a number of this network, or every other member of a group). */
  private async placeCall(to: string, video: boolean): Promise<{ id: string }> {
    this.requireWorking()
    const id = randomBytes(16).toString('hex').toUpperCase()
    const timestamp = nowSeconds()
    if (to.endsWith('@g.us')) {
      const group = this.network.groups.requireMember(this.phoneNumber, to)
      for (const phone of group.participants.keys()) {
        if (phone !== this.phoneNumber) this.network.send(phone, { kind: 'call', from: this.phoneNumber, group: to, id, video, timestamp })
      }
      return { id }
    }
    const phone = phoneOf(to)
    if (phone === this.phoneNumber) throw new BadRequestError('A number cannot call itself')
    if (!this.network.hasAccount(phone)) throw new NotFoundError(`${jid(phone)} is not a number of this simulated network`)
    this.network.send(phone, { kind: 'call', from: this.phoneNumber, id, video, timestamp })
    return { id }
  }

  private onCall(packet: Extract<Packet, { kind: 'call' }>): void {
    // A call that waited in the inbox longer than it rings was missed: nothing rings any more.
    if (nowSeconds() - packet.timestamp > CALL_RING_SECONDS || this.isBlocked(packet.from, packet.group)) return
    for (const [id, call] of this.account.calls) if (nowSeconds() - call.timestamp > CALL_RING_SECONDS) this.account.calls.delete(id)
    this.account.calls.set(packet.id, { id: packet.id, from: packet.from, ...(packet.group && { group: packet.group }), video: packet.video, timestamp: packet.timestamp, rejected: false })
    this.emit({ type: 'call.received', id: packet.id, from: jid(packet.from), isVideo: packet.video, isGroup: packet.group !== undefined, timestamp: packet.timestamp })
  }

  // ─── Issue 13 part A: invites, membership requests, contacts, presence, profile and Status extras ──

  override async joinGroup(inviteCode: string): Promise<GroupJoinResult> {
    this.requireWorking()
    const { group, pending } = this.network.groups.join(this.phoneNumber, inviteCode)
    return { groupId: group.id, pending }
  }

  override async getInviteInfo(inviteCode: string): Promise<GroupInviteInfo> {
    this.requireWorking()
    return this.network.groups.inviteInfo(inviteCode)
  }

  override async revokeInviteLink(groupId: string): Promise<string> {
    this.requireWorking()
    return this.network.groups.revokeInvite(this.phoneNumber, groupId)
  }

  override async deleteGroupPicture(groupId: string): Promise<void> {
    this.requireWorking()
    this.network.groups.deletePicture(this.phoneNumber, groupId)
  }

  override async listMembershipRequests(groupId: string): Promise<MembershipRequest[]> {
    this.requireWorking()
    return this.network.groups.requestsOf(this.phoneNumber, groupId)
  }

  override async reviewMembershipRequests(groupId: string, participants: string[], approve: boolean): Promise<string[]> {
    this.requireWorking()
    return this.network.groups.review(this.phoneNumber, groupId, this.groupPhones(participants), approve)
  }

  override async getContactAbout(contactId: string): Promise<string | null> {
    this.requireWorking()
    if (contactId !== this.myJid && !this.knowsContact(contactId)) throw new NotFoundError(`Contact ${contactId} not found`)
    return this.network.profile(phoneOf(contactId))?.status || null
  }

  override async saveContact(contactId: string, name: { firstName: string; lastName?: string }): Promise<void> {
    this.requireWorking()
    if (!contactId.endsWith('@c.us')) throw new BadRequestError('Only phone numbers (…@c.us) can be saved as contacts', { contactId })
    if (contactId === this.myJid) throw new BadRequestError('A number cannot save itself as a contact')
    this.account.savedNames.set(contactId, { firstName: name.firstName, ...(name.lastName !== undefined && { lastName: name.lastName }) })
  }

  /** Told to the numbers this one chats with (as WhatsApp shows "online" in their chat), not to those it blocked. */
  override async setOwnPresence(state: OwnPresence): Promise<void> {
    this.requireWorking()
    const timestamp = nowSeconds()
    for (const phone of this.network.accountNumbers()) {
      if (phone === this.phoneNumber || this.account.blocked.has(jid(phone))) continue
      if (!this.account.chats.has(jid(phone)) && !this.network.account(phone).chats.has(this.myJid)) continue
      this.network.send(phone, { kind: 'presence', from: this.phoneNumber, state, timestamp })
    }
  }

  override async deleteProfilePicture(): Promise<void> {
    this.requireWorking()
    this.network.setProfile(this.phoneNumber, { picture: undefined })
  }

  override async deleteStatus(messageId: string): Promise<void> {
    this.requireWorking()
    const target = this.requireMessage(messageId)
    if (target.dto.chatId !== STATUS_BROADCAST || !target.dto.fromMe) throw new BadRequestError(`Message ${messageId} is not one of this number's Status posts`)
    await this.deleteMessage(messageId, true)
  }

  // ─── NetworkDevice ───────────────────────────────────────────────────────

  handle(packet: Packet): void {
    switch (packet.kind) {
      case 'message':
        this.receive(packet.message)
        return
      case 'receipt':
        this.onReceipt(packet.from, packet.group, packet.keys, packet.ack)
        return
      case 'reaction': {
        const chatId = packet.group ?? jid(packet.from)
        const target = this.account.findByKey(chatId, packet.targetKey)
        if (!target || this.isBlocked(packet.from, packet.group)) return
        this.emit({
          type: 'message.reaction',
          id: receivedId(chatId, packet.key, packet.group ? jid(packet.from) : undefined),
          chatId,
          from: jid(packet.from),
          fromMe: false,
          timestamp: packet.timestamp,
          reaction: { text: packet.emoji, messageId: target.dto.id },
        })
        return
      }
      case 'edit': {
        const chatId = packet.group ?? jid(packet.from)
        const target = this.account.findByKey(chatId, packet.targetKey)
        if (!target || phoneOf(target.dto.participant ?? target.dto.from) !== packet.from) return
        target.dto.body = packet.body
        target.dto.edited = true
        this.account.touch(target)
        this.emit({ type: 'message.edited', chatId, editedMessageId: target.dto.id, body: packet.body, from: jid(packet.from), fromMe: false, timestamp: packet.timestamp })
        return
      }
      case 'revoke': {
        const chatId = packet.group ?? jid(packet.from)
        const target = this.account.findByKey(chatId, packet.targetKey)
        if (!target || target.dto.type === 'revoked') return
        const author = phoneOf(target.dto.participant ?? target.dto.from)
        const group = packet.group ? this.network.groups.get(packet.group) : undefined
        if (author !== packet.from && !(group && this.network.groups.isAdmin(group, packet.from))) return
        this.revokeLocally(target)
        this.emit({ type: 'message.revoked', chatId, revokedMessageId: target.dto.id, from: jid(packet.from), fromMe: false, timestamp: packet.timestamp })
        return
      }
      case 'presence':
        if (this.isBlocked(packet.from, packet.group)) return
        this.emit({ type: 'presence.update', chatId: packet.group ?? jid(packet.from), participant: jid(packet.from), state: packet.state, timestamp: packet.timestamp })
        return
      case 'group':
        this.onGroup(packet.notification)
        return
      case 'vote': {
        const chatId = packet.group ?? jid(packet.from)
        const poll = this.account.findByKey(chatId, packet.targetKey)
        if (!poll || poll.dto.type !== 'poll' || this.isBlocked(packet.from, packet.group)) return
        poll.votes ??= new Map()
        poll.votes.set(jid(packet.from), packet.options)
        this.account.touch(poll)
        this.emit({
          type: 'poll.vote',
          chatId,
          pollMessageId: poll.dto.id,
          voter: jid(packet.from),
          fromMe: false,
          selectedOptions: packet.options,
          timestamp: packet.timestamp,
        })
        return
      }
      case 'call':
        this.onCall(packet)
        return
      case 'pin': {
        const chatId = packet.group ?? jid(packet.from)
        const target = this.account.findByKey(chatId, packet.targetKey)
        if (!target) return
        if (packet.until > 0) target.pinnedUntil = packet.until
        else delete target.pinnedUntil
        this.account.touch(target)
        return
      }
    }
  }

  // ─── Internals ───────────────────────────────────────────────────────────

  private emit(event: EngineEvent): void {
    this.context.emit(event)
  }

  /** Stores an own message, reports it, and hands it to its recipients. */
  private dispatch(route: Route, wire: WireMessage): MessageDTO {
    const stored: StoredMessage = {
      key: wire.key,
      dto: this.toDto(wire, route.chatId, true, ACK.SERVER),
      ...(wire.media && { media: wire.media }),
      recipients: route.recipients,
      receivedBy: new Set(),
      readBy: new Set(),
    }
    this.account.add(route.chatId, stored)
    this.emit({ type: 'message', message: { ...stored.dto }, ...(wire.media && { media: wire.media }) })
    for (const phone of route.recipients) this.network.send(phone, { kind: 'message', message: wire })
    return { ...stored.dto }
  }

  /** A message from the network (or the sandbox): stored, reported, and receipted to its sender. */
  private receive(wire: WireMessage): MessageDTO | undefined {
    if (this.status !== 'WORKING') return undefined
    const group = wire.to.endsWith('@g.us') || wire.to === STATUS_BROADCAST || wire.to.endsWith('@newsletter') ? wire.to : undefined
    if (this.isBlocked(wire.from, group)) return undefined
    const chatId = group ?? jid(wire.from)
    if (this.account.findByKey(chatId, wire.key)) return undefined
    const stored: StoredMessage = { key: wire.key, dto: this.toDto(wire, chatId, false, ACK.DEVICE), ...(wire.media && { media: wire.media }) }
    this.account.add(chatId, stored)
    this.emit({ type: 'message', message: { ...stored.dto }, ...(wire.media && { media: wire.media }) })
    // Channel posts are not receipted to their author (WhatsApp shows channels' view counts instead).
    if (group !== STATUS_BROADCAST && !group?.endsWith('@newsletter')) this.network.send(wire.from, { kind: 'receipt', from: this.phoneNumber, ...(group && { group }), keys: [wire.key], ack: ACK.DEVICE })
    return stored.dto
  }

  private onReceipt(from: string, group: string | undefined, keys: string[], ack: Ack): void {
    const chatId = group ?? jid(from)
    for (const key of keys) {
      const message = this.account.findByKey(chatId, key)
      if (!message?.dto.fromMe) continue
      message.receivedBy?.add(from)
      if (ack >= ACK.READ) message.readBy?.add(from)
      this.account.touch(message)
      // In a group the ticks turn only when every recipient got (read) it, as on WhatsApp.
      const everyone = message.recipients ?? [from]
      const level = everyone.every((p) => message.readBy?.has(p)) ? ACK.READ : everyone.every((p) => message.receivedBy?.has(p)) ? ACK.DEVICE : ACK.SERVER
      this.setAck(message, level)
    }
  }

  private onGroup(notification: GroupNotification): void {
    const { groupId, timestamp } = notification
    switch (notification.type) {
      case 'join':
        this.account.chat(groupId, timestamp)
        this.emit({ type: 'group.v2.join', group: { id: groupId, subject: notification.subject }, timestamp })
        return
      case 'leave':
        this.emit({ type: 'group.v2.leave', group: { id: groupId }, timestamp })
        return
      case 'participants':
        this.emit({
          type: 'group.v2.participants',
          group: { id: groupId },
          action: notification.action,
          participants: notification.participants,
          ...(notification.author && { author: notification.author }),
          timestamp,
        })
        return
      case 'update':
        this.emit({
          type: 'group.v2.update',
          group: {
            id: groupId,
            ...(notification.subject !== undefined && { subject: notification.subject }),
            ...(notification.description !== undefined && { description: notification.description }),
          },
          ...(notification.author && { author: notification.author }),
          timestamp,
        })
        return
    }
  }

  /** Tells the other side(s) of a message's chat about an act on it. */
  private tell(target: StoredMessage, packet: Packet): void {
    const chatId = target.dto.chatId
    let recipients: string[]
    if (chatId.endsWith('@g.us')) recipients = [...(this.network.groups.get(chatId)?.participants.keys() ?? [])]
    else if (chatId === STATUS_BROADCAST) recipients = target.dto.fromMe ? (target.recipients ?? []) : [phoneOf(target.dto.participant ?? target.dto.from)]
    else recipients = [phoneOf(chatId)]
    for (const phone of recipients) if (phone !== this.phoneNumber) this.network.send(phone, packet)
  }

  private groupField(chatId: string): { group?: string } {
    return chatId.endsWith('@g.us') || chatId === STATUS_BROADCAST ? { group: chatId } : {}
  }

  /** Resolves a send target; 404 for unknown chats, 403 where the group forbids it, 409 for a blocked contact. */
  private route(chatId: string): Route {
    if (chatId === STATUS_BROADCAST) throw new BadRequestError('Post to Status with POST /:phoneNumber/status')
    if (chatId.endsWith('@lid')) throw new NotFoundError(`The simulator knows no contact ${chatId}`)
    if (chatId.endsWith('@newsletter')) return { chatId, recipients: this.network.channels.postTargets(this.phoneNumber, chatId), channel: true }
    if (chatId.endsWith('@g.us')) {
      const group = this.network.groups.requireMember(this.phoneNumber, chatId)
      if (group.messagesAdminsOnly && !this.network.groups.isAdmin(group, this.phoneNumber)) {
        throw new ForbiddenError('Only admins can send messages to this group')
      }
      return { chatId, group, recipients: [...group.participants.keys()].filter((p) => p !== this.phoneNumber) }
    }
    if (this.account.blocked.has(chatId)) throw new ConflictError(`${chatId} is blocked: unblock the contact to message it`)
    const phone = phoneOf(chatId)
    return { chatId, recipients: phone === this.phoneNumber ? [] : [phone] }
  }

  private requireChat(chatId: string): ChatState {
    const chat = this.account.chats.get(chatId)
    if (!chat) throw new NotFoundError(`Chat ${chatId} not found`)
    return chat
  }

  private requireMessage(messageId: string, chatId?: string, what = 'Message'): StoredMessage {
    const message = this.account.byId.get(messageId)
    if (!message || (chatId !== undefined && message.dto.chatId !== chatId)) {
      throw new NotFoundError(chatId ? `${what} ${messageId} not found in chat ${chatId}` : `${what} ${messageId} not found`)
    }
    return message
  }

  private isBlocked(from: string, group: string | undefined): boolean {
    // Blocking stops direct messages, presence and reactions; group chats still show everyone.
    return group === undefined && this.account.blocked.has(jid(from))
  }

  private revokeLocally(target: StoredMessage): void {
    target.dto.type = 'revoked'
    target.dto.body = ''
    target.dto.hasMedia = false
    delete target.dto.media
    delete target.dto.location
    delete target.dto.vcards
    delete target.dto.poll
    delete target.media
    this.account.touch(target)
  }

  private groupPhones(participants: string[]): string[] {
    return participants.map((id) => {
      if (!id.endsWith('@c.us')) throw new NotFoundError(`The simulator knows no contact ${id}`)
      return phoneOf(id)
    })
  }

  private knowsContact(contactId: string): boolean {
    if (!contactId.endsWith('@c.us') || contactId === this.myJid) return false
    const phone = phoneOf(contactId)
    return this.network.hasAccount(phone) || this.account.chats.has(contactId) || this.account.blocked.has(contactId) || this.account.savedNames.has(contactId)
  }

  private contactDto(id: string): ContactDTO {
    const phone = phoneOf(id)
    const isAccount = this.network.hasAccount(phone)
    const pushName = this.network.profile(phone)?.pushName ?? null
    const saved = this.account.savedNames.get(id)
    return {
      id,
      // Every number linked on this network is in the simulated address book; a saved name wins.
      name: saved ? [saved.firstName, saved.lastName].filter(Boolean).join(' ') : isAccount ? pushName : null,
      pushname: pushName,
      number: phone,
      isMyContact: isAccount || saved !== undefined,
      isBusiness: false,
      isBlocked: this.account.blocked.has(id),
    }
  }

  private toDto(wire: WireMessage, chatId: string, fromMe: boolean, ack: Ack): MessageDTO {
    // A channel's posts come from the channel itself, with no author shown.
    const inChannel = chatId.endsWith('@newsletter')
    const inGroup = chatId.endsWith('@g.us') || chatId === STATUS_BROADCAST
    const author = !fromMe && inGroup ? jid(wire.from) : undefined
    const quoted = wire.quotedKey ? this.account.findByKey(chatId, wire.quotedKey) : undefined
    return {
      id: fromMe ? ownId(chatId, wire.key) : receivedId(chatId, wire.key, author),
      timestamp: wire.timestamp,
      chatId,
      from: fromMe ? this.myJid : inGroup || inChannel ? chatId : jid(wire.from),
      to: fromMe ? chatId : inGroup ? chatId : this.myJid,
      fromMe,
      ...(inGroup && { participant: fromMe ? this.myJid : jid(wire.from) }),
      type: wire.type,
      body: wire.body,
      hasMedia: wire.media !== undefined,
      ...(wire.media && {
        media: { mimetype: wire.media.mimeType, size: wire.media.data.byteLength, ...(wire.media.filename && { filename: wire.media.filename }) },
      }),
      ack,
      ...(quoted && { replyTo: quoted.dto.id }),
      ...(wire.location && { location: wire.location }),
      ...(wire.vcards && { vcards: wire.vcards }),
      ...(wire.poll && { poll: wire.poll }),
      ...(wire.mentions && { mentions: wire.mentions }),
      ...(wire.isForwarded && { isForwarded: true }),
      ...(wire.viewOnce && { viewOnce: true }),
      ...(wire.durationSeconds !== undefined && { durationSeconds: wire.durationSeconds }),
      ...(wire.waveform && { waveform: wire.waveform }),
    }
  }

  private setAck(message: StoredMessage, ack: Ack): void {
    if (ack <= message.dto.ack) return
    message.dto.ack = ack
    const dto = message.dto
    this.emit({ type: 'message.ack', id: dto.id, chatId: dto.chatId, from: dto.from, to: dto.to, fromMe: dto.fromMe, ack })
  }

  private chatDto(chat: ChatState): ChatDTO {
    const last = chat.messages.at(-1)
    const isGroup = chat.id.endsWith('@g.us')
    const name = isGroup
      ? (this.network.groups.get(chat.id)?.subject ?? chat.id)
      : (this.network.profile(phoneOf(chat.id))?.pushName ?? phoneOf(chat.id))
    return {
      id: chat.id,
      name,
      isGroup,
      unreadCount: chat.unreadCount,
      archived: chat.archived,
      pinned: chat.pinned,
      markedUnread: chat.markedUnread,
      muteExpiration: chat.muteUntil !== undefined && (chat.muteUntil === -1 || chat.muteUntil > nowSeconds()) ? chat.muteUntil : null,
      labels: [...chat.labels],
      timestamp: last?.dto.timestamp ?? chat.createdAt,
      ...(last && { lastMessage: { body: last.dto.body, timestamp: last.dto.timestamp, fromMe: last.dto.fromMe } }),
    }
  }

  private async scan(options: { phone?: string; pushName?: string }): Promise<SessionSnapshot> {
    // A script that starts then scans at once finds the session still STARTING: the phone
    // waits for the QR to appear, as a person would, but not forever.
    if (this.status === 'STARTING') await this.leftStarting(this.options.connectDelayMs + SCAN_WAIT_EXTRA_MS)
    if (this.status !== 'SCAN_QR_CODE') throw new NoLinkPendingError('QR code', stateOf(this.status), this.status)
    const phone = options.phone?.replace(/^\+/, '') ?? this.phoneNumber
    const me: Me = { id: jidOf(phone), pushName: options.pushName ?? this.network.profile(phone)?.pushName ?? `Simulated ${phone}` }
    this.clearTimers()
    this.qr = undefined
    this.pairingCode = undefined
    if (phone !== this.phoneNumber) {
      // A real phone of another number linked itself: refuse it, as the webjs engine does.
      this.me = me
      this.reason = `Linked by ${phone}, but this session is for ${this.phoneNumber}; scan with the phone of ${this.phoneNumber}`
      this.setStatus('CONFLICT')
      return this.snapshot()
    }
    await this.context.authState.save(JSON.stringify({ me, pairedAt: Date.now() } satisfies StoredAuth))
    this.connect(me)
    return this.snapshot()
  }

  private async incoming(input: SandboxIncoming): Promise<MessageDTO> {
    this.requireWorking()
    const from = input.from.replace(/^\+/, '').replace(/@c\.us$/, '')
    if (!/^[0-9]{7,15}$/.test(from)) throw new BadRequestError('from must be a phone number of 7 to 15 digits', { from: input.from })
    if (from === this.phoneNumber) throw new BadRequestError('from must be another number than the session itself')
    if (input.text === undefined && input.media === undefined) throw new BadRequestError('An incoming message needs text or media')
    this.network.registerOutside(from)
    const chatId = jid(from)
    const wire: WireMessage = {
      key: messageKey(),
      from,
      to: this.phoneNumber,
      timestamp: nowSeconds(),
      type: input.media ? messageTypeOfMime(input.media.mimeType) : 'text',
      body: input.text ?? '',
      ...(input.media && { media: input.media }),
    }
    if (input.quotedMsgId !== undefined) wire.quotedKey = this.requireMessage(input.quotedMsgId, chatId, 'Quoted message').key
    const message = this.receive(wire)
    if (!message) throw new ConflictError(`${chatId} is blocked by this number: the message was dropped`)
    return message
  }

  private showQr(): void {
    this.qr = qrValue()
    this.setStatus('SCAN_QR_CODE')
    this.emit({ type: 'qr', value: this.qr })
    this.qrTimer = setInterval(() => {
      this.qr = qrValue()
      this.emit({ type: 'qr', value: this.qr })
    }, this.options.qrRefreshMs)
  }

  private connect(me: Me): void {
    this.me = me
    this.setStatus('WORKING')
    // Joined after WORKING, so what waited in the inbox is reported by a working session.
    this.network.join(this, { pushName: me.pushName ?? this.phoneNumber })
  }

  private disconnect(status: 'STOPPED' | 'FAILED', reason?: string): void {
    this.clearTimers()
    this.network.leave(this)
    this.qr = undefined
    this.pairingCode = undefined
    this.reason = reason
    this.setStatus(status)
  }

  private clearTimers(): void {
    clearInterval(this.qrTimer)
    clearTimeout(this.connectTimer)
    this.qrTimer = undefined
    this.connectTimer = undefined
  }

  /** Resolves when the status moves on from STARTING, or after `timeoutMs`. */
  private leftStarting(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.statusWaiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, timeoutMs)
      this.statusWaiters.add(done)
    })
  }

  private setStatus(status: SessionStatus): void {
    this.status = status
    if (status !== 'STARTING') for (const waiter of [...this.statusWaiters]) waiter()
    this.emit({
      type: 'session.status',
      status,
      ...(this.me && { me: this.me }),
      ...(this.reason !== undefined && { reason: this.reason }),
    })
  }

  private async loadAuth(): Promise<StoredAuth | undefined> {
    const raw = await this.context.authState.load()
    if (!raw) return undefined
    try {
      const parsed = JSON.parse(raw) as StoredAuth
      return parsed.me?.id ? parsed : undefined
    } catch {
      return undefined
    }
  }

  /** Every operation starts here; what it changes (this phone's data, groups) is written shortly after. */
  private requireWorking(): void {
    if (this.status !== 'WORKING') throw new ClientNotReadyError(stateOf(this.status), this.status)
    this.network.changed(this.phoneNumber)
  }
}
