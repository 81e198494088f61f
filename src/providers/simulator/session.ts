/**
 * The simulator engine: a linked WhatsApp device that lives in memory. It behaves like
 * the real thing where clients can observe it — a QR that refreshes, pairing by scan or
 * pairing code, pairing that survives a restart (kept through `ProviderContext.authState`),
 * messages that travel between sessions with advancing acks.
 */
import { randomBytes } from 'node:crypto'
import { BadRequestError, ClientNotReadyError, NotFoundError } from '../../errors'
import { jidOf } from '../../lib/phone'
import {
  ACK,
  BaseProviderSession,
  stateOf,
  type Ack,
  type Capability,
  type ChatDTO,
  type ChatQuery,
  type HistoryQuery,
  type Me,
  type MessageDTO,
  type Page,
  type ProviderContext,
  type SandboxControls,
  type SandboxIncoming,
  type SendRequest,
  type SessionSnapshot,
  type SessionStatus,
} from '../provider'
import type { NetworkDevice, SimulatorNetwork, WireMessage } from './network'

export interface SimulatorOptions {
  /** How often a pending QR is replaced by a new one, as WhatsApp does. */
  qrRefreshMs: number
  /** Delay between STARTING and the next status, to let clients observe STARTING. */
  connectDelayMs: number
}

export const SIMULATOR_CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>([
  'session.qr',
  'session.pairingCode',
  'send.text',
  'chat.seen',
  'chats.list',
  'chats.get',
  'messages.history',
  'sandbox',
])

interface StoredAuth {
  me: Me
  pairedAt: number
}

interface ChatState {
  id: string
  name: string
  unreadCount: number
  archived: boolean
  messages: MessageDTO[]
}

function messageKey(): string {
  return `3EB0${randomBytes(8).toString('hex').toUpperCase()}`
}

function qrValue(): string {
  // The shape of WhatsApp's QR payload: ref, noise key, identity key, ADV secret.
  const part = (bytes: number) => randomBytes(bytes).toString('base64')
  return `2@${part(48)},${part(32)},${part(32)},${part(32)}`
}

function phoneOf(jid: string): string {
  return jid.replace(/@.*$/, '')
}

export class SimulatorSession extends BaseProviderSession implements NetworkDevice {
  readonly engine = 'simulator' as const
  readonly capabilities = SIMULATOR_CAPABILITIES
  override readonly sandbox: SandboxControls

  private status: SessionStatus = 'STOPPED'
  private qr?: string
  private me?: Me
  private reason?: string
  private qrTimer?: ReturnType<typeof setInterval>
  private connectTimer?: ReturnType<typeof setTimeout>
  private pairingCode?: string
  private readonly chats = new Map<string, ChatState>()
  private readonly byId = new Map<string, MessageDTO>()

  constructor(
    private readonly context: ProviderContext,
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
    }
  }

  get phoneNumber(): string {
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
    this.chats.clear()
    this.byId.clear()
    await this.context.authState.clear()
  }

  override async requestPairingCode(_phoneNumber: string): Promise<string> {
    if (this.status !== 'SCAN_QR_CODE') throw new ClientNotReadyError(stateOf(this.status), this.status)
    const alphabet = 'ABCDEFGHJKLMNPQRSTVWXYZ0123456789'
    const bytes = randomBytes(8)
    const code = Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('')
    this.pairingCode = `${code.slice(0, 4)}-${code.slice(4)}`
    return this.pairingCode
  }

  // ─── Messaging ───────────────────────────────────────────────────────────

  override async send(request: SendRequest): Promise<MessageDTO> {
    this.requireWorking()
    if (request.content.type !== 'text') return this.unsupported(`sending ${request.content.type} messages`)
    const to = phoneOf(request.chatId)
    const wire: WireMessage = {
      key: messageKey(),
      from: this.phoneNumber,
      to,
      timestamp: Math.floor(Date.now() / 1000),
      type: 'text',
      body: request.content.text,
      ...(request.quotedMsgId && { quotedKey: this.keyOf(request.quotedMsgId) }),
      ...(request.content.mentions && { mentions: request.content.mentions }),
    }
    const message = this.store(wire, true, ACK.SERVER)
    this.context.emit({ type: 'message', message })
    if (this.network.deliver(wire)) this.setAck(message, ACK.DEVICE)
    return message
  }

  override async markSeen(chatId: string): Promise<void> {
    this.requireWorking()
    const chat = this.chats.get(chatId)
    if (!chat) throw new NotFoundError(`Chat ${chatId} not found`)
    chat.unreadCount = 0
    const unreadKeys = chat.messages.filter((m) => !m.fromMe && m.ack < ACK.READ).map((m) => {
      m.ack = ACK.READ
      return this.keyOf(m.id)
    })
    if (unreadKeys.length > 0) this.network.ack(phoneOf(chatId), this.phoneNumber, unreadKeys, ACK.READ)
  }

  override async listChats(query: ChatQuery): Promise<Page<ChatDTO>> {
    this.requireWorking()
    const all = [...this.chats.values()]
      .filter((chat) => query.archived === undefined || chat.archived === query.archived)
      .map((chat) => this.chatDto(chat))
      .sort((a, b) => b.timestamp - a.timestamp)
    const start = (query.page - 1) * query.limit
    return { items: all.slice(start, start + query.limit), total: all.length }
  }

  override async getChat(chatId: string): Promise<ChatDTO> {
    this.requireWorking()
    const chat = this.chats.get(chatId)
    if (!chat) throw new NotFoundError(`Chat ${chatId} not found`)
    return this.chatDto(chat)
  }

  override async getMessages(chatId: string, query: HistoryQuery): Promise<{ messages: MessageDTO[]; hasMore: boolean }> {
    this.requireWorking()
    const chat = this.chats.get(chatId)
    if (!chat) throw new NotFoundError(`Chat ${chatId} not found`)
    const newestFirst = [...chat.messages].reverse()
    let start = 0
    if (query.before !== undefined) {
      start = newestFirst.findIndex((m) => m.id === query.before) + 1
      if (start === 0) throw new NotFoundError(`Message ${query.before} not found in ${chatId}`)
    }
    const messages = newestFirst.slice(start, start + query.limit)
    return { messages, hasMore: start + query.limit < newestFirst.length }
  }

  // ─── NetworkDevice ───────────────────────────────────────────────────────

  receive(wire: WireMessage): void {
    if (this.status !== 'WORKING') return
    const message = this.store(wire, false, ACK.DEVICE)
    this.context.emit({ type: 'message', message, ...(wire.media && { media: wire.media }) })
  }

  acked(key: string, chatJid: string, ack: Ack): void {
    const message = this.byId.get(`true_${chatJid}_${key}`)
    if (message) this.setAck(message, ack)
  }

  // ─── Internals ───────────────────────────────────────────────────────────

  private async scan(options: { phone?: string; pushName?: string }): Promise<SessionSnapshot> {
    if (this.status !== 'SCAN_QR_CODE') throw new ClientNotReadyError(stateOf(this.status), this.status)
    const phone = options.phone?.replace(/^\+/, '') ?? this.phoneNumber
    const me: Me = { id: jidOf(phone), pushName: options.pushName ?? `Simulated ${phone}` }
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
    if (input.text === undefined && input.media === undefined) throw new BadRequestError('An incoming message needs text or media')
    const wire: WireMessage = {
      key: messageKey(),
      from,
      to: this.phoneNumber,
      timestamp: Math.floor(Date.now() / 1000),
      type: input.media ? mediaType(input.media.mimeType) : 'text',
      body: input.text ?? '',
      ...(input.media && { media: input.media }),
      ...(input.quotedMsgId && { quotedKey: this.keyOf(input.quotedMsgId) }),
    }
    const message = this.store(wire, false, ACK.DEVICE)
    this.context.emit({ type: 'message', message, ...(input.media && { media: input.media }) })
    return message
  }

  private showQr(): void {
    this.qr = qrValue()
    this.setStatus('SCAN_QR_CODE')
    this.context.emit({ type: 'qr', value: this.qr })
    this.qrTimer = setInterval(() => {
      this.qr = qrValue()
      this.context.emit({ type: 'qr', value: this.qr })
    }, this.options.qrRefreshMs)
  }

  private connect(me: Me): void {
    this.me = me
    this.network.join(this, { pushName: me.pushName ?? this.phoneNumber, status: this.network.profile(this.phoneNumber)?.status ?? '' })
    this.setStatus('WORKING')
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

  private setStatus(status: SessionStatus): void {
    this.status = status
    this.context.emit({
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

  private requireWorking(): void {
    if (this.status !== 'WORKING') throw new ClientNotReadyError(stateOf(this.status), this.status)
  }

  private keyOf(messageId: string): string {
    return messageId.split('_').pop() ?? messageId
  }

  private store(wire: WireMessage, fromMe: boolean, ack: Ack): MessageDTO {
    const counterpart = fromMe ? wire.to : wire.from
    const chatId = counterpart.includes('@') ? counterpart : jidOf(counterpart)
    const message: MessageDTO = {
      id: `${fromMe}_${chatId}_${wire.key}`,
      timestamp: wire.timestamp,
      chatId,
      from: fromMe ? jidOf(this.phoneNumber) : jidOf(wire.from),
      to: fromMe ? chatId : jidOf(this.phoneNumber),
      fromMe,
      type: wire.type,
      body: wire.body,
      hasMedia: wire.media !== undefined,
      ...(wire.media && { media: { mimetype: wire.media.mimeType, size: wire.media.data.byteLength, ...(wire.media.filename && { filename: wire.media.filename }) } }),
      ack,
      ...(wire.quotedKey && { replyTo: this.findByKey(chatId, wire.quotedKey) ?? wire.quotedKey }),
      ...(wire.mentions && { mentions: wire.mentions }),
    }
    let chat = this.chats.get(chatId)
    if (!chat) {
      chat = { id: chatId, name: this.network.profile(phoneOf(chatId))?.pushName ?? phoneOf(chatId), unreadCount: 0, archived: false, messages: [] }
      this.chats.set(chatId, chat)
    }
    chat.messages.push(message)
    if (!fromMe) chat.unreadCount += 1
    this.byId.set(message.id, message)
    return message
  }

  private findByKey(chatId: string, key: string): string | undefined {
    return this.chats.get(chatId)?.messages.find((m) => m.id.endsWith(`_${key}`))?.id
  }

  private setAck(message: MessageDTO, ack: Ack): void {
    if (ack <= message.ack) return
    message.ack = ack
    this.context.emit({ type: 'message.ack', id: message.id, chatId: message.chatId, from: message.from, to: message.to, fromMe: message.fromMe, ack })
  }

  private chatDto(chat: ChatState): ChatDTO {
    const last = chat.messages.at(-1)
    return {
      id: chat.id,
      name: chat.name,
      isGroup: chat.id.endsWith('@g.us'),
      unreadCount: chat.unreadCount,
      archived: chat.archived,
      timestamp: last?.timestamp ?? 0,
      ...(last && { lastMessage: { body: last.body, timestamp: last.timestamp, fromMe: last.fromMe } }),
    }
  }
}

function mediaType(mimeType: string): MessageDTO['type'] {
  if (mimeType.startsWith('image/webp')) return 'sticker'
  if (mimeType.startsWith('image/')) return 'image'
  if (mimeType.startsWith('video/')) return 'video'
  if (mimeType.startsWith('audio/')) return 'audio'
  return 'document'
}
