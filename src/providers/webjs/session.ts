/**
 * The webjs engine session: the operations of §4–§6 on whatsapp-web.js, and the message
 * events of each run turned into engine events. The browser's lifecycle (launch, deadlines,
 * health, endings) is ./supervisor.ts; how failures are worded is ./errors.ts.
 */
import type WAWebJS from 'whatsapp-web.js'
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, UpstreamError } from '../../errors'
import type { Logger } from '../../lib/logger'
import { isMessageId } from '../../lib/message-id'
import { STATUS_BROADCAST } from '../../lib/chat-id'
import {
  BaseEngineSession,
  capabilitiesExcept,
  type Capability,
  type ChannelDTO,
  type ChatDTO,
  type LabelDTO,
  type ChatQuery,
  type ContactDTO,
  type EngineContext,
  type GroupCreateOptions,
  type GroupDTO,
  type GroupInviteInfo,
  type GroupJoinResult,
  type MembershipRequest,
  type OwnPresence,
  type GroupUpdate,
  type HistoryQuery,
  type MediaFile,
  type MessageDTO,
  type NumberCheck,
  type Page,
  type ParticipantAction,
  type PinDuration,
  type PollVotes,
  type PresenceState,
  type ProfileDTO,
  type SendRequest,
  type SessionSnapshot,
  type StatusContent,
} from '../engine'
import type { WebjsClient, WebjsRuntime, WGroupChat, WMessage } from './client'
import { pageOfChats } from '../chat-query'
import { describeError, withTimeout } from './errors'
import * as business from './business'
import * as features from './features'
import * as invites from './invites'
import {
  isGroupChat,
  isUserMessage,
  mediaInfoOf,
  toAckEvent,
  toCallEvent,
  toChatDTO,
  toContactDTO,
  toEditedEvent,
  toGroupDTO,
  toGroupEvents,
  toMessageDTO,
  toReactionEvent,
  toRevokedEvent,
  type GroupNotificationKind,
} from './mappers'
import { WebjsSupervisor, type RunEvents, type WebjsSupervisorOptions } from './supervisor'


/** Everything whatsapp-web.js offers: all but the simulator's sandbox. */
export const WEBJS_CAPABILITIES: ReadonlySet<Capability> = capabilitiesExcept(
  'sandbox',
  // whatsapp-web.js can read, assign and filter labels but not create, change or delete them.
  'labels.manage',
)

export interface WebjsSessionOptions extends WebjsSupervisorOptions {
  runtime: WebjsRuntime
}

/** How long an eager download of incoming media may take before the message goes out without its bytes. */
const MEDIA_DOWNLOAD_TIMEOUT_MS = 60_000
/** Largest history window fetched from WhatsApp Web while looking for a `before` cursor. */
const HISTORY_SCAN_LIMIT = 4000

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

export class WebjsSession extends BaseEngineSession {
  readonly engine = 'webjs' as const
  readonly capabilities = WEBJS_CAPABILITIES

  private readonly supervisor: WebjsSupervisor
  private readonly logger: Logger
  private readonly ringing = new business.RingingCalls()

  constructor(
    private readonly context: EngineContext,
    private readonly options: WebjsSessionOptions,
  ) {
    super()
    this.logger = options.logger.child({ session: context.phoneNumber, engine: 'webjs' })
    this.supervisor = new WebjsSupervisor(context, options, (events) => this.forward(events))
  }

  /** Chromium's profile, inside LocalAuth's dataPath. */
  get userDataDir(): string {
    return this.supervisor.userDataDir
  }

  snapshot(): SessionSnapshot {
    return this.supervisor.snapshot()
  }

  /** Resident memory of this session's Chromium: the browser and its process group (renderers, zygote, GPU helper). */
  processMemoryBytes(): number | undefined {
    return this.supervisor.browserMemoryBytes()
  }

  start(): Promise<void> {
    return this.supervisor.start()
  }

  stop(): Promise<void> {
    return this.supervisor.stop()
  }

  logout(): Promise<void> {
    return this.supervisor.logout()
  }

  override async requestPairingCode(phoneNumber: string): Promise<string> {
    const code = await this.supervisor.whileLinking('request a pairing code', (client) => client.requestPairingCode(phoneNumber.replace(/\D/g, '')))
    const clean = String(code).replace(/[^0-9A-Z]/gi, '').toUpperCase()
    return clean.length === 8 ? `${clean.slice(0, 4)}-${clean.slice(4)}` : clean
  }

  // ─── Client events → engine events ───────────────────────────────────────

  private forward({ on, enqueue }: RunEvents): void {
    const emit = this.context.emit
    on('message_create', (message) => enqueue(() => this.onMessage(message)))
    on('message_ack', (message, ack) => enqueue(async () => emit(toAckEvent(message, ack))))
    on('message_reaction', (reaction) =>
      enqueue(async () => {
        const event = toReactionEvent(reaction)
        if (event) emit(event)
      }),
    )
    on('message_revoke_everyone', (message) => enqueue(async () => emit(toRevokedEvent(message, nowSeconds()))))
    on('message_edit', (message, newBody, prevBody) => {
      if (String(newBody) === String(prevBody)) return
      enqueue(async () => emit(toEditedEvent(message, newBody, nowSeconds())))
    })
    for (const kind of ['group_join', 'group_leave', 'group_admin_changed', 'group_update'] as const satisfies readonly GroupNotificationKind[]) {
      on(kind, (notification) =>
        enqueue(async () => {
          for (const event of toGroupEvents(kind, notification, this.meId())) emit(event)
        }),
      )
    }
    on('vote_update', (vote) => enqueue(async () => emit(features.toPollVoteEvent(vote, this.meId()))))
    on('call', (call) => {
      const event = toCallEvent(call)
      if (!event) return
      this.ringing.ringing(call)
      enqueue(async () => emit(event))
    })
  }

  private async onMessage(message: WMessage): Promise<void> {
    if (!isUserMessage(message)) return
    const dto = toMessageDTO(message, this.meId())
    const media = message.hasMedia ? await this.eagerMedia(message) : undefined
    this.context.emit({ type: 'message', message: dto, ...(media && { media }) })
  }

  /** Incoming media is fetched as it arrives (WhatsApp's links expire); too large or failing → without bytes. */
  private async eagerMedia(message: WMessage): Promise<MediaFile | undefined> {
    const size = mediaInfoOf(message)?.size
    if (size !== undefined && size > this.options.settings.eagerMediaMaxBytes) return undefined
    try {
      const media = await withTimeout(message.downloadMedia(), MEDIA_DOWNLOAD_TIMEOUT_MS, 'media download timed out')
      return media ? this.toMediaFile(media) : undefined
    } catch (error) {
      this.logger.warn({ err: describeError(error), id: message.id._serialized }, 'could not download the media of a message')
      return undefined
    }
  }

  // ─── Operations ───────────────────────────────────────────────────────────

  /** Runs one operation on a WORKING session, mapping whatsapp-web.js failures to typed errors. */
  private op<T>(what: string, work: (client: WebjsClient) => Promise<T>): Promise<T> {
    return this.supervisor.op(what, work)
  }

  private meId(): string | undefined {
    return this.supervisor.meId()
  }

  private toMedia(file: MediaFile): WAWebJS.MessageMedia {
    const { MessageMedia } = this.options.runtime
    return new MessageMedia(file.mimeType, Buffer.from(file.data).toString('base64'), file.filename ?? null, file.data.byteLength)
  }

  private toMediaFile(media: WAWebJS.MessageMedia): MediaFile {
    return {
      data: new Uint8Array(Buffer.from(media.data, 'base64')),
      mimeType: media.mimetype,
      ...(media.filename && { filename: media.filename }),
    }
  }

  private async message(client: WebjsClient, messageId: string): Promise<WMessage> {
    if (!isMessageId(messageId)) {
      throw new BadRequestError('messageId must be a WhatsApp message id such as true_15550002222@c.us_3EB0C0FFEE', { messageId })
    }
    const message = await client.getMessageById(messageId)
    if (!message) throw new NotFoundError(`Message ${messageId} not found`)
    return message
  }

  private async chat(client: WebjsClient, chatId: string) {
    const chat = await client.getChatById(chatId)
    if (!chat) throw new NotFoundError(`Chat ${chatId} not found`)
    return chat
  }

  private async group(client: WebjsClient, groupId: string): Promise<WGroupChat> {
    const chat = await client.getChatById(groupId)
    if (!chat || !isGroupChat(chat)) throw new NotFoundError(`Group ${groupId} not found`)
    return chat
  }

  private sent(message: WMessage | null | undefined, chatId: string): MessageDTO {
    if (!message) throw new NotFoundError(`Chat ${chatId} not found, or WhatsApp Web refused to send there`)
    return toMessageDTO(message, this.meId())
  }

  override send(request: SendRequest): Promise<MessageDTO> {
    return this.op(`send a ${request.content.type} message`, async (client) => {
      const { runtime } = this.options
      const content = request.content
      // A send does not mark the chat read: that is POST /chat/:chatId/seen.
      const options: WAWebJS.MessageSendOptions = { sendSeen: false, ...(request.quotedMsgId && { quotedMessageId: request.quotedMsgId }) }
      let body: WAWebJS.MessageContent
      switch (content.type) {
        case 'text':
          body = content.text
          if (content.mentions?.length) options.mentions = content.mentions
          options.linkPreview = content.linkPreview !== false
          break
        case 'image':
        case 'video':
          body = this.toMedia(content.media)
          if (content.caption) options.caption = content.caption
          if (content.mentions?.length) options.mentions = content.mentions
          if (content.viewOnce) options.isViewOnce = true
          break
        case 'file':
          body = this.toMedia(content.media)
          options.sendMediaAsDocument = true
          if (content.caption) options.caption = content.caption
          break
        case 'voice':
          body = this.toMedia(content.media)
          options.sendAudioAsVoice = true
          // whatsapp-web.js measures duration and waveform itself in the page.
          if (content.viewOnce) options.isViewOnce = true
          break
        case 'audio':
          body = this.toMedia(content.media)
          break
        case 'sticker':
          if (!content.media.mimeType.startsWith('image/')) {
            throw new BadRequestError(`A sticker must be an image (WebP, PNG or JPEG); got ${content.media.mimeType}`)
          }
          body = this.toMedia(content.media)
          options.sendMediaAsSticker = true
          break
        case 'location':
          body = new runtime.Location(content.latitude, content.longitude, {
            ...(content.name && { name: content.name }),
            ...(content.address && { address: content.address }),
          })
          break
        case 'poll':
          body = new runtime.Poll(content.name, content.options, { allowMultipleAnswers: content.multipleAnswers, messageSecret: undefined })
          break
        case 'contact': {
          if (content.vcards.length === 0) throw new BadRequestError('A contact message needs at least one vCard')
          const bad = content.vcards.find((vcard) => !vcard.trimStart().startsWith('BEGIN:VCARD'))
          if (bad !== undefined) throw new BadRequestError('Each contact must be a vCard starting with BEGIN:VCARD')
          // WhatsApp Web parses one vCard per message (parseVCards); several go as several messages.
          let first: MessageDTO | undefined
          for (const vcard of content.vcards) {
            const message = this.sent(await client.sendMessage(request.chatId, vcard.trim(), { ...options, parseVCards: true }), request.chatId)
            first ??= message
          }
          return first!
        }
      }
      return this.sent(await client.sendMessage(request.chatId, body, options), request.chatId)
    })
  }

  override react(messageId: string, emoji: string): Promise<void> {
    return this.op('react to the message', async (client) => {
      const message = await this.message(client, messageId)
      await message.react(emoji)
    })
  }

  override editMessage(messageId: string, text: string): Promise<void> {
    return this.op('edit the message', async (client) => {
      const message = await this.message(client, messageId)
      if (!message.fromMe) throw new ConflictError('Only messages this account sent can be edited', { messageId })
      const edited = await message.edit(text)
      if (!edited) throw new ConflictError('WhatsApp does not allow editing this message (only text and captions, up to 15 minutes after sending)', { messageId })
    })
  }

  override deleteMessage(messageId: string, forEveryone: boolean): Promise<void> {
    return this.op('delete the message', async (client) => {
      const message = await this.message(client, messageId)
      await message.delete(forEveryone)
    })
  }

  override forwardMessage(messageId: string, chatId: string): Promise<MessageDTO> {
    return this.op('forward the message', async (client) => {
      const message = await this.message(client, messageId)
      const target = await this.chat(client, chatId)
      const before = new Set((await target.fetchMessages({ limit: 20, fromMe: true })).map((m) => m.id._serialized))
      await message.forward(chatId)
      // whatsapp-web.js does not return the forwarded copy; it is the newest new own message there.
      for (const wait of [0, 200, 500, 1000, 2000]) {
        if (wait) await Bun.sleep(wait)
        const recent = await target.fetchMessages({ limit: 20, fromMe: true })
        const copy = [...recent].reverse().find((m) => !before.has(m.id._serialized))
        if (copy) return toMessageDTO(copy, this.meId())
      }
      throw new UpstreamError('WhatsApp Web forwarded the message but did not show the copy in the chat')
    })
  }

  override markSeen(chatId: string): Promise<void> {
    return this.op('mark the chat read', async (client) => {
      if (!(await client.sendSeen(chatId))) throw new NotFoundError(`Chat ${chatId} not found`)
    })
  }

  override setPresence(chatId: string, state: PresenceState): Promise<void> {
    return this.op('set the chat presence', async (client) => {
      const chat = await this.chat(client, chatId)
      if (state === 'typing') await chat.sendStateTyping()
      else if (state === 'recording') await chat.sendStateRecording()
      else await chat.clearState()
    })
  }

  override postStatus(content: StatusContent): Promise<MessageDTO> {
    return this.op('post the Status', async (client) => {
      const chatId = STATUS_BROADCAST
      if (content.type === 'text') {
        const extra = {
          ...(content.backgroundColor && { backgroundColor: content.backgroundColor }),
          ...(content.font !== undefined && { fontStyle: content.font }),
        }
        return this.sent(await client.sendMessage(chatId, content.text, { sendSeen: false, extra }), chatId)
      }
      if (content.type === 'voice') {
        const extra = content.backgroundColor ? { backgroundColor: content.backgroundColor } : undefined
        return this.sent(await client.sendMessage(chatId, this.toMedia(content.media), { sendSeen: false, sendAudioAsVoice: true, ...(extra && { extra }) }), chatId)
      }
      return this.sent(
        await client.sendMessage(chatId, this.toMedia(content.media), { sendSeen: false, ...(content.caption && { caption: content.caption }) }),
        chatId,
      )
    })
  }

  override listChats(query: ChatQuery): Promise<Page<ChatDTO>> {
    return this.op('list chats', async (client) => {
      // Chat objects do not carry their labels: a label filter asks WhatsApp Web for the label's chats.
      const labelId = query.labelId
      if (labelId === undefined) return pageOfChats((await client.getChats()).map(toChatDTO), query)
      const labelled = await client.getChatsByLabelId(labelId).catch(() => [])
      return pageOfChats(labelled.filter(Boolean).map((chat) => ({ ...toChatDTO(chat), labels: [labelId] })), query)
    })
  }

  override getChat(chatId: string): Promise<ChatDTO> {
    return this.op('read the chat', async (client) => {
      const chat = toChatDTO(await this.chat(client, chatId))
      // Chat objects do not carry their labels; one chat's are one call (none on WhatsApp Messenger).
      const labels = await client.getChatLabels(chatId).catch(() => [])
      return { ...chat, labels: labels.map((label) => String(label.id)) }
    })
  }

  /**
   * Newest first, `limit` at a time. whatsapp-web.js loads history oldest-first up to a
   * count, so the window grows until it holds the cursor and `limit` older messages.
   */
  override getMessages(chatId: string, query: HistoryQuery): Promise<{ messages: MessageDTO[]; hasMore: boolean }> {
    return this.op('read the chat history', async (client) => {
      const chat = await this.chat(client, chatId)
      let window = query.before === undefined ? query.limit + 1 : Math.max(2 * (query.limit + 1), 50)
      for (;;) {
        const loaded = await chat.fetchMessages({ limit: window })
        const complete = loaded.length < window
        let older = loaded
        if (query.before !== undefined) {
          const at = loaded.findIndex((m) => m.id._serialized === query.before)
          if (at === -1) {
            if (complete || window >= HISTORY_SCAN_LIMIT) throw new NotFoundError(`Message ${query.before} not found in ${chatId}`)
            window = Math.min(window * 2, HISTORY_SCAN_LIMIT)
            continue
          }
          older = loaded.slice(0, at)
        }
        if (older.length > query.limit || complete || window >= HISTORY_SCAN_LIMIT) {
          const newestFirst = [...older].reverse()
          return {
            messages: newestFirst.slice(0, query.limit).map((m) => toMessageDTO(m, this.meId())),
            hasMore: newestFirst.length > query.limit,
          }
        }
        window = Math.min(window * 2, HISTORY_SCAN_LIMIT)
      }
    })
  }

  override downloadMedia(messageId: string): Promise<MediaFile | null> {
    return this.op('download the media', async (client) => {
      const message = await this.message(client, messageId)
      if (!message.hasMedia) return null
      const media: WAWebJS.MessageMedia | undefined = await message.downloadMedia()
      return media ? this.toMediaFile(media) : null
    })
  }

  override listContacts(): Promise<ContactDTO[]> {
    return this.op('list contacts', async (client) => (await client.getContacts()).filter((c) => c.isGroup !== true).map(toContactDTO))
  }

  override getContact(contactId: string): Promise<ContactDTO> {
    return this.op('read the contact', async (client) => {
      const contact = await client.getContactById(contactId)
      if (!contact) throw new NotFoundError(`Contact ${contactId} not found`)
      return toContactDTO(contact)
    })
  }

  override getProfilePictureUrl(contactId: string): Promise<string | null> {
    return this.op('read the profile picture', async (client) => (await client.getProfilePicUrl(contactId)) ?? null)
  }

  override checkNumber(number: string): Promise<NumberCheck> {
    return this.op('check the number', async (client) => {
      const digits = number.replace(/@.*$/, '').replace(/\D/g, '')
      if (!/^[0-9]{7,15}$/.test(digits)) throw new BadRequestError('number must be a phone number of 7 to 15 digits', { number })
      const wid = await client.getNumberId(digits)
      return { number: digits, exists: wid !== null, jid: wid?._serialized ?? null }
    })
  }

  override setBlocked(contactId: string, blocked: boolean): Promise<void> {
    return this.op(blocked ? 'block the contact' : 'unblock the contact', async (client) => {
      const contact = await client.getContactById(contactId)
      if (!contact) throw new NotFoundError(`Contact ${contactId} not found`)
      const done = blocked ? await contact.block() : await contact.unblock()
      if (!done) throw new BadRequestError(`${contactId} cannot be ${blocked ? 'blocked' : 'unblocked'} (groups cannot)`)
    })
  }

  override listGroups(): Promise<GroupDTO[]> {
    return this.op('list groups', async (client) => (await client.getChats()).filter(isGroupChat).map(toGroupDTO))
  }

  override createGroup(name: string, participants: string[], options?: GroupCreateOptions): Promise<GroupDTO> {
    return this.op('create the group', async (client) => {
      const result = options?.membershipApproval
        ? await client.createGroup(name, participants, { membershipApprovalMode: true })
        : await client.createGroup(name, participants)
      if (typeof result === 'string') throw new UpstreamError(`WhatsApp did not create the group: ${result}`)
      return toGroupDTO(await this.group(client, result.gid._serialized))
    })
  }

  override getGroup(groupId: string): Promise<GroupDTO> {
    return this.op('read the group', async (client) => toGroupDTO(await this.group(client, groupId)))
  }

  override updateGroup(groupId: string, update: GroupUpdate): Promise<GroupDTO> {
    return this.op('update the group', async (client) => {
      const group = await this.group(client, groupId)
      const refuse = (what: string) => {
        throw new ForbiddenError(`WhatsApp refused to change the group's ${what}: this account is not allowed to (it may need to be an admin)`, { groupId })
      }
      // whatsapp-web.js sets approval only when creating a group.
      if (update.membershipApproval !== undefined) this.unsupported("changing an existing group's membership approval (whatsapp-web.js sets it only at creation)")
      if (update.subject !== undefined && !(await group.setSubject(update.subject))) refuse('subject')
      if (update.description !== undefined && !(await group.setDescription(update.description))) refuse('description')
      if (update.messagesAdminsOnly !== undefined && !(await group.setMessagesAdminsOnly(update.messagesAdminsOnly))) refuse('who may send messages')
      if (update.infoAdminsOnly !== undefined && !(await group.setInfoAdminsOnly(update.infoAdminsOnly))) refuse('who may edit its info')
      return toGroupDTO(await this.group(client, groupId))
    })
  }

  override leaveGroup(groupId: string): Promise<void> {
    return this.op('leave the group', async (client) => {
      await (await this.group(client, groupId)).leave()
    })
  }

  override updateParticipants(groupId: string, action: ParticipantAction, participants: string[]): Promise<GroupDTO> {
    return this.op(`${action} group participants`, async (client) => {
      const group = await this.group(client, groupId)
      if (action === 'add') {
        const result = await group.addParticipants(participants)
        if (typeof result === 'string') throw new UpstreamError(`WhatsApp did not add the participants: ${result}`)
        const outcomes = Object.entries(result as Record<string, { code?: number; message?: string; isInviteV4Sent?: boolean }>)
        const failed = outcomes.filter(([, r]) => r.code !== 200 && !r.isInviteV4Sent)
        if (outcomes.length > 0 && failed.length === outcomes.length) {
          throw new ConflictError('WhatsApp added none of the participants', Object.fromEntries(failed.map(([id, r]) => [id, { code: r.code, message: r.message }])))
        }
      } else {
        const change = action === 'remove' ? group.removeParticipants : action === 'promote' ? group.promoteParticipants : group.demoteParticipants
        const result = await change.call(group, participants)
        if (result?.status !== undefined && result.status !== 200) {
          throw new UpstreamError(`WhatsApp refused to ${action} the participants (status ${result.status})`, { status: result.status })
        }
      }
      return toGroupDTO(await this.group(client, groupId))
    })
  }

  override getInviteLink(groupId: string): Promise<string> {
    return this.op('read the group invite link', async (client) => {
      const code = await (await this.group(client, groupId)).getInviteCode()
      if (!code) throw new ForbiddenError('WhatsApp gave no invite link: only group admins can read it', { groupId })
      return `https://chat.whatsapp.com/${code}`
    })
  }

  override setGroupPicture(groupId: string, picture: MediaFile): Promise<void> {
    return this.op('set the group picture', async (client) => {
      const group = await this.group(client, groupId)
      if (!(await group.setPicture(this.toMedia(picture)))) {
        throw new ForbiddenError("WhatsApp refused to change the group's picture: this account is not allowed to (it may need to be an admin)", { groupId })
      }
    })
  }

  override getProfile(): Promise<ProfileDTO> {
    return this.op('read the profile', async (client) => {
      const info = client.info
      if (!info?.wid) throw new UpstreamError('WhatsApp Web did not report the linked account')
      const id = info.wid._serialized
      const [status, pictureUrl] = await Promise.all([
        client
          .getContactById(id)
          .then((contact) => contact?.getAbout())
          .catch(() => null),
        client.getProfilePicUrl(id).catch(() => undefined),
      ])
      return {
        id,
        pushname: info.pushname ?? '',
        phone: info.wid.user,
        ...(info.platform && { platform: info.platform }),
        ...(typeof status === 'string' && { status }),
        pictureUrl: pictureUrl ?? null,
      }
    })
  }

  override setProfileName(name: string): Promise<void> {
    return this.op('set the profile name', async (client) => {
      if (!(await client.setDisplayName(name))) throw new UpstreamError('WhatsApp refused the new profile name')
      this.supervisor.renamed(name)
    })
  }

  override setProfileStatus(status: string): Promise<void> {
    return this.op('set the profile status', async (client) => {
      await client.setStatus(status)
    })
  }

  override setProfilePicture(picture: MediaFile): Promise<void> {
    return this.op('set the profile picture', async (client) => {
      if (!(await client.setProfilePicture(this.toMedia(picture)))) throw new UpstreamError('WhatsApp refused the new profile picture')
    })
  }

  // ─── Issue 13 part A: invites, membership requests, contacts, presence, profile and Status extras (./invites.ts) ──

  override joinGroup(inviteCode: string): Promise<GroupJoinResult> {
    return this.op('join the group', async (client) => {
      // Asked first: an unknown code is a 404, a group already joined a 409, and the answer says whether admins approve joins.
      const info = await invites.getInviteInfo(client, inviteCode)
      const existing = await client.getChatById(info.groupId).catch(() => undefined)
      if (existing && isGroupChat(existing) && invites.isMember(existing, this.meId())) throw new ConflictError(`Already a member of ${info.groupId}`, { groupId: info.groupId })
      let groupId: string
      try {
        groupId = await client.acceptInvite(inviteCode)
      } catch (error) {
        if (invites.isInvalidInviteError(error)) throw invites.invalidInvite()
        throw error
      }
      return { groupId: groupId || info.groupId, pending: info.membershipApproval }
    })
  }

  override getInviteInfo(inviteCode: string): Promise<GroupInviteInfo> {
    return this.op('read the invite', async (client) => invites.getInviteInfo(client, inviteCode))
  }

  override revokeInviteLink(groupId: string): Promise<string> {
    return this.op('reset the invite link', async (client) => {
      const group = await this.group(client, groupId)
      invites.requireAdmin(group, this.meId(), 'reset the invite link')
      return invites.revokeInvite(group)
    })
  }

  override deleteGroupPicture(groupId: string): Promise<void> {
    return this.op('remove the group picture', async (client) => invites.deletePicture(await this.group(client, groupId)))
  }

  override listMembershipRequests(groupId: string): Promise<MembershipRequest[]> {
    return this.op('read the membership requests', async (client) => {
      invites.requireAdmin(await this.group(client, groupId), this.meId(), 'see membership requests')
      return invites.membershipRequests(client, groupId)
    })
  }

  override reviewMembershipRequests(groupId: string, participants: string[], approve: boolean): Promise<string[]> {
    return this.op(approve ? 'approve membership requests' : 'reject membership requests', async (client) => {
      invites.requireAdmin(await this.group(client, groupId), this.meId(), `${approve ? 'approve' : 'reject'} membership requests`)
      return invites.reviewRequests(client, groupId, participants, approve)
    })
  }

  override getContactAbout(contactId: string): Promise<string | null> {
    return this.op("read the contact's about text", async (client) => {
      const contact = await client.getContactById(contactId)
      if (!contact) throw new NotFoundError(`Contact ${contactId} not found`)
      return (await contact.getAbout()) || null
    })
  }

  override saveContact(contactId: string, name: { firstName: string; lastName?: string }): Promise<void> {
    return this.op('save the contact', async (client) => {
      if (!contactId.endsWith('@c.us')) throw new BadRequestError('Only phone numbers (…@c.us) can be saved as contacts', { contactId })
      // Synced to the phone's address book, as saving on the phone does.
      await client.saveOrEditAddressbookContact(contactId.replace(/@c\.us$/, ''), name.firstName, name.lastName ?? '', true)
    })
  }

  override setOwnPresence(state: OwnPresence): Promise<void> {
    return this.op(`go ${state}`, async (client) => {
      if (state === 'online') await client.sendPresenceAvailable()
      else await client.sendPresenceUnavailable()
    })
  }

  override deleteProfilePicture(): Promise<void> {
    return this.op('remove the profile picture', async (client) => {
      if (!(await client.deleteProfilePicture())) throw new UpstreamError('WhatsApp refused to remove the profile picture')
    })
  }

  override deleteStatus(messageId: string): Promise<void> {
    return this.op('delete the Status post', async (client) => {
      const message = await this.message(client, messageId)
      if (!message.fromMe || message.id.remote !== STATUS_BROADCAST) throw new BadRequestError(`Message ${messageId} is not one of this account's Status posts`)
      await client.revokeStatusMessage(messageId)
    })
  }

  // ─── Issue 13: chat actions, message star and pins, polls (./features.ts) ──

  override archiveChat(chatId: string, archived: boolean): Promise<void> {
    return this.op(archived ? 'archive the chat' : 'unarchive the chat', async (client) => features.archiveChat(await this.chat(client, chatId), archived))
  }

  override pinChat(chatId: string, pinned: boolean): Promise<void> {
    return this.op(pinned ? 'pin the chat' : 'unpin the chat', async (client) => features.pinChat(await this.chat(client, chatId), pinned))
  }

  override markUnread(chatId: string): Promise<void> {
    return this.op('mark the chat unread', async (client) => (await this.chat(client, chatId)).markUnread())
  }

  override muteChat(chatId: string, until?: number): Promise<void> {
    return this.op('mute the chat', async (client) => features.muteChat(await this.chat(client, chatId), until))
  }

  override unmuteChat(chatId: string): Promise<void> {
    return this.op('unmute the chat', async (client) => features.unmuteChat(await this.chat(client, chatId)))
  }

  override clearChat(chatId: string): Promise<void> {
    return this.op('clear the chat', async (client) => features.clearChat(await this.chat(client, chatId)))
  }

  override deleteChat(chatId: string): Promise<void> {
    return this.op('delete the chat', async (client) => features.deleteChat(await this.chat(client, chatId)))
  }

  override starMessage(messageId: string, starred: boolean): Promise<void> {
    return this.op(starred ? 'star the message' : 'unstar the message', async (client) => features.starMessage(await this.message(client, messageId), starred))
  }

  override pinMessage(messageId: string, durationSeconds: PinDuration): Promise<void> {
    return this.op('pin the message', async (client) => features.pinMessage(await this.message(client, messageId), durationSeconds))
  }

  override unpinMessage(messageId: string): Promise<void> {
    return this.op('unpin the message', async (client) => features.unpinMessage(await this.message(client, messageId)))
  }

  override votePoll(messageId: string, options: string[]): Promise<void> {
    return this.op('vote in the poll', async (client) => features.votePoll(await this.message(client, messageId), options))
  }

  override getPollVotes(messageId: string): Promise<PollVotes> {
    return this.op('read the poll votes', async (client) => features.pollVotes(await this.message(client, messageId)))
  }

  // ─── Issue 13 part B: labels, calls, channels (./business.ts) ─────────────

  override getLabels(): Promise<LabelDTO[]> {
    return this.op('read the labels', (client) => business.labels(client))
  }

  override getLabelChats(labelId: string): Promise<ChatDTO[]> {
    return this.op("read the label's chats", async (client) => {
      await business.requireLabel(client, labelId)
      const chats = await client.getChatsByLabelId(labelId)
      return chats.filter(Boolean).map((chat) => ({ ...toChatDTO(chat), labels: [labelId] }))
    })
  }

  override setChatLabels(chatId: string, labelIds: string[]): Promise<void> {
    return this.op("set the chat's labels", async (client) => {
      await this.chat(client, chatId)
      for (const event of await business.setChatLabels(client, chatId, labelIds)) this.context.emit(event)
    })
  }

  override rejectCall(callId: string): Promise<void> {
    return this.op('reject the call', () => this.ringing.reject(callId))
  }

  override listChannels(): Promise<ChannelDTO[]> {
    return this.op('list channels', (client) => business.listChannels(client))
  }

  override getChannel(channelId: string): Promise<ChannelDTO> {
    return this.op('read the channel', async (client) => business.toChannelDTO(await business.channel(client, channelId)))
  }

  override createChannel(name: string, description?: string): Promise<ChannelDTO> {
    return this.op('create the channel', (client) => business.createChannel(client, name, description))
  }

  override deleteChannel(channelId: string): Promise<void> {
    return this.op('delete the channel', (client) => business.deleteChannel(client, channelId))
  }

  override followChannel(channelId: string, follow: boolean): Promise<void> {
    return this.op(follow ? 'follow the channel' : 'unfollow the channel', (client) => business.followChannel(client, channelId, follow))
  }

  override muteChannel(channelId: string, muted: boolean): Promise<void> {
    return this.op(muted ? 'mute the channel' : 'unmute the channel', (client) => business.muteChannel(client, channelId, muted))
  }
}
