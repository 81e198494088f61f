/**
 * The `waha` engine: one of our sessions is one session on a WAHA server, named by the
 * session's phone number, driven over WAHA's REST API (`WahaClient`, every request shaped
 * as WAHA's published document says).
 *
 * WAHA reports back two ways, both feeding the same state:
 * - its callbacks (webhooks configured on the WAHA session, pointing at this server's
 *   `/webhook/message` and `/webhook/state-change`, authenticated by `X-Api-Key`), mapped by
 *   `wahaEnvelopeToEngineEvents` and handed to `acceptCallback`;
 * - a poll of the session's status every WAHA_POLL_MS (and its QR while SCAN_QR_CODE), so
 *   the session stays truthful when callbacks cannot reach us (PUBLIC_URL wrong, network).
 *
 * Capabilities are those WAHA's document offers; what it lacks (stickers, plain audio,
 * explicit mentions, delete-for-me) answers 501.
 */
import { STATUS_BROADCAST, userOf } from '../../lib/chat-id'
import { BadRequestError, NotFoundError, UpstreamError } from '../../errors'
import type { Logger } from '../../lib/logger'
import { labelColorHex } from '../../lib/label-colors'
import { jidOf } from '../../lib/phone'
import { pageOfChats } from '../chat-query'
import {
  BaseEngineSession,
  capabilitiesExcept,
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
  type NumberCheck,
  type Page,
  type ParticipantAction,
  type PinDuration,
  type PresenceState,
  type ProfileDTO,
  type EngineContext,
  type EngineEvent,
  type GroupInviteInfo,
  type GroupJoinResult,
  type OwnPresence,
  type SendRequest,
  type SessionSnapshot,
  type SessionStatus,
  type StatusContent,
  type ChannelDTO,
  type LabelDTO,
  type LabelInput,
} from '../engine'
import { buildCallbackWebhooks, type WahaClient } from './client'
import type { WahaMessageEvent } from './events'
import {
  forwardedMessageToDto,
  groupIdOf,
  inviteLinkOf,
  parseMessageId,
  serializedId,
  wahaInviteInfoToDto,
  sentMessageToDto,
  wahaChatSummaryToDto,
  wahaChatToDto,
  wahaContactToDto,
  wahaGroupToDto,
  wahaMessageToDto,
  wahaNumberCheckToDto,
  wahaProfileToDto,
  wahaStatusToSessionStatus,
  type SentMessage,
  wahaChannelToDto,
  wahaLabelToDto,
} from './mappers'
import type { WahaSessionStatus } from './model'
import type { BinaryFile, MeInfo, Result, SessionConfig, SessionInfo, WAMessage, WebhookConfig } from './types'

/** Everything WAHA's document offers; not `send.audio`/`send.sticker` (no such operation) nor `sandbox`. */
export const WAHA_CAPABILITIES: ReadonlySet<Capability> = capabilitiesExcept(
  'send.audio',
  'send.sticker',
  'sandbox',
  // WAHA's document has no operation for these: pinning or muting a chat, reading a poll's votes.
  'chats.pin',
  'chats.mute',
  'poll.votes',
  // Nor for a group's membership requests.
  'groups.requests',
  'groups.requestsReview',
  // Issue 13 part C: WAHA's send requests have no view-once field.
  'send.viewOnce',
)

export interface WahaSessionOptions {
  client: WahaClient
  /** This server's API as WAHA reaches it: `${PUBLIC_URL}/api/whatsapp`. */
  callbackBaseUrl: string
  /** WAHA sends it back as `X-Api-Key` on its callbacks (checked by `requireWahaProtected`). */
  callbackApiKey: string
  /** How often the WAHA session's status (and QR) is read back. */
  pollMs: number
  /** Largest media file fetched from WAHA. */
  mediaMaxBytes: number
  logger: Logger
}

/** WAHA statuses in which the session is already on its way; starting it again is not needed. */
const ACTIVE_WAHA_STATUSES: ReadonlySet<WahaSessionStatus> = new Set([
  'STARTING',
  'SCAN_QR_CODE',
  'PASSKEY_REQUIRED',
  'PASSKEY_CONFIRMATION_REQUIRED',
  'WORKING',
])

/** How many message ids are remembered to drop a message WAHA delivers twice. */
const RECENT_MESSAGE_IDS = 2048
/** Calls remembered for rejecting (WAHA rejects by id and caller); the oldest are forgotten first. */
const MAX_RINGING_CALLS = 256
/** Extra messages read around a history cursor, for messages stamped the same second. */
const SAME_SECOND_SLACK = 20

function base64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64')
}

function meOf(me: MeInfo): Me {
  return { id: me.id, ...(me.pushName && { pushName: me.pushName }) }
}

function binaryFile(media: MediaFile): BinaryFile {
  return { mimetype: media.mimeType, data: base64(media.data), ...(media.filename && { filename: media.filename }) }
}

function mediaInfo(media: MediaFile): NonNullable<MessageDTO['media']> {
  return { mimetype: media.mimeType, size: media.data.byteLength, ...(media.filename && { filename: media.filename }) }
}

function extensionOf(mimeType: string): string {
  const subtype = mimeType.split(';')[0]?.split('/')[1]?.trim()
  return subtype && /^[a-z0-9.+-]+$/i.test(subtype) ? subtype : 'bin'
}

/** Our callback webhooks in a WAHA session config, keeping whatever else was configured there. */
export function withCallbackWebhooks(existing: SessionConfig | undefined, ours: WebhookConfig[]): SessionConfig {
  const ourUrls = new Set(ours.map((webhook) => webhook.url))
  const others = (existing?.webhooks ?? []).filter((webhook) => !ourUrls.has(webhook.url))
  return { ...existing, webhooks: [...others, ...ours] }
}

export class WahaSession extends BaseEngineSession {
  readonly engine = 'waha' as const
  readonly capabilities = WAHA_CAPABILITIES

  private status: SessionStatus = 'STOPPED'
  private qr?: string
  private me?: Me
  private reason?: string
  private running = false
  /** Bumped by start/stop/logout: answers to an older generation's requests are dropped. */
  private generation = 0
  private pollTimer?: ReturnType<typeof setTimeout>
  /** Callbacks are processed one batch at a time, in arrival order. */
  private callbacks: Promise<void> = Promise.resolve()
  private readonly recentMessageIds = new Set<string>()
  /** Calls heard through WAHA's call.received callbacks, id → caller. */
  private readonly ringing = new Map<string, string>()
  private readonly client: WahaClient
  private readonly logger: Logger

  constructor(
    private readonly context: EngineContext,
    private readonly options: WahaSessionOptions,
  ) {
    super()
    this.client = options.client
    this.logger = options.logger.child({ session: context.phoneNumber, engine: 'waha' })
  }

  /** The WAHA session's name: our phone number. */
  get wahaSession(): string {
    return this.context.phoneNumber
  }

  snapshot(): SessionSnapshot {
    return {
      status: this.status,
      ...(this.qr !== undefined && { qr: this.qr }),
      ...(this.me && { me: this.me }),
      ...(this.reason !== undefined && { reason: this.reason }),
    }
  }

  // ─── Lifecycle ─────────────────────────────────────────────────────────────

  /**
   * Creates the WAHA session (or updates its webhooks to point here, keeping the rest of
   * its config) and starts it unless it is running already.
   */
  async start(): Promise<void> {
    if (this.running) return
    const generation = ++this.generation
    this.applyStatus('STARTING', undefined)
    const webhooks = buildCallbackWebhooks({ callbackBaseUrl: this.options.callbackBaseUrl, apiKey: this.options.callbackApiKey })
    const session = await this.client.upsertSession(this.wahaSession, { config: (existing) => withCallbackWebhooks(existing, webhooks) })
    let status = session.status
    if (!ACTIVE_WAHA_STATUSES.has(status)) {
      try {
        status = (await this.client.startSession(this.wahaSession)).status
      } catch (error) {
        // WAHA refuses (422) to start a session another start got going meanwhile.
        if (!(error instanceof BadRequestError)) throw error
        status = (await this.client.getSession(this.wahaSession)).status
        if (!ACTIVE_WAHA_STATUSES.has(status)) throw error
      }
    }
    if (generation !== this.generation) return
    this.running = true
    await this.refresh(generation)
    this.schedulePoll(generation)
  }

  /** Stops the WAHA session; WAHA keeps its pairing, so the next start needs no QR. */
  async stop(): Promise<void> {
    this.halt()
    try {
      await this.client.stopSession(this.wahaSession)
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error
    } finally {
      this.qr = undefined
      this.applyStatus('STOPPED', undefined)
    }
  }

  /** Logs the WAHA session out (unpairs); the next start needs a QR. */
  async logout(): Promise<void> {
    this.halt()
    try {
      await this.client.logoutSession(this.wahaSession)
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error
    } finally {
      this.qr = undefined
      this.me = undefined
      this.applyStatus('STOPPED', undefined)
    }
  }

  override async requestPairingCode(phoneNumber: string): Promise<string> {
    const answer = await this.client.requestPairingCode(this.wahaSession, { phoneNumber })
    const code = typeof answer.code === 'string' ? answer.code.trim() : ''
    if (!code) throw new UpstreamError('WAHA answered the pairing-code request without a code')
    return code
  }

  // ─── Callbacks ─────────────────────────────────────────────────────────────

  /**
   * Events from WAHA's callbacks (see `wahaEnvelopeToEngineEvents`): status changes
   * update the snapshot (and fetch the QR when one is pending), a message's media is
   * fetched from WAHA and attached, a message already emitted is dropped, and everything
   * else is emitted as is. Batches are processed in arrival order.
   */
  acceptCallback(events: EngineEvent[]): Promise<void> {
    const run = this.callbacks.then(() => this.processCallback(events))
    this.callbacks = run.catch(() => undefined)
    return run
  }

  acceptExternalEvents(events: EngineEvent[]): Promise<void> {
    return this.acceptCallback(events)
  }

  private async processCallback(events: EngineEvent[]): Promise<void> {
    for (const event of events) {
      switch (event.type) {
        case 'session.status':
          await this.enterStatus(this.generation, event.status, event.reason, event.me)
          break
        case 'qr':
          this.setQr(event.value)
          break
        case 'message':
          await this.acceptMessage(event)
          break
        case 'engine.crashed':
          // WAHA restarts its own sessions; its status callbacks say how that goes.
          this.logger.warn({ reason: event.reason }, 'WAHA reported an engine failure')
          break
        case 'call.received':
          // WAHA rejects a call by id and caller: remember who rings.
          this.ringing.set(event.id, event.from)
          if (this.ringing.size > MAX_RINGING_CALLS) this.ringing.delete(this.ringing.keys().next().value!)
          this.context.emit(event)
          break
        default:
          this.context.emit(event)
      }
    }
  }

  private async acceptMessage(event: WahaMessageEvent): Promise<void> {
    const { wahaMediaUrl, ...plain } = event
    if (!this.firstSighting(plain.message.id)) return
    const media = plain.media ?? (wahaMediaUrl ? await this.fetchMedia(wahaMediaUrl, plain.message) : undefined)
    this.context.emit(media ? { ...plain, message: { ...plain.message, media: mediaInfo(media) }, media } : plain)
  }

  private async fetchMedia(url: string, message: MessageDTO): Promise<MediaFile | undefined> {
    try {
      const { bytes, contentType } = await this.client.downloadMedia(url, { maxBytes: this.options.mediaMaxBytes })
      const mimeType = message.media?.mimetype ?? contentType
      const filename = message.media?.filename
      return { data: bytes, mimeType, ...(filename && { filename }) }
    } catch (error) {
      // The message still goes out, without its bytes; `downloadMedia` can fetch them later.
      this.logger.warn({ err: error, message: message.id }, 'could not fetch the media of an incoming WAHA message')
      return undefined
    }
  }

  /** True the first time a message id is seen; WAHA may deliver a message twice. */
  private firstSighting(messageId: string): boolean {
    if (this.recentMessageIds.has(messageId)) return false
    this.recentMessageIds.add(messageId)
    if (this.recentMessageIds.size > RECENT_MESSAGE_IDS) {
      const oldest = this.recentMessageIds.values().next().value
      if (oldest !== undefined) this.recentMessageIds.delete(oldest)
    }
    return true
  }

  private emitMessage(message: MessageDTO, media?: MediaFile): void {
    if (!this.firstSighting(message.id)) return
    this.context.emit({ type: 'message', message, ...(media && { media }) })
  }

  // ─── Status ────────────────────────────────────────────────────────────────

  private halt(): void {
    this.generation += 1
    this.running = false
    clearTimeout(this.pollTimer)
    this.pollTimer = undefined
  }

  private schedulePoll(generation: number): void {
    this.pollTimer = setTimeout(() => {
      if (generation !== this.generation) return
      void this.refresh(generation).then(() => {
        if (generation === this.generation) this.schedulePoll(generation)
      })
    }, this.options.pollMs)
  }

  /** Reads the WAHA session's status (and QR while one is pending). Never throws. */
  private async refresh(generation: number): Promise<void> {
    let info: SessionInfo
    try {
      info = await this.client.getSession(this.wahaSession)
    } catch (error) {
      if (generation !== this.generation) return
      if (error instanceof NotFoundError) {
        this.applyStatus('FAILED', 'The session was deleted on the WAHA server; start it again to recreate it')
      } else {
        this.logger.warn({ err: error }, 'could not read the WAHA session status')
      }
      return
    }
    if (generation !== this.generation) return
    const mapped = wahaStatusToSessionStatus(info.status)
    await this.enterStatus(generation, mapped.status, mapped.reason, info.me ? meOf(info.me) : undefined)
  }

  /**
   * Applies a status; while SCAN_QR_CODE, the QR is read first, so the status is never
   * reported without the QR that goes with it (and a pending QR is refreshed each time).
   */
  private async enterStatus(generation: number, status: SessionStatus, reason: string | undefined, me: Me | undefined): Promise<void> {
    const qr = status === 'SCAN_QR_CODE' ? await this.readQr() : undefined
    if (generation !== this.generation) return
    this.applyStatus(status, reason, me)
    if (qr !== undefined) this.setQr(qr)
  }

  private async readQr(): Promise<string | undefined> {
    try {
      const { value } = await this.client.getQr(this.wahaSession, 'raw')
      return typeof value === 'string' && value ? value : undefined
    } catch (error) {
      this.logger.debug({ err: error }, 'could not read the WAHA QR code')
      return undefined
    }
  }

  private setQr(value: string): void {
    if (value === this.qr || this.status !== 'SCAN_QR_CODE') return
    this.qr = value
    this.context.emit({ type: 'qr', value })
  }


  /** Updates the snapshot and emits `session.status` when the status (or its reason) changed. */
  private applyStatus(next: SessionStatus, nextReason: string | undefined, me?: Me): void {
    let status = next
    let reason = nextReason
    if (me) this.me = me
    if (status === 'SCAN_QR_CODE') this.me = undefined
    else this.qr = undefined
    // A phone of another number linked the WAHA session: refuse it, as the other engines do.
    const linked = this.me && /@(c\.us|s\.whatsapp\.net)$/.test(this.me.id) ? userOf(this.me.id) : undefined
    if (status === 'WORKING' && linked && linked !== this.context.phoneNumber) {
      status = 'CONFLICT'
      reason = `Linked by ${linked}, but this session is for ${this.context.phoneNumber}; log out and link the phone of ${this.context.phoneNumber}`
    }
    if (status === this.status && reason === this.reason) return
    this.status = status
    this.reason = reason
    this.context.emit({
      type: 'session.status',
      status,
      ...(this.me && { me: this.me }),
      ...(reason !== undefined && { reason }),
    })
  }

  // ─── Messaging ─────────────────────────────────────────────────────────────

  private get myJid(): string {
    return this.me?.id ?? jidOf(this.context.phoneNumber)
  }

  /** The chat of a WAHA message id (`{fromMe}_{chat}_{id}[_{participant}]`). */
  private chatOf(messageId: string): string {
    const parsed = parseMessageId(messageId)
    if (!parsed) {
      throw new BadRequestError('messageId must be a message id such as true_966500000002@c.us_3EB0C767D26A1D2B8F', { messageId })
    }
    return parsed.chatId
  }

  private sent(chatId: string, partial: Omit<SentMessage, 'chatId' | 'from'>, replyTo: string | undefined): SentMessage {
    return { chatId, from: this.myJid, ...partial, ...(replyTo && { replyTo }) }
  }

  override async send(request: SendRequest): Promise<MessageDTO> {
    const { chatId, content, quotedMsgId } = request
    const session = this.wahaSession
    const reply = quotedMsgId ? { reply_to: quotedMsgId } : {}
    let result: unknown
    let sent: SentMessage
    // Never dropped silently: WAHA's media requests carry neither view-once nor mentions.
    if ((content.type === 'image' || content.type === 'video' || content.type === 'voice') && content.viewOnce) return this.unsupported('view-once messages (WAHA has no such field)')
    if ((content.type === 'image' || content.type === 'video') && content.mentions && content.mentions.length > 0) return this.unsupported('explicit mentions (WAHA has no mentions field)')
    switch (content.type) {
      case 'text':
        if (content.mentions && content.mentions.length > 0) return this.unsupported('explicit mentions (WAHA has no mentions field)')
        result = await this.client.sendText(session, {
          chatId,
          text: content.text,
          ...reply,
          ...(content.linkPreview !== undefined && { linkPreview: content.linkPreview }),
        })
        sent = this.sent(chatId, { type: 'text', body: content.text }, quotedMsgId)
        break
      case 'image':
      case 'file': {
        const body = { chatId, file: binaryFile(content.media), ...(content.caption !== undefined && { caption: content.caption }), ...reply }
        result = content.type === 'image' ? await this.client.sendImage(session, body) : await this.client.sendFile(session, body)
        sent = this.sent(
          chatId,
          { type: content.type === 'image' ? 'image' : 'document', body: content.caption ?? '', media: mediaInfo(content.media) },
          quotedMsgId,
        )
        break
      }
      case 'video': {
        const { media } = content
        result = await this.client.sendVideo(session, {
          chatId,
          file: { mimetype: media.mimeType, filename: media.filename ?? `video.${extensionOf(media.mimeType)}`, data: base64(media.data) },
          // WhatsApp plays MP4 (H.264/AAC); anything else is converted by WAHA.
          convert: media.mimeType.split(';')[0]?.trim() !== 'video/mp4',
          ...(content.caption !== undefined && { caption: content.caption }),
          ...reply,
        })
        sent = this.sent(chatId, { type: 'video', body: content.caption ?? '', media: mediaInfo(media) }, quotedMsgId)
        break
      }
      case 'voice': {
        const { media } = content
        result = await this.client.sendVoice(session, {
          chatId,
          file: { mimetype: media.mimeType, filename: media.filename ?? `voice.${extensionOf(media.mimeType)}`, data: base64(media.data) },
          // Voice notes are OGG/Opus; anything else is converted by WAHA.
          convert: !media.mimeType.startsWith('audio/ogg'),
          ...reply,
        })
        sent = this.sent(chatId, { type: 'voice', body: '', media: mediaInfo(media) }, quotedMsgId)
        break
      }
      case 'location': {
        const { latitude, longitude, name, address } = content
        result = await this.client.sendLocation(session, { chatId, latitude, longitude, title: name ?? address ?? '', ...reply })
        const location = { latitude, longitude, ...(name !== undefined && { name }), ...(address !== undefined && { address }) }
        sent = this.sent(chatId, { type: 'location', body: '', location }, quotedMsgId)
        break
      }
      case 'contact':
        result = await this.client.sendContactVcard(session, { chatId, contacts: content.vcards.map((vcard) => ({ vcard })), ...reply })
        sent = this.sent(chatId, { type: 'contact', body: '', vcards: content.vcards }, quotedMsgId)
        break
      case 'poll': {
        const poll = { name: content.name, options: content.options, multipleAnswers: content.multipleAnswers }
        result = await this.client.sendPoll(session, { chatId, poll, ...reply })
        sent = this.sent(chatId, { type: 'poll', body: content.name, poll }, quotedMsgId)
        break
      }
      case 'audio':
      case 'sticker':
        return this.unsupported(`sending ${content.type} messages`)
    }
    const message = sentMessageToDto(result, sent)
    const media = 'media' in content ? content.media : undefined
    this.emitMessage(message, media)
    return message
  }

  override async react(messageId: string, emoji: string): Promise<void> {
    await this.client.setReaction(this.wahaSession, { messageId, reaction: emoji })
  }

  override async editMessage(messageId: string, text: string): Promise<void> {
    await this.client.editMessage(this.wahaSession, this.chatOf(messageId), messageId, { text })
  }

  override async deleteMessage(messageId: string, forEveryone: boolean): Promise<void> {
    if (!forEveryone) return this.unsupported('deleting a message only on this device (WAHA deletes for everyone)')
    await this.client.deleteMessage(this.wahaSession, this.chatOf(messageId), messageId)
  }

  override async starMessage(messageId: string, starred: boolean): Promise<void> {
    await this.client.setStar(this.wahaSession, { messageId, chatId: this.chatOf(messageId), star: starred })
  }

  override async pinMessage(messageId: string, durationSeconds: PinDuration): Promise<void> {
    await this.client.pinMessage(this.wahaSession, this.chatOf(messageId), messageId, { duration: durationSeconds })
  }

  override async unpinMessage(messageId: string): Promise<void> {
    await this.client.unpinMessage(this.wahaSession, this.chatOf(messageId), messageId)
  }

  /** WAHA takes option names as they are; the poll is known to WAHA, not to us, so it checks them. */
  override async votePoll(messageId: string, options: string[]): Promise<void> {
    await this.client.sendPollVote(this.wahaSession, { chatId: this.chatOf(messageId), pollMessageId: messageId, votes: [...new Set(options)] })
  }

  override async archiveChat(chatId: string, archived: boolean): Promise<void> {
    await this.client.setArchived(this.wahaSession, chatId, archived)
  }

  override async markUnread(chatId: string): Promise<void> {
    await this.client.markChatUnread(this.wahaSession, chatId)
  }

  override async clearChat(chatId: string): Promise<void> {
    await this.client.clearChatMessages(this.wahaSession, chatId)
  }

  override async deleteChat(chatId: string): Promise<void> {
    await this.client.deleteChat(this.wahaSession, chatId)
  }

  override async forwardMessage(messageId: string, chatId: string): Promise<MessageDTO> {
    const result = await this.client.forwardMessage(this.wahaSession, { chatId, messageId })
    const message = forwardedMessageToDto(result, chatId, this.myJid)
    this.emitMessage(message)
    return message
  }

  override async markSeen(chatId: string): Promise<void> {
    await this.client.sendSeen(this.wahaSession, { chatId })
  }

  override async setPresence(chatId: string, state: PresenceState): Promise<void> {
    await this.client.setPresence(this.wahaSession, { chatId, presence: state })
  }

  override async postStatus(content: StatusContent): Promise<MessageDTO> {
    const session = this.wahaSession
    let result: unknown
    let sent: SentMessage
    switch (content.type) {
      case 'text':
        result = await this.client.sendTextStatus(session, {
          text: content.text,
          // WAHA requires both; these are its own defaults.
          backgroundColor: content.backgroundColor ?? '#38b42f',
          font: content.font ?? 0,
        })
        sent = this.sent(STATUS_BROADCAST, { type: 'text', body: content.text }, undefined)
        break
      case 'image':
        result = await this.client.sendImageStatus(session, {
          file: binaryFile(content.media),
          ...(content.caption !== undefined && { caption: content.caption }),
        })
        sent = this.sent(STATUS_BROADCAST, { type: 'image', body: content.caption ?? '', media: mediaInfo(content.media) }, undefined)
        break
      case 'video': {
        const { media } = content
        result = await this.client.sendVideoStatus(session, {
          file: { mimetype: media.mimeType, filename: media.filename ?? `video.${extensionOf(media.mimeType)}`, data: base64(media.data) },
          convert: media.mimeType.split(';')[0]?.trim() !== 'video/mp4',
          ...(content.caption !== undefined && { caption: content.caption }),
        })
        sent = this.sent(STATUS_BROADCAST, { type: 'video', body: content.caption ?? '', media: mediaInfo(media) }, undefined)
        break
      }
      case 'voice': {
        const { media } = content
        result = await this.client.sendVoiceStatus(session, {
          file: { mimetype: media.mimeType, filename: media.filename ?? `voice.${extensionOf(media.mimeType)}`, data: base64(media.data) },
          // Voice notes are OGG/Opus; anything else is converted by WAHA.
          convert: !/^audio\/ogg\b/.test(media.mimeType),
          backgroundColor: content.backgroundColor ?? '#38b42f',
        })
        sent = this.sent(STATUS_BROADCAST, { type: 'voice', body: '', media: mediaInfo(media) }, undefined)
        break
      }
    }
    return sentMessageToDto(result, sent)
  }

  // ─── Chats and messages ────────────────────────────────────────────────────

  /**
   * WAHA pages chats by limit/offset without a total and filters nothing by archive
   * state, so every chat is read, then filtered, ordered (newest first) and paged here:
   * `total` is then exact.
   */
  override async listChats(query: ChatQuery): Promise<Page<ChatDTO>> {
    // WAHA's chats do not say their labels: a label filter reads the label's chats instead.
    if (query.labelId !== undefined) return pageOfChats(await this.getLabelChats(query.labelId).catch(() => []), query)
    const chats = await this.client.listChats(this.wahaSession, { sortBy: 'conversationTimestamp', sortOrder: 'desc' })
    return pageOfChats(chats.map(wahaChatToDto), query)
  }

  override async getChat(chatId: string): Promise<ChatDTO> {
    const summaries = await this.client.getChatsOverview(this.wahaSession, { ids: [chatId] })
    const summary = summaries.find((candidate) => candidate.id === chatId)
    if (!summary) throw new NotFoundError(`Chat ${chatId} not found`)
    // The chat's labels are one more call; an engine without labels (not WhatsApp Business) has none.
    const labels = await this.client.getChatLabels(this.wahaSession, chatId).catch(() => [])
    return { ...wahaChatSummaryToDto(summary), labels: labels.map((label) => String(label.id)) }
  }

  /** Newest first. `before` becomes WAHA's `filter.timestamp.lte` at that message's time. */
  override async getMessages(chatId: string, query: HistoryQuery): Promise<{ messages: MessageDTO[]; hasMore: boolean }> {
    const session = this.wahaSession
    const base = { sortBy: 'timestamp', sortOrder: 'desc', downloadMedia: false } as const
    if (query.before === undefined) {
      const page = await this.client.getChatMessages(session, chatId, { ...base, limit: query.limit + 1 })
      return { messages: page.slice(0, query.limit).map(wahaMessageToDto), hasMore: page.length > query.limit }
    }
    const cursor = await this.client.getChatMessage(session, chatId, query.before, { downloadMedia: false })
    const page = await this.client.getChatMessages(session, chatId, {
      ...base,
      limit: query.limit + 1 + SAME_SECOND_SLACK,
      filter: { timestampLte: cursor.timestamp },
    })
    const at = page.findIndex((message) => message.id === query.before)
    const older: WAMessage[] = at >= 0 ? page.slice(at + 1) : page.filter((message) => message.timestamp < cursor.timestamp)
    return { messages: older.slice(0, query.limit).map(wahaMessageToDto), hasMore: older.length > query.limit }
  }

  override async downloadMedia(messageId: string): Promise<MediaFile | null> {
    const message = await this.client.getChatMessage(this.wahaSession, this.chatOf(messageId), messageId, { downloadMedia: true })
    if (!message.hasMedia) return null
    const url = message.media?.url ?? message.mediaUrl
    if (!url) {
      const detail = message.media?.error ? `: ${JSON.stringify(message.media.error).slice(0, 200)}` : ''
      throw new UpstreamError(`WAHA has no file for the media of ${messageId}${detail}`)
    }
    const { bytes, contentType } = await this.client.downloadMedia(url, { maxBytes: this.options.mediaMaxBytes })
    const filename = message.media?.filename
    return { data: bytes, mimeType: message.media?.mimetype ?? contentType, ...(filename && { filename }) }
  }

  // ─── Contacts ──────────────────────────────────────────────────────────────

  override async listContacts(): Promise<ContactDTO[]> {
    return (await this.client.listContacts(this.wahaSession)).map(wahaContactToDto)
  }

  override async getContact(contactId: string): Promise<ContactDTO> {
    return wahaContactToDto(await this.client.getContact(this.wahaSession, contactId))
  }

  override async getProfilePictureUrl(contactId: string): Promise<string | null> {
    const answer = await this.client.getContactProfilePicture(this.wahaSession, contactId)
    return typeof answer.profilePictureURL === 'string' && answer.profilePictureURL ? answer.profilePictureURL : null
  }

  override async checkNumber(number: string): Promise<NumberCheck> {
    const digits = number.replace(/\D/g, '')
    return wahaNumberCheckToDto(digits, await this.client.checkNumberExists(this.wahaSession, digits))
  }

  override async setBlocked(contactId: string, blocked: boolean): Promise<void> {
    if (blocked) await this.client.blockContact(this.wahaSession, contactId)
    else await this.client.unblockContact(this.wahaSession, contactId)
  }

  // ─── Groups ────────────────────────────────────────────────────────────────

  override async listGroups(): Promise<GroupDTO[]> {
    return (await this.client.listGroups(this.wahaSession)).map(wahaGroupToDto)
  }

  override async createGroup(name: string, participants: string[], options?: GroupCreateOptions): Promise<GroupDTO> {
    if (options?.membershipApproval) this.unsupported('creating a group with membership approval (WAHA has no option for it)')
    const created = await this.client.createGroup(this.wahaSession, { name, participants: participants.map((id) => ({ id })) })
    const id = groupIdOf(created)
    if (!id) throw new UpstreamError('WAHA created the group but answered without its id')
    try {
      // Engines answer a create with less than a group (WEBJS: {gid, title}); read it back whole.
      return await this.getGroup(id)
    } catch (error) {
      this.logger.warn({ err: error, group: id }, 'could not read back a group just created')
      const group = wahaGroupToDto(created)
      return group.subject ? group : { ...group, subject: name }
    }
  }

  override async getGroup(groupId: string): Promise<GroupDTO> {
    return wahaGroupToDto(await this.client.getGroup(this.wahaSession, groupId))
  }

  override async updateGroup(groupId: string, update: GroupUpdate): Promise<GroupDTO> {
    const session = this.wahaSession
    if (update.membershipApproval !== undefined) this.unsupported("changing a group's membership approval (WAHA has no operation for it)")
    if (update.subject !== undefined) await this.client.setGroupSubject(session, groupId, update.subject)
    if (update.description !== undefined) await this.client.setGroupDescription(session, groupId, update.description)
    if (update.messagesAdminsOnly !== undefined) await this.client.setGroupMessagesAdminOnly(session, groupId, update.messagesAdminsOnly)
    if (update.infoAdminsOnly !== undefined) await this.client.setGroupInfoAdminOnly(session, groupId, update.infoAdminsOnly)
    return this.getGroup(groupId)
  }

  override async leaveGroup(groupId: string): Promise<void> {
    await this.client.leaveGroup(this.wahaSession, groupId)
  }

  override async updateParticipants(groupId: string, action: ParticipantAction, participants: string[]): Promise<GroupDTO> {
    const session = this.wahaSession
    switch (action) {
      case 'add':
        await this.client.addGroupParticipants(session, groupId, participants)
        break
      case 'remove':
        await this.client.removeGroupParticipants(session, groupId, participants)
        break
      case 'promote':
        await this.client.promoteGroupParticipants(session, groupId, participants)
        break
      case 'demote':
        await this.client.demoteGroupParticipants(session, groupId, participants)
        break
    }
    return this.getGroup(groupId)
  }

  override async getInviteLink(groupId: string): Promise<string> {
    return inviteLinkOf(await this.client.getGroupInviteCode(this.wahaSession, groupId))
  }

  override async setGroupPicture(groupId: string, picture: MediaFile): Promise<void> {
    this.succeeded('setting the group picture', await this.client.setGroupPicture(this.wahaSession, groupId, binaryFile(picture)))
  }

  // ─── Profile ───────────────────────────────────────────────────────────────

  override async getProfile(): Promise<ProfileDTO> {
    const profile = await this.client.getProfile(this.wahaSession)
    let about: string | null | undefined
    try {
      about = (await this.client.getContactAbout(this.wahaSession, profile.id)).about
    } catch (error) {
      // The "about" text is optional in the profile; the rest is still worth answering.
      this.logger.debug({ err: error }, 'could not read the profile status from WAHA')
    }
    return wahaProfileToDto(profile, about)
  }

  override async setProfileName(name: string): Promise<void> {
    this.succeeded('setting the profile name', await this.client.setProfileName(this.wahaSession, name))
  }

  override async setProfileStatus(status: string): Promise<void> {
    this.succeeded('setting the profile status', await this.client.setProfileStatus(this.wahaSession, status))
  }

  override async setProfilePicture(picture: MediaFile): Promise<void> {
    this.succeeded('setting the profile picture', await this.client.setProfilePicture(this.wahaSession, binaryFile(picture)))
  }

  // ─── Issue 13 part A: invites, contacts, presence, profile and Status extras ──

  /** WAHA tells nothing of approval on join, so the invite is read first for it. */
  override async joinGroup(inviteCode: string): Promise<GroupJoinResult> {
    const info = await this.getInviteInfo(inviteCode)
    const joined = await this.client.joinGroup(this.wahaSession, { code: inviteCode })
    return { groupId: serializedId(joined?.id) ?? info.groupId, pending: info.membershipApproval }
  }

  override async getInviteInfo(inviteCode: string): Promise<GroupInviteInfo> {
    const info = await this.client.groupJoinInfo(this.wahaSession, inviteCode)
    if (Object.keys(info).length === 0) throw new NotFoundError('This invite link is not valid: it is mistyped, or an admin reset it')
    return wahaInviteInfoToDto(info)
  }

  override async revokeInviteLink(groupId: string): Promise<string> {
    return inviteLinkOf(await this.client.revokeGroupInviteCode(this.wahaSession, groupId))
  }

  override async deleteGroupPicture(groupId: string): Promise<void> {
    this.succeeded('removing the group picture', await this.client.deleteGroupPicture(this.wahaSession, groupId))
  }

  override async getContactAbout(contactId: string): Promise<string | null> {
    const answer = await this.client.getContactAbout(this.wahaSession, contactId)
    return typeof answer.about === 'string' && answer.about ? answer.about : null
  }

  override async saveContact(contactId: string, name: { firstName: string; lastName?: string }): Promise<void> {
    this.succeeded('saving the contact', await this.client.updateContact(this.wahaSession, contactId, { firstName: name.firstName, lastName: name.lastName ?? '' }))
  }

  override async setOwnPresence(state: OwnPresence): Promise<void> {
    await this.client.setPresence(this.wahaSession, { presence: state })
  }

  override async deleteProfilePicture(): Promise<void> {
    this.succeeded('removing the profile picture', await this.client.deleteProfilePicture(this.wahaSession))
  }

  /** WAHA deletes a Status by its key; the store learns of it from WAHA's revoke callback. */
  override async deleteStatus(messageId: string): Promise<void> {
    const parsed = parseMessageId(messageId)
    if (!parsed || parsed.chatId !== STATUS_BROADCAST || !parsed.fromMe) throw new BadRequestError(`Message ${messageId} is not one of this account's Status posts`)
    await this.client.deleteStatus(this.wahaSession, { id: parsed.key })
  }

  /** WAHA answers `{success: false}` (with 2xx) when WhatsApp refused. */
  private succeeded(what: string, result: Result | null): void {
    if (result && result.success === false) throw new UpstreamError(`WAHA reported failure ${what}`)
  }

  // ─── Issue 13 part B: labels, calls, channels ─────────────────────────────
  // WAHA reports label changes itself (label.* callbacks): nothing is emitted here.

  override async getLabels(): Promise<LabelDTO[]> {
    return (await this.client.getLabels(this.wahaSession)).map(wahaLabelToDto)
  }

  override async saveLabel(input: LabelInput): Promise<LabelDTO> {
    const body = { name: input.name, color: input.color, colorHex: labelColorHex(input.color) }
    if (input.id === undefined) return wahaLabelToDto(await this.client.createLabel(this.wahaSession, body))
    const updated = await this.client.updateLabel(this.wahaSession, input.id, body)
    return updated ? wahaLabelToDto(updated) : { id: input.id, name: input.name, color: input.color, colorHex: labelColorHex(input.color) }
  }

  override async deleteLabel(labelId: string): Promise<void> {
    await this.client.deleteLabel(this.wahaSession, labelId)
  }

  override async getLabelChats(labelId: string): Promise<ChatDTO[]> {
    if (!(await this.getLabels()).some((label) => label.id === labelId)) throw new NotFoundError(`Label ${labelId} not found`)
    return (await this.client.getChatsByLabel(this.wahaSession, labelId)).map((chat) => {
      const dto = wahaChatToDto(chat)
      return { ...dto, labels: [...new Set([...(dto.labels ?? []), labelId])] }
    })
  }

  override async setChatLabels(chatId: string, labelIds: string[]): Promise<void> {
    const known = new Set((await this.getLabels()).map((label) => label.id))
    const unknown = labelIds.filter((id) => !known.has(id))
    if (unknown.length > 0) throw new BadRequestError(`Unknown label ids: ${unknown.join(', ')} (GET /:phoneNumber/labels lists them)`, { field: 'labelIds', unknown })
    await this.client.putChatLabels(this.wahaSession, chatId, labelIds)
  }

  override async rejectCall(callId: string): Promise<void> {
    const from = this.ringing.get(callId)
    if (from === undefined) throw new NotFoundError(`No call ${callId} is ringing (this server heard of no such call)`)
    await this.client.rejectCall(this.wahaSession, { from, id: callId })
    this.ringing.delete(callId)
  }

  override async listChannels(): Promise<ChannelDTO[]> {
    // WAHA lists every known channel (also those only looked at): the list is those followed or run.
    return (await this.client.listChannels(this.wahaSession)).map(wahaChannelToDto).filter((channel) => channel.role !== 'GUEST')
  }

  override async getChannel(channelId: string): Promise<ChannelDTO> {
    return wahaChannelToDto(await this.client.getChannel(this.wahaSession, channelId))
  }

  override async createChannel(name: string, description?: string): Promise<ChannelDTO> {
    return wahaChannelToDto(await this.client.createChannel(this.wahaSession, { name, ...(description !== undefined && { description }) }))
  }

  override async deleteChannel(channelId: string): Promise<void> {
    await this.client.deleteChannel(this.wahaSession, channelId)
  }

  override async followChannel(channelId: string, follow: boolean): Promise<void> {
    await this.client.channelAction(this.wahaSession, channelId, follow ? 'follow' : 'unfollow')
  }

  override async muteChannel(channelId: string, muted: boolean): Promise<void> {
    await this.client.channelAction(this.wahaSession, channelId, muted ? 'mute' : 'unmute')
  }
}
