/**
 * Chats and history in the words of the API. The chat list comes from the engine (it
 * knows names, unread counts, archived chats); history and media come from this
 * server's message store, so they work the same on every engine.
 */
import type { MessagingDeps } from '../../messaging'
import { BadRequestError, NotFoundError } from '../../errors'
import { normalizeChatId, STATUS_BROADCAST } from '../../lib/chat-id'
import { servesCapability, type ChatDTO, type EngineSession, type MessageDTO } from '../../providers/engine'
import type { SessionManager } from '../../sessions/manager'

export interface MediaDownload {
  body: Blob | Uint8Array
  size: number
  mimeType: string
  filename?: string
}

export function chatView(chat: ChatDTO) {
  return {
    id: chat.id,
    name: chat.name,
    isGroup: chat.isGroup,
    unreadCount: chat.unreadCount,
    archived: chat.archived,
    pinned: chat.pinned ?? false,
    markedUnread: chat.markedUnread ?? false,
    muteExpiration: chat.muteExpiration ?? null,
    labels: chat.labels ?? [],
    timestamp: chat.timestamp,
    ...(chat.lastMessage && { lastMessage: chat.lastMessage }),
  }
}

/** A whole-number query parameter within a range; a 400 naming it otherwise. */
function inRange(name: string, value: number | undefined, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < min || value > max) throw new BadRequestError(`Invalid query: ${name} must be a whole number from ${min} to ${max}`, { field: name })
  return value
}

export class ChatsService {
  constructor(
    private readonly sessions: SessionManager,
    private readonly deps: MessagingDeps,
  ) {}

  async list(phone: string, query: { page?: number; limit?: number; archived?: boolean; pinned?: boolean; unread?: boolean; labelId?: string; search?: string }) {
    const page = inRange('page', query.page, 1, 1_000_000, 1)
    const limit = inRange('limit', query.limit, 1, 200, 50)
    const engine = await this.sessions.requireConnected(phone, 'chats.list')
    const result = await engine.listChats({
      page,
      limit,
      ...(query.archived !== undefined && { archived: query.archived }),
      ...(query.pinned !== undefined && { pinned: query.pinned }),
      ...(query.unread !== undefined && { unread: query.unread }),
      ...(query.labelId !== undefined && { labelId: query.labelId }),
      ...(query.search !== undefined && { search: query.search }),
    })
    return { chats: result.items.map(chatView), total: result.total, page, hasMore: page * limit < result.total }
  }

  async get(phone: string, rawChatId: string) {
    const chatId = normalizeChatId(rawChatId)
    const engine = await this.sessions.requireConnected(phone, 'chats.get')
    return chatView(await engine.getChat(chatId))
  }

  /**
   * A chat's messages, newest first: the store (what this server saw) merged with the
   * engine's own history (what the phone has: messages from before the link, or from
   * while this server was down). The engine's page for the same cursor is stored first,
   * then the store answers, so the merge has no duplicates and the cursor is one id either way.
   */
  async history(phone: string, rawChatId: string, query: { limit?: number; before?: string }) {
    const chatId = normalizeChatId(rawChatId)
    const limit = inRange('limit', query.limit, 1, 200, 50)
    const engine = await this.sessions.requireConnected(phone)
    const fromEngine = servesCapability(engine, 'messages.history') ? await this.importEngineHistory(engine, phone, chatId, limit, query.before) : undefined
    const page = await this.deps.store.history(phone, chatId, { limit, ...(query.before !== undefined && { before: query.before }) })
    if (!page) throw new NotFoundError(`Message ${query.before} not found in chat ${chatId}`)
    if (page.messages.length === 0 && query.before === undefined && chatId !== STATUS_BROADCAST && !(await this.deps.store.hasChat(phone, chatId))) {
      // Nothing stored: a chat the engine knows (a new group) is empty; one nobody knows is a 404.
      if (engine.capabilities.has('chats.get')) await engine.getChat(chatId)
    }
    return { messages: page.messages, hasMore: page.hasMore || (fromEngine?.hasMore ?? false) }
  }

  /**
   * Reads one page of the engine's history (same limit and cursor) into the store. A chat
   * or cursor the engine does not know (a message only this server kept) leaves the store
   * to answer alone.
   */
  private async importEngineHistory(engine: EngineSession, phone: string, chatId: string, limit: number, before: string | undefined): Promise<{ hasMore: boolean } | undefined> {
    let page: { messages: MessageDTO[]; hasMore: boolean }
    try {
      page = await engine.getMessages(chatId, { limit, ...(before !== undefined && { before }) })
    } catch (error) {
      if (error instanceof NotFoundError) return undefined
      throw error
    }
    // The engine's messages of this chat only: an engine answering for another chat must not leak into it.
    await this.deps.store.importHistory(phone, page.messages.filter((message) => message.chatId === chatId))
    return { hasMore: page.hasMore }
  }

  /** The bytes of a message's media: from the store, else fetched once from the engine and kept. */
  async media(phone: string, rawChatId: string, messageId: string): Promise<MediaDownload> {
    const chatId = normalizeChatId(rawChatId)
    const engine = await this.sessions.requireConnected(phone)
    const message = await this.deps.store.get(phone, messageId)
    if (!message || message.chatId !== chatId) throw new NotFoundError(`Message ${messageId} not found in chat ${chatId}`)
    if (!message.hasMedia) throw new NotFoundError(`Message ${messageId} has no media`)
    const stored = await this.deps.store.media(phone, messageId)
    if (stored) return { body: stored.blob, size: stored.size, mimeType: stored.mimeType, ...(stored.filename && { filename: stored.filename }) }
    if (engine.capabilities.has('messages.media')) {
      const fetched = await engine.downloadMedia(messageId)
      if (fetched) {
        await this.deps.store.attachMedia(phone, messageId, fetched)
        return { body: fetched.data, size: fetched.data.byteLength, mimeType: fetched.mimeType, ...(fetched.filename && { filename: fetched.filename }) }
      }
    }
    throw new NotFoundError(`The media of message ${messageId} is no longer available`)
  }
}
