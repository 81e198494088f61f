/**
 * A typed double of whatsapp-web.js's `Client` for the webjs engine's contract tests.
 *
 * `FakeClient` is an EventEmitter implementing the engine's `WebjsClient`, whose
 * methods are checked against whatsapp-web.js's own index.d.ts (src/providers/webjs/
 * client.ts), so a signature drift in whatsapp-web.js fails `tsc` here too. Behind it,
 * `FakeWhatsApp` plays WhatsApp Web and the phone: it keeps chats and messages, pairs by
 * "scan", persists the pairing in the profile directory like LocalAuth does (so a new
 * Client on the same profile is ready without a QR), and records every call the engine
 * makes so tests can check how each capability maps onto whatsapp-web.js.
 */
import { EventEmitter } from 'node:events'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type WAWebJS from 'whatsapp-web.js'
import { Location, MessageMedia, Poll } from 'whatsapp-web.js'
import type {
  BrowserHandles,
  ClientFactory,
  ClientSetup,
  WCall,
  WChannel,
  WChat,
  WContact,
  WebjsClient,
  WebjsClientEvent,
  WebjsClientEvents,
  WGroupChat,
  WGroupNotification,
  WLabel,
  WMessage,
  WReaction,
} from '../../../src/providers/webjs/client'

export const FAKE_RUNTIME = { MessageMedia, Location, Poll }

export interface RecordedCall {
  method: string
  args: unknown[]
}

interface StoredMessage {
  id: WAWebJS.MessageId
  chatId: string
  from: string
  to: string
  author?: string
  type: string
  body: string
  timestamp: number
  ack: number
  media?: { data: Uint8Array; mimetype: string; filename?: string }
  quoted?: { stanzaId: string; participant: string }
  location?: WAWebJS.Location
  vCards?: string[]
  poll?: { name: string; options: string[]; multipleAnswers: boolean }
  mentionedIds?: string[]
  isForwarded?: boolean
  durationSeconds?: number
  /** Sent view-once (WhatsApp Web keeps it on the raw model only). */
  isViewOnce?: boolean
  editedAtMs?: number
  starred?: boolean
  pinnedFor?: number
  /** Polls: voter JID → chosen option names. */
  votes?: Map<string, string[]>
}

interface StoredChat {
  id: string
  name: string
  archived: boolean
  pinned?: boolean
  /** As WhatsApp Web keeps it: -1 for ever, else unix seconds; absent: not muted. */
  muteExpiration?: number
  unreadCount: number
  messages: StoredMessage[]
  group?: {
    owner: string
    description: string
    participants: Array<{ id: string; isAdmin: boolean; isSuperAdmin: boolean }>
    announce: boolean
    restrict: boolean
    creation: number
    inviteCode?: string
    picture?: string
    /** Admins approve who joins by invite (WhatsApp Web's `membershipApprovalMode`). */
    membershipApproval?: boolean
    /** Pending membership requests: requester JID and when (unix seconds). */
    requests?: Array<{ id: string; t: number }>
  }
}

function contactId(serialized: string): WAWebJS.ContactId {
  const [user = '', server = 'c.us'] = serialized.split('@')
  return { user, server, _serialized: serialized }
}

let counter = 0
function stanzaId(): string {
  counter += 1
  return `3EB0FAKE${String(counter).padStart(8, '0')}`
}

/** What WhatsApp Web does in a given situation; tests flip these to reach error paths. */
export interface FakeBehaviour {
  /** initialize() never settles (WhatsApp unreachable, page never loads). */
  hangInitialize: boolean
  /** initialize() rejects with this. */
  initializeError?: unknown
  /** Chromium does not come up (onBrowser is never called) before initialize() settles. */
  noBrowser: boolean
  /** destroy() never settles. */
  hangDestroy: boolean
  /** getState()/page.evaluate never answer. */
  hangProbe: boolean
  /** Every operation rejects with this (e.g. a "Target closed" error). */
  operationError?: unknown
  /** setSubject/setDescription/… and setPicture answer false (not an admin). */
  notAdmin: boolean
  /** The account is WhatsApp Messenger, not Business: label changes throw whatsapp-web.js's LT01. */
  notBusiness?: boolean
  /** createChannel answers this sentence instead of a result (channel creation disabled…). */
  createChannelRefusal?: string
}

interface StoredChannel {
  id: string
  name: string
  description: string
  /** WhatsApp Web's membership type for this account. */
  membershipType: 'owner' | 'admin' | 'subscriber' | 'guest'
  subscribersCount: number
  isMuted: boolean
  inviteCode: string
}

export class FakeWhatsApp {
  /** The pid the fake browser reports (a real process a test started), for the memory metric. */
  browserPid?: number
  readonly clients: FakeClient[] = []
  readonly calls: RecordedCall[] = []
  readonly chats = new Map<string, StoredChat>()
  readonly contacts = new Map<string, { name?: string; pushname: string; isMyContact: boolean; isBusiness: boolean; isBlocked: boolean; about?: string; picture?: string }>()
  readonly unregistered = new Set<string>()
  /** WhatsApp Business labels, and each chat's label ids. */
  readonly labels = new Map<string, WLabel>([
    ['1', { id: '1', name: 'New customer', hexColor: '#64C4FF' }],
    ['2', { id: '2', name: 'Paid', hexColor: '#55ccb3' }],
  ])
  readonly chatLabels = new Map<string, string[]>()
  readonly channels = new Map<string, StoredChannel>()
  readonly behaviour: FakeBehaviour = { hangInitialize: false, noBrowser: false, hangDestroy: false, hangProbe: false, notAdmin: false }
  /** The phone number WhatsApp will call "me" after the next scan. */
  me?: { phone: string; pushname: string }
  private pendingQr = 0

  /** The engine's ClientFactory. */
  readonly factory: ClientFactory = (setup) => {
    const client = new FakeClient(this, setup)
    this.clients.push(client)
    return client
  }

  get current(): FakeClient {
    const client = this.clients.at(-1)
    if (!client) throw new Error('no client was created')
    return client
  }

  record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args })
  }

  callsOf(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args)
  }

  nextQr(): string {
    this.pendingQr += 1
    return `2@fake-ref-${this.pendingQr},noiseKey,identityKey,advSecret,WEB`
  }

  chat(id: string, init: Partial<StoredChat> = {}): StoredChat {
    let chat = this.chats.get(id)
    if (!chat) {
      chat = { id, name: init.name ?? `+${id.split('@')[0]}`, archived: false, unreadCount: 0, messages: [], ...init }
      this.chats.set(id, chat)
    }
    return chat
  }

  findMessage(serializedId: string): StoredMessage | undefined {
    for (const chat of this.chats.values()) {
      const found = chat.messages.find((m) => m.id._serialized === serializedId)
      if (found) return found
    }
    return undefined
  }

  // ─── The phone ─────────────────────────────────────────────────────────────

  /** The phone scans the QR the current client shows. */
  scan(phone: string, pushname = `User ${phone}`): void {
    this.me = { phone, pushname }
    this.current.paired()
  }

  /** A message arrives on the current client. */
  incoming(input: { from: string; body?: string; media?: StoredMessage['media']; quotedId?: string; author?: string; timestamp?: number; type?: string; durationSeconds?: number }): FakeMessage {
    const client = this.current
    const me = client.meId()
    const chatId = input.from.includes('@') ? input.from : `${input.from}@c.us`
    const chat = this.chat(chatId)
    const key = stanzaId()
    const quoted = input.quotedId ? this.findMessage(input.quotedId) : undefined
    const stored: StoredMessage = {
      id: { fromMe: false, remote: chatId, id: key, _serialized: `false_${chatId}_${key}${input.author ? `_${input.author}` : ''}` },
      chatId,
      from: chatId,
      to: me,
      ...(input.author && { author: input.author }),
      type: input.type ?? (input.media ? (input.media.mimetype.startsWith('image/') ? 'image' : 'document') : 'chat'),
      body: input.body ?? '',
      timestamp: input.timestamp ?? Math.floor(Date.now() / 1000),
      ack: 1,
      ...(input.media && { media: input.media }),
      ...(input.durationSeconds !== undefined && { durationSeconds: input.durationSeconds }),
      ...(quoted && { quoted: { stanzaId: quoted.id.id, participant: quoted.author ?? quoted.from } }),
    }
    chat.messages.push(stored)
    chat.unreadCount += 1
    const message = new FakeMessage(this, client, stored)
    client.emitEvent('message_create', message)
    return message
  }
}

class FakeBrowser implements BrowserHandles {
  get pid(): number | undefined {
    return this.world.browserPid
  }
  private listeners: Array<(reason: string) => void> = []
  constructor(private readonly world: FakeWhatsApp) {}
  onGone(listener: (reason: string) => void): void {
    this.listeners.push(listener)
  }
  async evaluate(): Promise<void> {
    if (this.world.behaviour.hangProbe) await new Promise(() => {})
  }
  gone(reason: string): void {
    for (const listener of this.listeners.splice(0)) listener(reason)
  }
}

export class FakeClient extends EventEmitter implements WebjsClient {
  info?: Pick<WAWebJS.ClientInfo, 'wid' | 'pushname' | 'platform'>
  readonly browser: FakeBrowser
  destroyed = false
  loggedOut = false
  initialized = false

  constructor(
    readonly world: FakeWhatsApp,
    readonly setup: ClientSetup,
  ) {
    super()
    this.browser = new FakeBrowser(world)
  }

  private get authFile(): string {
    return join(this.setup.userDataDir, 'fake-localauth.json')
  }

  emitEvent<E extends WebjsClientEvent>(event: E, ...args: WebjsClientEvents[E]): void {
    this.emit(event, ...args)
  }

  meId(): string {
    return this.info?.wid._serialized ?? `${this.world.me?.phone ?? '0'}@c.us`
  }

  /** WhatsApp accepted the scan (or restored the saved pairing): authenticated → ready. */
  paired(): void {
    const me = this.world.me
    if (!me) throw new Error('nobody scanned')
    mkdirSync(this.setup.userDataDir, { recursive: true })
    writeFileSync(this.authFile, JSON.stringify(me))
    this.emitEvent('authenticated')
    this.info = { wid: contactId(`${me.phone}@c.us`), pushname: me.pushname, platform: 'android' }
    this.emitEvent('ready')
  }

  /** Chromium dies underneath (browser `disconnected`). */
  crashBrowser(reason = 'Chromium exited'): void {
    this.browser.gone(reason)
  }

  private async op<T>(method: string, args: unknown[], work: () => T | Promise<T>): Promise<T> {
    this.world.record(method, ...args)
    if (this.world.behaviour.operationError !== undefined) throw this.world.behaviour.operationError
    return work()
  }

  // ─── WebjsClient ───────────────────────────────────────────────────────────

  async initialize(): Promise<void> {
    this.world.record('initialize')
    if (this.setup.signal.aborted) throw new Error('Launch aborted')
    if (!this.world.behaviour.noBrowser) this.setup.onBrowser(this.browser)
    if (this.world.behaviour.initializeError !== undefined) throw this.world.behaviour.initializeError
    if (this.world.behaviour.hangInitialize) return new Promise(() => {})
    this.initialized = true
    if (existsSync(this.authFile)) {
      this.world.me = JSON.parse(readFileSync(this.authFile, 'utf8')) as { phone: string; pushname: string }
      queueMicrotask(() => this.paired())
      return
    }
    queueMicrotask(() => this.emitEvent('qr', this.world.nextQr()))
  }

  async destroy(): Promise<void> {
    this.world.record('destroy')
    if (this.world.behaviour.hangDestroy) return new Promise(() => {})
    this.destroyed = true
  }

  async logout(): Promise<void> {
    this.world.record('logout')
    this.loggedOut = true
  }

  async getState(): Promise<WAWebJS.WAState | null> {
    this.world.record('getState')
    if (this.world.behaviour.hangProbe) return new Promise(() => {})
    return (this.info ? 'CONNECTED' : 'UNPAIRED') as WAWebJS.WAState
  }

  async requestPairingCode(phoneNumber: string, showNotification?: boolean, intervalMs?: number): Promise<string> {
    return this.op('requestPairingCode', [phoneNumber, showNotification, intervalMs], () => 'ABCD2345')
  }

  sendMessage(chatId: string, content: WAWebJS.MessageContent, options: WAWebJS.MessageSendOptions = {}): Promise<WMessage | undefined> {
    return this.op('sendMessage', [chatId, content, options], () => {
      if (chatId !== 'status@broadcast' && !/@(c\.us|g\.us|lid|newsletter)$/.test(chatId)) return undefined
      const chat = this.world.chat(chatId)
      const key = stanzaId()
      const me = this.meId()
      const quoted = options.quotedMessageId ? this.world.findMessage(options.quotedMessageId) : undefined
      const stored: StoredMessage = {
        id: { fromMe: true, remote: chatId, id: key, _serialized: `true_${chatId}_${key}` },
        chatId,
        from: me,
        to: chatId,
        type: 'chat',
        body: typeof content === 'string' ? content : (options.caption ?? ''),
        timestamp: Math.floor(Date.now() / 1000),
        ack: 0,
        ...(quoted && { quoted: { stanzaId: quoted.id.id, participant: quoted.author ?? quoted.from } }),
        ...(options.mentions && { mentionedIds: options.mentions }),
        ...(options.isViewOnce && { isViewOnce: true }),
      }
      if (content instanceof MessageMedia) {
        stored.media = { data: new Uint8Array(Buffer.from(content.data, 'base64')), mimetype: content.mimetype, ...(content.filename && { filename: content.filename }) }
        stored.type = options.sendMediaAsSticker
          ? 'sticker'
          : options.sendMediaAsDocument
            ? 'document'
            : options.sendAudioAsVoice
              ? 'ptt'
              : content.mimetype.split('/')[0] === 'application'
                ? 'document'
                : (content.mimetype.split('/')[0] ?? 'document')
      } else if (content instanceof Location) {
        stored.type = 'location'
        stored.location = content
      } else if (content instanceof Poll) {
        stored.type = 'poll_creation'
        stored.body = content.pollName
        stored.poll = { name: content.pollName, options: content.pollOptions.map((o) => o.name), multipleAnswers: content.options.allowMultipleAnswers === true }
      } else if (typeof content === 'string' && options.parseVCards && content.startsWith('BEGIN:VCARD')) {
        stored.type = 'vcard'
        stored.vCards = [content]
      }
      chat.messages.push(stored)
      const message = new FakeMessage(this.world, this, stored)
      this.emitEvent('message_create', message)
      return message
    })
  }

  getMessageById(messageId: string): Promise<WMessage | undefined> {
    return this.op('getMessageById', [messageId], () => {
      const stored = this.world.findMessage(messageId)
      return stored ? new FakeMessage(this.world, this, stored) : undefined
    })
  }

  getChatById(chatId: string): Promise<WChat | WGroupChat | undefined> {
    return this.op('getChatById', [chatId], () => {
      // As whatsapp-web.js's ChatFactory: a newsletter id gives a Channel.
      const stored = this.world.channels.get(chatId)
      if (stored) return channelView(this.world, stored) as unknown as WChat
      const chat = this.world.chats.get(chatId)
      return chat ? chatView(this.world, this, chat) : undefined
    })
  }

  getChats(): Promise<Array<WChat | WGroupChat>> {
    return this.op('getChats', [], () => [...this.world.chats.values()].map((chat) => chatView(this.world, this, chat)))
  }

  getContacts(): Promise<WContact[]> {
    return this.op('getContacts', [], () => [...this.world.contacts.keys()].map((id) => contactView(this.world, id)))
  }

  getContactById(id: string): Promise<WContact> {
    return this.op('getContactById', [id], () => contactView(this.world, id))
  }

  getProfilePicUrl(id: string): Promise<string | undefined> {
    return this.op('getProfilePicUrl', [id], () => this.world.contacts.get(id)?.picture)
  }

  getNumberId(number: string): Promise<WAWebJS.ContactId | null> {
    return this.op('getNumberId', [number], () => (this.world.unregistered.has(number) ? null : contactId(`${number}@c.us`)))
  }

  createGroup(
    title: string,
    participants?: string | WAWebJS.Contact | WAWebJS.Contact[] | string[],
    options?: WAWebJS.CreateGroupOptions,
  ): Promise<WAWebJS.CreateGroupResult | string> {
    return this.op('createGroup', [title, participants, options], () => {
      const ids = (Array.isArray(participants) ? participants : [participants]).map(String)
      if (ids.length === 0) return 'CreateGroupError: no participants'
      const gid = `1203630${String(++counter).padStart(11, '0')}@g.us`
      const me = this.meId()
      this.world.chat(gid, {
        name: title,
        group: {
          owner: me,
          description: '',
          participants: [{ id: me, isAdmin: true, isSuperAdmin: true }, ...ids.map((id) => ({ id, isAdmin: false, isSuperAdmin: false }))],
          announce: false,
          restrict: false,
          creation: Math.floor(Date.now() / 1000),
          inviteCode: 'FakeInviteCode123',
          membershipApproval: options?.membershipApprovalMode === true,
        },
      })
      return { title, gid: contactId(gid), participants: Object.fromEntries(ids.map((id) => [id, { statusCode: 200, message: '', isGroupCreator: false, isInviteV4Sent: false }])) }
    })
  }

  sendSeen(chatId: string): Promise<boolean> {
    return this.op('sendSeen', [chatId], () => {
      const chat = this.world.chats.get(chatId)
      if (!chat) return false
      chat.unreadCount = 0
      return true
    })
  }

  setStatus(status: string): Promise<void> {
    return this.op('setStatus', [status], () => undefined)
  }

  setDisplayName(displayName: string): Promise<boolean> {
    return this.op('setDisplayName', [displayName], () => true)
  }

  setProfilePicture(media: WAWebJS.MessageMedia): Promise<boolean> {
    return this.op('setProfilePicture', [media], () => true)
  }

  getLabels(): Promise<WLabel[]> {
    return this.op('getLabels', [], () => [...this.world.labels.values()])
  }

  getChatLabels(chatId: string): Promise<WLabel[]> {
    return this.op('getChatLabels', [chatId], () => (this.world.chatLabels.get(chatId) ?? []).flatMap((id) => this.world.labels.get(id) ?? []))
  }

  getChatsByLabelId(labelId: string): Promise<Array<WChat | WGroupChat>> {
    return this.op('getChatsByLabelId', [labelId], () => {
      // whatsapp-web.js reads `Label.get(labelId).labelItemCollection`: an unknown label throws.
      if (!this.world.labels.has(labelId)) throw new TypeError("Cannot read properties of undefined (reading 'labelItemCollection')")
      return [...this.world.chatLabels.entries()]
        .filter(([, ids]) => ids.includes(labelId))
        .flatMap(([chatId]) => {
          const chat = this.world.chats.get(chatId)
          return chat ? [chatView(this.world, this, chat)] : []
        })
    })
  }

  addOrRemoveLabels(labelIds: Array<number | string>, chatIds: string[]): Promise<void> {
    return this.op('addOrRemoveLabels', [labelIds, chatIds], () => {
      if (this.world.behaviour.notBusiness) throw new Error('Evaluation failed: [LT01] Only Whatsapp business')
      const known = labelIds.map(String).filter((id) => this.world.labels.has(id))
      for (const chatId of chatIds) if (this.world.chats.has(chatId)) this.world.chatLabels.set(chatId, known)
    })
  }

  getChannels(): Promise<WChannel[]> {
    return this.op('getChannels', [], () => [...this.world.channels.values()].map((channel) => channelView(this.world, channel)))
  }

  createChannel(title: string, options?: WAWebJS.CreateChannelOptions): Promise<WAWebJS.CreateChannelResult | string> {
    return this.op('createChannel', [title, options], () => {
      if (this.world.behaviour.createChannelRefusal) return this.world.behaviour.createChannelRefusal
      const id = `1203630${String(++counter).padStart(11, '0')}@newsletter`
      const inviteCode = `FakeChannel${counter}`
      this.world.channels.set(id, { id, name: title, description: options?.description ?? '', membershipType: 'owner', subscribersCount: 0, isMuted: false, inviteCode })
      return { title, nid: contactId(id), inviteLink: `https://whatsapp.com/channel/${inviteCode}`, createdAtTs: Math.floor(Date.now() / 1000) }
    })
  }

  deleteChannel(channelId: string): Promise<boolean> {
    return this.op('deleteChannel', [channelId], () => this.world.channels.delete(channelId))
  }

  subscribeToChannel(channelId: string): Promise<boolean> {
    return this.op('subscribeToChannel', [channelId], () => {
      const channel = this.world.channels.get(channelId)
      if (!channel) return false
      if (channel.membershipType === 'guest') channel.subscribersCount += 1
      channel.membershipType = 'subscriber'
      return true
    })
  }

  unsubscribeFromChannel(channelId: string, options?: WAWebJS.UnsubscribeOptions): Promise<boolean> {
    return this.op('unsubscribeFromChannel', [channelId, options], () => {
      const channel = this.world.channels.get(channelId)
      if (!channel) return false
      if (channel.membershipType === 'subscriber') channel.subscribersCount -= 1
      channel.membershipType = 'guest'
      return true
    })
  }

  // Issue 13 part A: as WhatsApp Web answers them out of the page.

  private groupByInvite(code: string): StoredChat {
    const chat = [...this.world.chats.values()].find((c) => c.group?.inviteCode === code)
    // WhatsApp's answer to a wrong or reset code, as the page throws it.
    if (!chat) throw new Error('ServerStatusCodeError: 404 item-not-found')
    return chat
  }

  acceptInvite(inviteCode: string): Promise<string> {
    return this.op('acceptInvite', [inviteCode], () => {
      const chat = this.groupByInvite(inviteCode)
      const group = chat.group!
      if (group.membershipApproval) (group.requests ??= []).push({ id: this.meId(), t: Math.floor(Date.now() / 1000) })
      else group.participants.push({ id: this.meId(), isAdmin: false, isSuperAdmin: false })
      return chat.id
    })
  }

  getInviteInfo(inviteCode: string): Promise<object> {
    return this.op('getInviteInfo', [inviteCode], () => {
      const chat = this.groupByInvite(inviteCode)
      const group = chat.group!
      return {
        id: { server: 'g.us', user: chat.id.split('@')[0], _serialized: chat.id },
        subject: chat.name,
        desc: group.description,
        owner: contactId(group.owner),
        creation: group.creation,
        size: group.participants.length,
        participants: group.participants.map((p) => ({ id: contactId(p.id), isAdmin: p.isAdmin, isSuperAdmin: p.isSuperAdmin })),
        membershipApprovalMode: group.membershipApproval === true,
      }
    })
  }

  getGroupMembershipRequests(groupId: string): Promise<WAWebJS.GroupMembershipRequest[]> {
    return this.op('getGroupMembershipRequests', [groupId], () =>
      (this.world.chats.get(groupId)?.group?.requests ?? []).map((r) => ({ id: contactId(r.id), addedBy: contactId(r.id), parentGroupId: null, requestMethod: 'InviteLink', t: r.t })),
    )
  }

  approveGroupMembershipRequests(groupId: string, options: WAWebJS.MembershipRequestActionOptions): Promise<WAWebJS.MembershipRequestActionResult[]> {
    return this.op('approveGroupMembershipRequests', [groupId, options], () => this.requestAction(groupId, options, true))
  }

  rejectGroupMembershipRequests(groupId: string, options: WAWebJS.MembershipRequestActionOptions): Promise<WAWebJS.MembershipRequestActionResult[]> {
    return this.op('rejectGroupMembershipRequests', [groupId, options], () => this.requestAction(groupId, options, false))
  }

  private requestAction(groupId: string, options: WAWebJS.MembershipRequestActionOptions, approve: boolean): WAWebJS.MembershipRequestActionResult[] {
    const group = this.world.chats.get(groupId)?.group
    if (!group) return []
    const ids = options.requesterIds === null ? (group.requests ?? []).map((r) => r.id) : Array.isArray(options.requesterIds) ? options.requesterIds : [options.requesterIds]
    return ids.map((id) => {
      if (!(group.requests ?? []).some((r) => r.id === id)) return { requesterId: id, error: 404, message: 'ParticipantRequestNotFoundError' }
      group.requests = (group.requests ?? []).filter((r) => r.id !== id)
      if (approve) group.participants.push({ id, isAdmin: false, isSuperAdmin: false })
      return { requesterId: id, message: approve ? 'MembershipRequestApproved' : 'MembershipRequestRejected' }
    })
  }

  saveOrEditAddressbookContact(phoneNumber: string, firstName: string, lastName: string, syncToAddressbook?: boolean): Promise<void> {
    return this.op('saveOrEditAddressbookContact', [phoneNumber, firstName, lastName, syncToAddressbook], () => {
      const id = `${phoneNumber}@c.us`
      const known = this.world.contacts.get(id) ?? { pushname: '', isMyContact: false, isBusiness: false, isBlocked: false }
      this.world.contacts.set(id, { ...known, name: [firstName, lastName].filter(Boolean).join(' '), isMyContact: true })
    })
  }

  sendPresenceAvailable(): Promise<void> {
    return this.op('sendPresenceAvailable', [], () => undefined)
  }

  sendPresenceUnavailable(): Promise<void> {
    return this.op('sendPresenceUnavailable', [], () => undefined)
  }

  deleteProfilePicture(): Promise<boolean> {
    return this.op('deleteProfilePicture', [], () => true)
  }

  revokeStatusMessage(messageId: string): Promise<void> {
    return this.op('revokeStatusMessage', [messageId], () => {
      const message = this.world.findMessage(messageId)
      if (message) message.type = 'revoked'
    })
  }

  // ─── Server-side events, for tests ─────────────────────────────────────────

  ack(message: FakeMessage, ack: WAWebJS.MessageAck): void {
    message.stored.ack = ack
    this.emitEvent('message_ack', new FakeMessage(this.world, this, message.stored), ack)
  }

  reaction(reaction: WReaction): void {
    this.emitEvent('message_reaction', reaction)
  }

  group(kind: 'group_join' | 'group_leave' | 'group_admin_changed' | 'group_update', notification: WGroupNotification): void {
    this.emitEvent(kind, notification)
  }

  /** A call rings; rejecting it is recorded as `rejectCall`. */
  call(call: Omit<WCall, 'reject'>): void {
    const world = this.world
    this.emitEvent('call', {
      ...call,
      async reject() {
        world.record('rejectCall', call.id)
      },
    })
  }

  /** Someone votes on a poll of this chat (WhatsApp Web's `vote_update`). */
  pollVote(message: FakeMessage, voter: string, options: string[], atMs = Date.now()): void {
    message.stored.votes ??= new Map()
    message.stored.votes.set(voter, options)
    this.emitEvent('vote_update', {
      voter,
      selectedOptions: options.map((name, i) => ({ id: i, name })),
      interractedAtTs: atMs,
      parentMessage: message,
    })
  }
}

export class FakeMessage implements WMessage {
  constructor(
    private readonly world: FakeWhatsApp,
    private readonly client: FakeClient,
    readonly stored: StoredMessage,
  ) {}

  get id() {
    return this.stored.id
  }
  get ack() {
    return this.stored.ack as WAWebJS.MessageAck
  }
  get body() {
    return this.stored.body
  }
  get from() {
    return this.stored.from
  }
  get to() {
    return this.stored.to
  }
  get author() {
    return this.stored.author
  }
  get fromMe() {
    return this.stored.id.fromMe
  }
  get hasMedia() {
    return this.stored.media !== undefined
  }
  get hasQuotedMsg() {
    return this.stored.quoted !== undefined
  }
  get timestamp() {
    return this.stored.timestamp
  }
  get type() {
    return this.stored.type as WAWebJS.MessageTypes
  }
  /** WhatsApp Web's `duration` (seconds, as a string) of audio: what the fake's voice notes last. */
  get duration() {
    return this.stored.durationSeconds === undefined ? undefined : String(this.stored.durationSeconds)
  }
  get location() {
    return this.stored.location
  }
  get vCards() {
    return this.stored.vCards ?? []
  }
  get mentionedIds() {
    return this.stored.mentionedIds ?? []
  }
  get isForwarded() {
    return this.stored.isForwarded ?? false
  }
  get pollName() {
    return this.stored.poll?.name ?? ''
  }
  get pollOptions() {
    return this.stored.poll?.options ?? []
  }
  get allowMultipleAnswers() {
    return this.stored.poll?.multipleAnswers ?? false
  }
  get latestEditSenderTimestampMs() {
    return this.stored.editedAtMs
  }
  /** The shape of whatsapp-web.js's `_data`: WhatsApp Web's serialized Msg model. */
  get rawData(): object {
    const s = this.stored
    return {
      id: s.id,
      type: s.type,
      t: s.timestamp,
      ...(s.media && { mimetype: s.media.mimetype, filename: s.media.filename, size: s.media.data.byteLength, directPath: '/fake/media' }),
      ...(s.quoted && { quotedStanzaID: s.quoted.stanzaId, quotedParticipant: s.quoted.participant, quotedMsg: { type: 'chat' } }),
      ...(s.isViewOnce && { isViewOnce: true }),
    }
  }

  async react(reaction: string): Promise<void> {
    this.world.record('react', this.id._serialized, reaction)
  }

  async delete(everyone?: boolean, clearMedia?: boolean): Promise<void> {
    this.world.record('delete', this.id._serialized, everyone, clearMedia)
  }

  async forward(chat: WAWebJS.Chat | string): Promise<void> {
    const chatId = typeof chat === 'string' ? chat : chat.id._serialized
    this.world.record('forward', this.id._serialized, chatId)
    const target = this.world.chat(chatId)
    const key = stanzaId()
    target.messages.push({
      ...this.stored,
      id: { fromMe: true, remote: chatId, id: key, _serialized: `true_${chatId}_${key}` },
      chatId,
      from: this.client.meId(),
      to: chatId,
      isForwarded: true,
      timestamp: Math.floor(Date.now() / 1000),
    })
  }

  async downloadMedia(): Promise<WAWebJS.MessageMedia> {
    this.world.record('downloadMedia', this.id._serialized)
    const media = this.stored.media
    if (!media) return undefined as unknown as WAWebJS.MessageMedia // whatsapp-web.js resolves undefined without media
    return new MessageMedia(media.mimetype, Buffer.from(media.data).toString('base64'), media.filename ?? null, media.data.byteLength)
  }

  async star(): Promise<void> {
    this.world.record('star', this.id._serialized)
    this.stored.starred = true
  }

  async unstar(): Promise<void> {
    this.world.record('unstar', this.id._serialized)
    this.stored.starred = false
  }

  /** false, as whatsapp-web.js answers, when the behaviour says the number is not an admin. */
  async pin(duration: number): Promise<boolean> {
    this.world.record('pin', this.id._serialized, duration)
    if (this.world.behaviour.notAdmin) return false
    this.stored.pinnedFor = duration
    return true
  }

  async unpin(): Promise<boolean> {
    this.world.record('unpin', this.id._serialized)
    if (this.stored.pinnedFor === undefined) return false
    delete this.stored.pinnedFor
    return true
  }

  async vote(selectedOptions: string[]): Promise<void> {
    this.world.record('vote', this.id._serialized, selectedOptions)
    this.client.pollVote(this, this.client.meId(), selectedOptions)
  }

  async getPollVotes(): Promise<WAWebJS.PollVote[]> {
    this.world.record('getPollVotes', this.id._serialized)
    const votes = [...(this.stored.votes ?? new Map<string, string[]>()).entries()].map(([voter, options]) => ({
      voter,
      selectedOptions: options.map((name, i) => ({ id: i, name })),
      interractedAtTs: Date.now(),
      parentMessage: this,
    }))
    // The fake stands in for whatsapp-web.js's Message in parentMessage.
    return votes as unknown as WAWebJS.PollVote[]
  }

  async edit(content: WAWebJS.MessageContent, options?: WAWebJS.MessageEditOptions): Promise<WMessage | null> {
    this.world.record('edit', this.id._serialized, content, options)
    if (!this.fromMe || this.stored.type !== 'chat' || typeof content !== 'string') return null
    this.stored.body = content
    this.stored.editedAtMs = Date.now()
    return this
  }
}

function contactView(world: FakeWhatsApp, id: string): WContact {
  const known = world.contacts.get(id)
  const record = known ?? { pushname: '', isMyContact: false, isBusiness: false, isBlocked: false }
  return {
    id: contactId(id),
    number: id.split('@')[0] ?? '',
    name: known?.name,
    pushname: record.pushname,
    isMyContact: record.isMyContact,
    isBusiness: record.isBusiness,
    isBlocked: record.isBlocked,
    isGroup: id.endsWith('@g.us'),
    async block() {
      world.record('block', id)
      if (id.endsWith('@g.us')) return false
      record.isBlocked = true
      world.contacts.set(id, record)
      return true
    },
    async unblock() {
      world.record('unblock', id)
      if (id.endsWith('@g.us')) return false
      record.isBlocked = false
      world.contacts.set(id, record)
      return true
    },
    async getAbout() {
      return known?.about ?? null
    },
  }
}

function chatView(world: FakeWhatsApp, client: FakeClient, chat: StoredChat): WChat | WGroupChat {
  const last = chat.messages.at(-1)
  const base: WChat = {
    id: contactId(chat.id),
    name: chat.name,
    isGroup: chat.group !== undefined,
    unreadCount: chat.unreadCount,
    timestamp: last?.timestamp ?? 0,
    archived: chat.archived,
    pinned: chat.pinned === true,
    isMuted: chat.muteExpiration !== undefined,
    muteExpiration: chat.muteExpiration ?? 0,
    ...(last && { lastMessage: new FakeMessage(world, client, last) }),
    async fetchMessages(search: WAWebJS.MessageSearchOptions) {
      world.record('fetchMessages', chat.id, search)
      const all = chat.messages.filter((m) => search.fromMe === undefined || m.id.fromMe === search.fromMe)
      const picked = search.limit && search.limit > 0 ? all.slice(-search.limit) : all
      return picked.map((m) => new FakeMessage(world, client, m))
    },
    async sendStateTyping() {
      world.record('sendStateTyping', chat.id)
    },
    async sendStateRecording() {
      world.record('sendStateRecording', chat.id)
    },
    async clearState() {
      world.record('clearState', chat.id)
      return true
    },
    async archive() {
      world.record('archive', chat.id)
      chat.archived = true
    },
    async unarchive() {
      world.record('unarchive', chat.id)
      chat.archived = false
    },
    async pin() {
      world.record('pinChat', chat.id)
      // WhatsApp Web's rule, as whatsapp-web.js applies it: three pins at most; answers the new state.
      if (!chat.pinned && [...world.chats.values()].filter((c) => c.pinned).length >= 3) return false
      chat.pinned = true
      return true
    },
    async unpin() {
      world.record('unpinChat', chat.id)
      chat.pinned = false
      return false
    },
    async markUnread() {
      world.record('markUnread', chat.id)
      chat.unreadCount = -1
    },
    async mute(unmuteDate?: Date) {
      world.record('mute', chat.id, unmuteDate)
      chat.muteExpiration = unmuteDate ? Math.floor(unmuteDate.getTime() / 1000) : -1
      return { isMuted: true, muteExpiration: chat.muteExpiration }
    },
    async unmute() {
      world.record('unmute', chat.id)
      delete chat.muteExpiration
      return { isMuted: false, muteExpiration: 0 }
    },
    async clearMessages() {
      world.record('clearMessages', chat.id)
      chat.messages = []
      return true
    },
    async delete() {
      world.record('deleteChat', chat.id)
      world.chats.delete(chat.id)
      return true
    },
  }
  const group = chat.group
  if (!group) return base
  const allowed = () => !world.behaviour.notAdmin
  const status = async (method: string, ids: string[]) => {
    world.record(method, chat.id, ids)
    return { status: allowed() ? 200 : 403 }
  }
  const groupChat: WGroupChat = {
    ...base,
    owner: contactId(group.owner),
    description: group.description,
    createdAt: new Date(group.creation * 1000),
    participants: group.participants.map((p) => ({ id: contactId(p.id), isAdmin: p.isAdmin, isSuperAdmin: p.isSuperAdmin })),
    groupMetadata: { announce: group.announce, restrict: group.restrict, creation: group.creation, membershipApprovalMode: group.membershipApproval === true },
    async setSubject(subject: string) {
      world.record('setSubject', chat.id, subject)
      if (!allowed()) return false
      chat.name = subject
      return true
    },
    async setDescription(description: string) {
      world.record('setDescription', chat.id, description)
      if (!allowed()) return false
      group.description = description
      return true
    },
    async setMessagesAdminsOnly(adminsOnly = true) {
      world.record('setMessagesAdminsOnly', chat.id, adminsOnly)
      if (!allowed()) return false
      group.announce = adminsOnly
      return true
    },
    async setInfoAdminsOnly(adminsOnly = true) {
      world.record('setInfoAdminsOnly', chat.id, adminsOnly)
      if (!allowed()) return false
      group.restrict = adminsOnly
      return true
    },
    async addParticipants(ids: string | string[]) {
      const list = Array.isArray(ids) ? ids : [ids]
      world.record('addParticipants', chat.id, list)
      const result: Record<string, { code: number; message: string; isInviteV4Sent: boolean }> = {}
      for (const id of list) {
        if (world.unregistered.has(id.split('@')[0] ?? '')) {
          result[id] = { code: 404, message: 'not on WhatsApp', isInviteV4Sent: false }
          continue
        }
        group.participants.push({ id, isAdmin: false, isSuperAdmin: false })
        result[id] = { code: 200, message: 'added', isInviteV4Sent: false }
      }
      return result as unknown as { [key: string]: WAWebJS.AddParticipantsResult }
    },
    async removeParticipants(ids: string[]) {
      const result = await status('removeParticipants', ids)
      if (result.status === 200) group.participants = group.participants.filter((p) => !ids.includes(p.id))
      return result
    },
    async promoteParticipants(ids: string[]) {
      const result = await status('promoteParticipants', ids)
      if (result.status === 200) for (const p of group.participants) if (ids.includes(p.id)) p.isAdmin = true
      return result
    },
    async demoteParticipants(ids: string[]) {
      const result = await status('demoteParticipants', ids)
      if (result.status === 200) for (const p of group.participants) if (ids.includes(p.id)) p.isAdmin = false
      return result
    },
    async getInviteCode() {
      world.record('getInviteCode', chat.id)
      return (allowed() ? group.inviteCode : undefined) as string
    },
    async leave() {
      world.record('leave', chat.id)
    },
    async setPicture(media: WAWebJS.MessageMedia) {
      world.record('setPicture', chat.id, media)
      return allowed()
    },
    async revokeInvite() {
      world.record('revokeInvite', chat.id)
      if (allowed()) group.inviteCode = `FakeInviteCode${++counter}`
    },
    async deletePicture() {
      world.record('deletePicture', chat.id)
      if (!allowed()) return false
      delete group.picture
      return true
    },
  }
  return groupChat
}

function channelView(world: FakeWhatsApp, channel: StoredChannel): WChannel {
  return {
    id: contactId(channel.id),
    name: channel.name,
    description: channel.description,
    isChannel: true,
    isMuted: channel.isMuted,
    channelMetadata: { membershipType: channel.membershipType, subscribersCount: channel.subscribersCount, inviteCode: channel.inviteCode },
    async mute() {
      world.record('muteChannel', channel.id)
      channel.isMuted = true
      return true
    },
    async unmute() {
      world.record('unmuteChannel', channel.id)
      channel.isMuted = false
      return true
    },
  }
}
