/**
 * WAHA's API in terms of ours: every operation resolves WAHA's session name to a phone
 * number, checks the caller may use it, waits briefly for the status WAHA would wait for,
 * then calls the SAME service our own route calls and reshapes the answer. No behaviour
 * lives here that our API does not have.
 */
import QRCode from 'qrcode'
import { assertOwnsNumber } from '../../auth/guards'
import type { Principal } from '../../auth/principal'
import type { EngineName } from '../../config'
import type { MessagingDeps } from '../../messaging'
import { BadRequestError, ForbiddenError, NotFoundError, NotSupportedError } from '../../errors'
import type { EventsRuntime } from '../../events/runtime'
import { normalizeChatId } from '../../lib/chat-id'
import type { HistoryMessage } from '../../messaging/message-store'
import type { SessionManager, SessionView } from '../../sessions/manager'
import type { WahaSessionsRepository } from '../../storage/waha-sessions-repo'
import type { ApiKeysService } from '../api-keys/service'
import type { ChatsService } from '../chats/service'
import type { ContactsService } from '../contacts/service'
import type { GroupsService } from '../groups/service'
import type { GroupInvitesService } from '../group-invites/service'
import type { MediaSendType, MessagesService } from '../messages/service'
import type { ChatActionsService } from '../chat-actions/service'
import type { ProfileService } from '../profile/service'
import type { SessionsService } from '../sessions/service'
import type { WebhooksService } from '../webhooks/service'
import type { CallsService } from '../calls/service'
import type { ChannelsService } from '../channels/service'
import type { LabelsService } from '../labels/service'
import { WahaSessionExistsError, WahaUnprocessableError, WahaSessionNotFoundError, WahaStatusNotExpectedError, wahaStatus, type WahaStatus } from './errors'
import { inviteCodeOf, meInfo, participantRole, sessionDto, sessionInfo, toWaMessage, waChat, waContact, waGroup } from './mappers'
import type { FileValue, MessagesQueryInput, SessionConfigInput } from './model'

export interface WahaApiDeps {
  services: {
    sessions: SessionsService
    apiKeys: ApiKeysService
    messages: MessagesService
    chats: ChatsService
    chatActions: ChatActionsService
    contacts: ContactsService
    groups: GroupsService
    groupInvites: GroupInvitesService
    profile: ProfileService
    webhooks: WebhooksService
    labels: LabelsService
    calls: CallsService
    channels: ChannelsService
  }
  sessions: SessionManager
  messaging: MessagingDeps
  events: EventsRuntime
  wahaSessions: WahaSessionsRepository
  publicUrl: string
  outboundAllowCidrs: readonly string[]
  defaultSession?: string
  defaultEngine: EngineName
  version: string
  startedAt: number
  browser?: string
  workerId?: string
}

/** How long a request waits for a STARTING session to reach the status it needs, as WAHA does before answering 422. */
export const STATUS_WAIT_MS = 5000
const STATUS_POLL_MS = 50
const PHONE = /^\+?[0-9]{7,15}$/

/** A resolved session: WAHA's name for it and our phone number. */
export interface Target {
  name: string
  phone: string
}

export class WahaApiService {
  readonly sessionsService: SessionsService
  readonly messages: MessagesService
  readonly chats: ChatsService
  readonly chatActions: ChatActionsService
  readonly contacts: ContactsService
  readonly groups: GroupsService
  readonly groupInvites: GroupInvitesService
  readonly profile: ProfileService
  readonly webhooks: WebhooksService
  readonly labels: LabelsService
  readonly calls: CallsService
  readonly channels: ChannelsService

  constructor(private readonly deps: WahaApiDeps) {
    this.labels = deps.services.labels
    this.calls = deps.services.calls
    this.channels = deps.services.channels
    // The services our own routes use, built once in src/deps.ts.
    this.sessionsService = deps.services.sessions
    this.messages = deps.services.messages
    this.chats = deps.services.chats
    this.chatActions = deps.services.chatActions
    this.contacts = deps.services.contacts
    this.groups = deps.services.groups
    this.groupInvites = deps.services.groupInvites
    this.profile = deps.services.profile
    this.webhooks = deps.services.webhooks
  }

  // ─── Session names ───────────────────────────────────────────────────────

  /** WAHA's name → our phone number (`default` → WAHA_DEFAULT_SESSION); undefined when it can name no session. */
  phoneOf(name: string | undefined): string | undefined {
    const raw = name === undefined || name === '' || name === 'default' ? this.deps.defaultSession : name
    if (raw === undefined || !PHONE.test(raw)) return undefined
    return raw.replace(/^\+/, '')
  }

  /** The name to show for a number: `default` when WAHA_DEFAULT_SESSION is that number and the client said `default`. */
  private nameFor(phone: string, asked?: string): string {
    return asked === 'default' && this.deps.defaultSession === phone ? 'default' : phone
  }

  /** An existing session the caller may use; WAHA's 404 otherwise (403 for another account's number, as our API). */
  async target(principal: Principal, name: string | undefined): Promise<Target> {
    const asked = name ?? 'default'
    const phone = this.phoneOf(asked)
    if (!phone) throw new WahaSessionNotFoundError(asked)
    await assertOwnsNumber(principal, phone, this.deps.sessions)
    if (!(await this.deps.sessions.find(phone))) throw new WahaSessionNotFoundError(asked)
    return { name: this.nameFor(phone, asked), phone }
  }

  /** Waits while the session is STARTING, then requires one of `expected` (WAHA's 422 with status and expected otherwise). */
  async expectStatus(target: Target, expected: WahaStatus[]): Promise<SessionView> {
    const deadline = Date.now() + STATUS_WAIT_MS
    let view = await this.deps.sessions.get(target.phone)
    while (!expected.includes(wahaStatus(view.status)) && view.status === 'STARTING' && Date.now() < deadline) {
      await Bun.sleep(STATUS_POLL_MS)
      view = await this.deps.sessions.get(target.phone)
    }
    if (!expected.includes(wahaStatus(view.status))) throw new WahaStatusNotExpectedError(target.name, wahaStatus(view.status), expected)
    return view
  }

  /** A WORKING session the caller may use. */
  async working(principal: Principal, name: string | undefined): Promise<Target> {
    const target = await this.target(principal, name)
    await this.expectStatus(target, ['WORKING'])
    return target
  }

  // ─── Sessions ────────────────────────────────────────────────────────────

  private async configOf(phone: string): Promise<Record<string, unknown> | undefined> {
    return (await this.deps.wahaSessions.get(phone))?.config
  }

  private async activity(phone: string): Promise<number | null> {
    return (await this.deps.wahaSessions.get(phone))?.updatedAt ?? null
  }

  async listSessions(principal: Principal, all: boolean) {
    const { sessions } = await this.sessionsService.list(principal)
    const result = []
    for (const session of sessions) {
      if (!all && session.status === 'STOPPED') continue
      const view = await this.deps.sessions.get(session.phoneNumber)
      result.push(sessionInfo(this.nameFor(session.phoneNumber), view, await this.configOf(session.phoneNumber), await this.activity(session.phoneNumber), this.deps.events.envelopeName))
    }
    return result
  }

  async getSession(principal: Principal, name: string) {
    const target = await this.target(principal, name)
    const view = await this.deps.sessions.get(target.phone)
    return sessionInfo(target.name, view, await this.configOf(target.phone), await this.activity(target.phone), this.deps.events.envelopeName)
  }

  async me(principal: Principal, name: string) {
    const target = await this.target(principal, name)
    return meInfo((await this.deps.sessions.get(target.phone)).me)
  }

  /** POST /api/sessions: a new session (422 when it exists), its config's webhooks, then start unless `start: false`. */
  async createSession(principal: Principal, body: { name?: string; start?: boolean; config?: SessionConfigInput | null }) {
    const asked = body.name ?? 'default'
    const phone = this.phoneOf(asked)
    if (!phone) {
      throw new BadRequestError(
        asked === 'default' && !this.deps.defaultSession
          ? 'name is required: a session is named by its phone number (or set WAHA_DEFAULT_SESSION for "default")'
          : `name must be the session's phone number, 7 to 15 digits (got "${asked.slice(0, 40)}")`,
      )
    }
    await assertOwnsNumber(principal, phone, this.deps.sessions)
    if (await this.deps.sessions.find(phone)) throw new WahaSessionExistsError(asked)
    return this.upsertAndMaybeStart(principal, phone, asked, body.config ?? undefined, body.start ?? true)
  }

  private async upsertAndMaybeStart(principal: Principal, phone: string, asked: string, config: SessionConfigInput | undefined, start: boolean) {
    const accountId = principal.isAdmin ? null : principal.accountId
    await this.deps.sessions.create(phone, { accountId, ...(!principal.isAdmin && { requireOwner: accountId }) })
    if (config !== undefined) await this.applyConfig(principal, phone, config)
    if (start) await this.sessionsService.start(phone, principal, undefined)
    const view = await this.deps.sessions.get(phone)
    return sessionDto(this.nameFor(phone, asked), view, await this.configOf(phone))
  }

  /** PUT /api/sessions/{session}: the whole config replaced (its webhooks with it); the session keeps running. */
  async updateSession(principal: Principal, name: string, config: SessionConfigInput | null | undefined) {
    const target = await this.target(principal, name)
    await this.applyConfig(principal, target.phone, config ?? {})
    return sessionDto(target.name, await this.deps.sessions.get(target.phone), await this.configOf(target.phone))
  }

  /**
   * Stores a WAHA config and makes its `webhooks[]` our durable webhooks (source `waha`:
   * WAHA's envelope, headers and HMAC), replacing the ones a previous config made. All of
   * them are checked before any is replaced, so a bad URL changes nothing.
   */
  private async applyConfig(principal: Principal, phone: string, config: SessionConfigInput): Promise<void> {
    const webhooks = config.webhooks ?? []
    const metadata = config.metadata ?? undefined
    const previous = this.deps.events.webhooks.listForSession(phone).filter((webhook) => webhook.source === 'waha')
    const created: string[] = []
    try {
      for (const webhook of webhooks) {
        const headers: Record<string, string> = {}
        for (const header of webhook.customHeaders ?? []) headers[header.name] = header.value
        const view = await this.webhooks.create(phone, principal, {
          url: webhook.url,
          events: webhook.events.length > 0 ? webhook.events : ['*'],
          headers,
          ...(webhook.hmac?.key && { hmac: { key: webhook.hmac.key } }),
          source: 'waha',
          ...(metadata && { metadata }),
        })
        created.push(view.id)
      }
    } catch (error) {
      for (const id of created) await this.webhooks.delete(phone, principal, id).catch(() => undefined)
      throw error
    }
    for (const webhook of previous) await this.webhooks.delete(phone, principal, webhook.id)
    await this.deps.wahaSessions.save(phone, config as Record<string, unknown>)
  }

  async deleteSession(principal: Principal, name: string) {
    const target = await this.target(principal, name)
    await this.sessionsService.delete(target.phone)
    await this.deps.wahaSessions.delete(target.phone)
  }

  async lifecycle(principal: Principal, name: string, action: 'start' | 'stop' | 'restart' | 'logout') {
    const target = await this.target(principal, name)
    if (action === 'start') await this.sessionsService.start(target.phone, principal, undefined)
    else if (action === 'stop') await this.sessionsService.stop(target.phone)
    else if (action === 'restart') await this.sessionsService.restart(target.phone)
    else await this.sessionsService.logout(target.phone)
    return sessionDto(target.name, await this.deps.sessions.get(target.phone), await this.configOf(target.phone))
  }

  /** Deprecated POST /api/sessions/start: create (or update the config of) and start. */
  async deprecatedStart(principal: Principal, body: { name: string; config?: SessionConfigInput | null }) {
    const phone = this.phoneOf(body.name)
    if (!phone) throw new BadRequestError(`name must be the session's phone number, 7 to 15 digits (got "${body.name.slice(0, 40)}")`)
    await assertOwnsNumber(principal, phone, this.deps.sessions)
    return this.upsertAndMaybeStart(principal, phone, body.name, body.config ?? undefined, true)
  }

  // ─── Pairing ─────────────────────────────────────────────────────────────

  async qrValue(principal: Principal, name: string): Promise<string> {
    const target = await this.target(principal, name)
    await this.expectStatus(target, ['SCAN_QR_CODE'])
    return this.deps.sessions.qr(target.phone)
  }

  async qrPng(value: string): Promise<Uint8Array<ArrayBuffer>> {
    return new Uint8Array(await QRCode.toBuffer(value, { type: 'png', margin: 2, width: 320 }))
  }

  async requestCode(principal: Principal, name: string, phoneNumber: string) {
    const target = await this.target(principal, name)
    if (phoneNumber.replace(/^\+/, '') !== target.phone) {
      throw new BadRequestError(`phoneNumber must be the session's own number ${target.phone}: a session is named by the number it links`)
    }
    await this.expectStatus(target, ['SCAN_QR_CODE'])
    return this.sessionsService.pairingCode(target.phone)
  }

  // ─── Sending ─────────────────────────────────────────────────────────────

  /** The stored message of a send, as WAHA's WAMessage. */
  async sentMessage(target: Target, messageId: string) {
    const message = await this.deps.messaging.store.get(target.phone, messageId)
    if (!message) throw new NotFoundError(`Message ${messageId} not found`)
    return this.waMessage(target, message)
  }

  private async waMessage(target: Target, message: HistoryMessage) {
    const view = await this.deps.sessions.get(target.phone)
    return toWaMessage(message, this.deps.publicUrl, view.me)
  }

  async sendText(principal: Principal, body: { session?: string; chatId: string; text: string; reply_to?: string | null; linkPreview?: boolean; mentions?: string[] }) {
    const target = await this.working(principal, body.session)
    const outcome = await this.messages.sendText(target.phone, {
      chatId: body.chatId,
      text: body.text,
      ...(body.reply_to && { quotedMsgId: body.reply_to }),
      ...(body.linkPreview !== undefined && { linkPreview: body.linkPreview }),
      ...(body.mentions && { mentions: body.mentions }),
    })
    return this.sentMessage(target, outcome.result.messageId)
  }

  async sendMedia(principal: Principal, type: MediaSendType, body: { session?: string; chatId: string; file: FileValue; caption?: string | null; reply_to?: string | null }) {
    const target = await this.working(principal, body.session)
    const value = body.file.url ?? body.file.data
    if (!value) throw new BadRequestError('file needs a url or base64 data')
    const field = { image: 'imageUrl', file: 'fileUrl', video: 'videoUrl', voice: 'audioUrl', audio: 'audioUrl', sticker: 'stickerUrl' }[type]
    const outcome = await this.messages.sendMedia(target.phone, type, {
      chatId: body.chatId,
      [field]: value,
      ...(body.file.mimetype && { mimeType: body.file.mimetype.split(';')[0]!.trim() }),
      ...(body.file.filename && { filename: body.file.filename }),
      ...(body.caption && { caption: body.caption }),
      ...(body.reply_to && { quotedMsgId: body.reply_to }),
    })
    return this.sentMessage(target, outcome.result.messageId)
  }

  async sendLocation(principal: Principal, body: { session?: string; chatId: string; latitude: number; longitude: number; title?: string | null; reply_to?: string | null }) {
    const target = await this.working(principal, body.session)
    const outcome = await this.messages.sendLocation(target.phone, {
      chatId: body.chatId,
      latitude: body.latitude,
      longitude: body.longitude,
      ...(body.title && { name: body.title }),
      ...(body.reply_to && { quotedMsgId: body.reply_to }),
    })
    return this.sentMessage(target, outcome.result.messageId)
  }

  async sendContactVcard(
    principal: Principal,
    body: { session?: string; chatId: string; reply_to?: string | null; contacts: Array<{ vcard?: string | null; fullName?: string; organization?: string; phoneNumber?: string }> },
  ) {
    const target = await this.working(principal, body.session)
    const cards = body.contacts.filter((contact) => contact.vcard)
    const reply = body.reply_to ? { quotedMsgId: body.reply_to } : {}
    let outcome
    if (cards.length > 0) {
      if (cards.length !== 1 || body.contacts.length !== 1) throw new BadRequestError('Send one ready vcard per request, or contacts as {fullName, phoneNumber} (any number)')
      outcome = await this.messages.sendContact(target.phone, { chatId: body.chatId, vcard: cards[0]!.vcard!, ...reply })
    } else {
      const contacts = body.contacts.map((contact, index) => {
        if (!contact.fullName || !contact.phoneNumber) throw new BadRequestError(`contacts[${index}] needs fullName and phoneNumber, or a vcard`)
        return { fullName: contact.fullName, phoneNumber: contact.phoneNumber, ...(contact.organization && { organization: contact.organization }) }
      })
      outcome = await this.messages.sendContact(target.phone, { chatId: body.chatId, contacts, ...reply })
    }
    return this.sentMessage(target, outcome.result.messageId)
  }

  async sendPoll(principal: Principal, body: { session?: string; chatId: string; reply_to?: string | null; poll: { name: string; options: string[]; multipleAnswers?: boolean } }) {
    const target = await this.working(principal, body.session)
    const outcome = await this.messages.sendPoll(target.phone, {
      chatId: body.chatId,
      name: body.poll.name,
      options: body.poll.options,
      multipleAnswers: body.poll.multipleAnswers ?? false,
      ...(body.reply_to && { quotedMsgId: body.reply_to }),
    })
    return this.sentMessage(target, outcome.result.messageId)
  }

  async forward(principal: Principal, body: { session?: string; chatId: string; messageId: string }) {
    const target = await this.working(principal, body.session)
    const outcome = await this.messages.forward(target.phone, body.messageId, { chatId: body.chatId })
    return this.sentMessage(target, outcome.result.messageId)
  }

  async seen(principal: Principal, body: { session?: string; chatId: string }) {
    const target = await this.working(principal, body.session)
    return this.messages.seen(target.phone, body.chatId)
  }

  async typing(principal: Principal, body: { session?: string; chatId: string }, state: 'typing' | 'paused' | 'recording') {
    const target = await this.working(principal, body.session)
    return this.messages.presence(target.phone, body.chatId, state)
  }

  async reaction(principal: Principal, body: { session?: string; messageId: string; reaction: string }) {
    const target = await this.working(principal, body.session)
    return this.messages.react(target.phone, body.messageId, body.reaction)
  }

  // ─── Reading ─────────────────────────────────────────────────────────────

  async listChats(principal: Principal, name: string, query: { limit?: number; offset?: number }) {
    const target = await this.working(principal, name)
    const limit = query.limit ?? 100
    const offset = query.offset ?? 0
    const aligned = offset % limit === 0
    const page = await this.chats.list(target.phone, aligned ? { page: offset / limit + 1, limit } : { page: 1, limit: Math.min(200, offset + limit) })
    const chats = aligned ? page.chats : page.chats.slice(offset, offset + limit)
    return chats.map((chat) => waChat({ ...chat, lastMessage: chat.lastMessage }))
  }

  async overview(principal: Principal, name: string, query: { limit?: number; offset?: number; ids?: string[] }) {
    const target = await this.working(principal, name)
    const chats = query.ids?.length
      ? await Promise.all(query.ids.map((id) => this.chats.get(target.phone, id)))
      : await this.listChats(principal, name, query)
    const result = []
    for (const chat of chats) {
      const last = (await this.deps.messaging.store.history(target.phone, chat.id, { limit: 1 }))?.messages[0]
      result.push({
        id: chat.id,
        name: chat.name,
        picture: null,
        lastMessage: last ? await this.waMessage(target, last) : {},
        _chat: chat,
      })
    }
    return result
  }

  /** History with WAHA's filters and offset, read page by page from the same store our history route reads. */
  async messagesOf(principal: Principal, name: string | undefined, rawChatId: string, query: MessagesQueryInput) {
    const target = await this.working(principal, name)
    const chatId = normalizeChatId(rawChatId)
    const limit = query.limit ?? 100
    const offset = query.offset ?? 0
    const acks = query['filter.ack'] !== undefined ? new Set(String(query['filter.ack']).split(',').map((ack) => ack.trim())) : undefined
    const keep = (message: HistoryMessage) =>
      (query['filter.timestamp.lte'] === undefined || message.timestamp <= query['filter.timestamp.lte']) &&
      (query['filter.timestamp.gte'] === undefined || message.timestamp >= query['filter.timestamp.gte']) &&
      (query['filter.fromMe'] === undefined || message.fromMe === query['filter.fromMe']) &&
      (acks === undefined || acks.has(message.ackName) || acks.has(String(message.ack)))
    const matched: HistoryMessage[] = []
    let before: string | undefined
    for (;;) {
      const page = await this.chats.history(target.phone, chatId, { limit: 200, ...(before !== undefined && { before }) })
      for (const message of page.messages as HistoryMessage[]) {
        // Newest first: once older than the lower bound, nothing further can match.
        if (query['filter.timestamp.gte'] !== undefined && message.timestamp < query['filter.timestamp.gte']) return this.finish(target, matched, offset, limit, query.sortOrder)
        if (keep(message)) matched.push(message)
        if (matched.length >= offset + limit) return this.finish(target, matched, offset, limit, query.sortOrder)
      }
      const last = page.messages.at(-1)
      if (!page.hasMore || !last) return this.finish(target, matched, offset, limit, query.sortOrder)
      before = last.id
    }
  }

  private async finish(target: Target, matched: HistoryMessage[], offset: number, limit: number, order: 'asc' | 'desc' | undefined) {
    const page = matched.slice(offset, offset + limit)
    if (order === 'asc') page.reverse()
    const view = await this.deps.sessions.get(target.phone)
    return page.map((message) => toWaMessage(message, this.deps.publicUrl, view.me))
  }

  async message(principal: Principal, name: string, rawChatId: string, messageId: string) {
    const target = await this.working(principal, name)
    return this.waMessage(target, await this.chatActions.message(target.phone, rawChatId, messageId))
  }

  /** Chat and message actions (issue 13's service): archive, unread, clear, delete, star, pin, poll votes. */
  async act<T>(principal: Principal, name: string | undefined, act: (phone: string) => Promise<T>): Promise<T> {
    const target = await this.working(principal, name)
    return act(target.phone)
  }

  async readChat(principal: Principal, name: string, chatId: string) {
    const target = await this.working(principal, name)
    await this.messages.seen(target.phone, chatId)
    return {}
  }

  async editMessage(principal: Principal, name: string, messageId: string, text: string) {
    const target = await this.working(principal, name)
    return this.messages.edit(target.phone, messageId, text)
  }

  async deleteMessage(principal: Principal, name: string, messageId: string) {
    const target = await this.working(principal, name)
    return this.messages.delete(target.phone, messageId, true)
  }

  // ─── Contacts ────────────────────────────────────────────────────────────

  async allContacts(principal: Principal, name: string | undefined, query: { limit?: number; offset?: number }) {
    const target = await this.working(principal, name)
    const { contacts } = await this.contacts.list(target.phone)
    const offset = query.offset ?? 0
    return contacts.slice(offset, query.limit !== undefined ? offset + query.limit : undefined).map(waContact)
  }

  async contact(principal: Principal, name: string | undefined, contactId: string) {
    const target = await this.working(principal, name)
    return waContact(await this.contacts.get(target.phone, contactId))
  }

  async checkExists(principal: Principal, name: string | undefined, phone: string) {
    const target = await this.working(principal, name)
    const check = await this.contacts.exists(target.phone, phone)
    return { numberExists: check.exists, ...(check.jid && { chatId: check.jid }) }
  }

  async profilePicture(principal: Principal, name: string | undefined, contactId: string) {
    const target = await this.working(principal, name)
    const { url } = await this.contacts.profilePicture(target.phone, contactId)
    return { profilePictureURL: url }
  }

  async about(principal: Principal, name: string | undefined, contactId: string) {
    const target = await this.working(principal, name)
    return this.contacts.about(target.phone, contactId)
  }

  async block(principal: Principal, name: string | undefined, contactId: string, blocked: boolean) {
    const target = await this.working(principal, name)
    await this.contacts.setBlocked(target.phone, contactId, blocked)
    return { success: true }
  }

  // ─── Groups ──────────────────────────────────────────────────────────────

  async createGroup(principal: Principal, name: string, body: { name: string; participants: Array<{ id: string }> }) {
    const target = await this.working(principal, name)
    const group = await this.groups.create(target.phone, { name: body.name, participants: body.participants.map((p) => p.id) })
    return waGroup(group)
  }

  /** WAHA's document types the list as an object: groups keyed by id. */
  async listGroups(principal: Principal, name: string, query: { limit?: number; offset?: number }) {
    const target = await this.working(principal, name)
    const { groups } = await this.groups.list(target.phone)
    const offset = query.offset ?? 0
    const page = groups.slice(offset, query.limit !== undefined ? offset + query.limit : undefined)
    return Object.fromEntries(page.map((group) => [group.id, waGroup(group)]))
  }

  async groupsCount(principal: Principal, name: string) {
    const target = await this.working(principal, name)
    return { count: (await this.groups.list(target.phone)).groups.length }
  }

  async group(principal: Principal, name: string, groupId: string) {
    const target = await this.working(principal, name)
    return waGroup(await this.groups.get(target.phone, groupId))
  }

  async groupAction<T>(principal: Principal, name: string, act: (phone: string) => Promise<T>): Promise<T> {
    const target = await this.working(principal, name)
    return act(target.phone)
  }

  async participantsV2(principal: Principal, name: string, groupId: string) {
    const group = await this.groupAction(principal, name, (phone) => this.groups.get(phone, groupId))
    return group.participants.map((participant) => ({ id: participant.id, ...(participant.id.endsWith('@c.us') && { pn: participant.id }), role: participantRole(participant) }))
  }

  async inviteCode(principal: Principal, name: string, groupId: string) {
    const { inviteLink } = await this.groupAction(principal, name, (phone) => this.groups.inviteLink(phone, groupId))
    return inviteCodeOf(inviteLink)
  }

  async setGroupPicture(principal: Principal, name: string, groupId: string, file: FileValue) {
    const value = file.url ?? file.data
    if (!value) throw new BadRequestError('file needs a url or base64 data')
    return this.groupAction(principal, name, (phone) => this.groups.setPicture(phone, groupId, { imageUrl: value, ...(file.mimetype && { mimeType: file.mimetype }) }))
  }

  // ─── Profile, presence, Status ───────────────────────────────────────────

  async myProfile(principal: Principal, name: string) {
    const target = await this.working(principal, name)
    const profile = await this.profile.get(target.phone)
    return { id: profile.id, name: profile.pushname, picture: profile.pictureUrl ?? null, ...(profile.status !== undefined && { status: profile.status }) }
  }

  async setProfilePicture(principal: Principal, name: string, file: FileValue) {
    const target = await this.working(principal, name)
    const value = file.url ?? file.data
    if (!value) throw new BadRequestError('file needs a url or base64 data')
    return this.profile.setPicture(target.phone, { imageUrl: value, ...(file.mimetype && { mimeType: file.mimetype }) })
  }

  async setPresence(principal: Principal, name: string, body: { chatId?: string | null; presence: 'offline' | 'online' | 'typing' | 'recording' | 'paused' }) {
    const target = await this.working(principal, name)
    if (body.presence === 'online' || body.presence === 'offline') return this.profile.setPresence(target.phone, body.presence)
    if (!body.chatId) throw new BadRequestError(`chatId is required for presence "${body.presence}"`)
    return this.messages.presence(target.phone, body.chatId, body.presence)
  }

  async postStatus(principal: Principal, name: string, body: { type: 'text'; text: string; backgroundColor?: string; font?: number } | { type: 'image' | 'video'; file: FileValue; caption?: string | null }) {
    const target = await this.working(principal, name)
    let outcome
    if (body.type === 'text') {
      outcome = await this.messages.postStatus(target.phone, {
        type: 'text',
        text: body.text,
        ...(body.backgroundColor !== undefined && { backgroundColor: body.backgroundColor }),
        ...(body.font !== undefined && { font: body.font }),
      })
    } else {
      const value = body.file.url ?? body.file.data
      if (!value) throw new BadRequestError('file needs a url or base64 data')
      outcome = await this.messages.postStatus(target.phone, {
        type: body.type,
        [body.type === 'image' ? 'imageUrl' : 'videoUrl']: value,
        ...(body.file.mimetype && { mimeType: body.file.mimetype }),
        ...(body.caption && { caption: body.caption }),
      })
    }
    return this.sentMessage(target, outcome.result.messageId)
  }

  /** WAHA's voice Status: `convert` is WAHA's switch; our media pipeline decides what the engine needs. */
  async postVoiceStatus(principal: Principal, name: string, body: { file: FileValue; backgroundColor?: string }) {
    const target = await this.working(principal, name)
    const value = body.file.url ?? body.file.data
    if (!value) throw new BadRequestError('file needs a url or base64 data')
    const outcome = await this.messages.postStatus(target.phone, {
      type: 'voice',
      audioUrl: value,
      ...(body.file.mimetype && { mimeType: body.file.mimetype }),
      ...(body.backgroundColor && { backgroundColor: body.backgroundColor }),
    })
    return this.sentMessage(target, outcome.result.messageId)
  }

  /** WAHA names a Status by its key (or, from its own messages, the whole id). */
  async deleteStatus(principal: Principal, name: string, id: string) {
    const target = await this.working(principal, name)
    const messageId = id.includes('_') ? id : `true_status@broadcast_${id}`
    return this.messages.deleteStatus(target.phone, messageId)
  }

  // ─── Groups by invite (WAHA's join-info answers the engine's group metadata; ours is engine-neutral) ──

  async joinInfo(principal: Principal, name: string, code: string) {
    const target = await this.working(principal, name)
    const info = await this.groupInvites.inviteInfo(target.phone, code)
    return {
      id: info.groupId,
      subject: info.subject,
      desc: info.description,
      owner: info.owner,
      size: info.size,
      membershipApprovalMode: info.membershipApproval,
      ...(info.createdAt !== undefined && { creation: info.createdAt }),
    }
  }

  async joinGroup(principal: Principal, name: string, code: string) {
    const target = await this.working(principal, name)
    const joined = await this.groupInvites.join(target.phone, code)
    return { id: joined.groupId }
  }

  async revokeInviteCode(principal: Principal, name: string, groupId: string) {
    const { inviteLink } = await this.groupAction(principal, name, (phone) => this.groupInvites.revokeInvite(phone, groupId))
    return inviteCodeOf(inviteLink)
  }

  /** An operation WAHA has and this server does not: WAHA's 422 "not implemented" naming the session's engine. */
  async notImplemented(principal: Principal, name: string | undefined, feature: string): Promise<never> {
    const target = await this.target(principal, name)
    const view = await this.deps.sessions.get(target.phone)
    throw new NotSupportedError(view.engine, feature)
  }

  // ─── API keys ────────────────────────────────────────────────────────────

  /**
   * WAHA's `POST /api/keys` as one of our account keys: a `session` key is restricted to
   * that number and belongs to the number's account; without `session`, the caller's own
   * account. Admin keys exist only as API_KEY, and keys are active from birth (revoke to end one).
   */
  async createKey(principal: Principal, body: { isAdmin?: boolean; session?: string | null; isActive?: boolean }) {
    if (body.isAdmin) throw new WahaUnprocessableError('Admin keys are not created over the API here: the admin key is the API_KEY setting')
    if (body.isActive === false) throw new WahaUnprocessableError('Keys are active when created; revoke one (DELETE /api/keys/{id}) to end it')
    let phoneNumber: string | undefined
    let accountId = principal.isAdmin ? undefined : (principal.accountId ?? undefined)
    if (body.session !== undefined && body.session !== null) {
      const target = await this.target(principal, body.session)
      phoneNumber = target.phone
      const owner = (await this.deps.sessions.find(target.phone))?.accountId ?? null
      if (owner === null) {
        throw new WahaUnprocessableError(`Session '${target.name}' belongs to no account (the admin started it without one), so no key but the admin's can use it: start it for an account first`)
      }
      accountId = owner
    } else if (principal.isAdmin) {
      throw new WahaUnprocessableError('Name the session the key is for: the admin key is the only key for every session')
    }
    const created = await this.deps.services.apiKeys.create(principal, {
      name: `waha:${phoneNumber ?? 'account'}`,
      ...(phoneNumber && { phoneNumber }),
      ...(principal.isAdmin && accountId !== undefined && { accountId }),
    })
    return { id: created.id, key: created.key, isActive: true, isAdmin: false, session: created.phoneNumber, actions: null }
  }

  /** Keys in WAHA's shape; the key itself was shown once, at creation, and is never stored (`key` is ''). */
  async listKeys(principal: Principal) {
    const { keys } = await this.deps.services.apiKeys.list(principal, {})
    return keys.map((key) => ({ id: key.id, key: '', isActive: !key.expired, isAdmin: false, session: key.phoneNumber, actions: null }))
  }

  async deleteKey(principal: Principal, id: string) {
    await this.deps.services.apiKeys.revoke(principal, id)
    return { success: true }
  }

  // ─── Server ──────────────────────────────────────────────────────────────

  defaultEngine(): EngineName {
    return this.deps.defaultEngine
  }

  environment(engine = 'WEBJS') {
    return {
      version: this.deps.version,
      engine,
      tier: 'CORE',
      browser: this.deps.browser ?? '',
      platform: `${process.platform}/${process.arch}`,
      worker: { id: this.deps.workerId ?? null },
    }
  }

  serverStatus() {
    return { startTimestamp: this.deps.startedAt, uptime: Date.now() - this.deps.startedAt, worker: { id: this.deps.workerId ?? 'waha' } }
  }

  /** Only the admin sees the server's own details. */
  requireAdmin(principal: Principal): void {
    if (!principal.isAdmin) throw new ForbiddenError('Only the admin key may do this')
  }
}

