/**
 * Chat and message actions of §12 in the words of the API: each checks the engine's
 * capability (501 otherwise) before touching it, and keeps the message store in step
 * where the action changes history (clear, delete).
 */
import type { MessagingDeps } from '../../messaging'
import { BadRequestError, NotFoundError } from '../../errors'
import { normalizeChatId } from '../../lib/chat-id'
import type { Capability, EngineSession, PinDuration } from '../../providers/engine'
import type { SessionManager } from '../../sessions/manager'
import type { ChatAction, MessageAction } from './model'

const CHAT_ACTION_CAPABILITY: Record<ChatAction, Capability> = {
  archive: 'chats.archive',
  unarchive: 'chats.archive',
  pin: 'chats.pin',
  unpin: 'chats.pin',
  unread: 'chats.unread',
  unmute: 'chats.mute',
  clear: 'chats.clear',
}

const MESSAGE_ACTION_CAPABILITY: Record<MessageAction, Capability> = {
  star: 'message.star',
  unstar: 'message.star',
  unpin: 'message.pin',
}

/** The longest mute WhatsApp offers short of "always" is a week; a year is plenty of headroom. */
const MAX_MUTE_SECONDS = 366 * 86_400

export class ChatActionsService {
  constructor(
    private readonly sessions: SessionManager,
    private readonly deps: MessagingDeps,
  ) {}

  async chatAction(phone: string, rawChatId: string, action: ChatAction): Promise<{ success: boolean }> {
    const chatId = normalizeChatId(rawChatId)
    const engine = await this.sessions.requireConnected(phone, CHAT_ACTION_CAPABILITY[action])
    await this.run(engine, chatId, action)
    if (action === 'clear') await this.deps.store.removeChat(phone, chatId)
    return { success: true }
  }

  async mute(phone: string, rawChatId: string, untilIso: string | undefined, now = Date.now()): Promise<{ success: boolean; muteExpiration: number }> {
    const chatId = normalizeChatId(rawChatId)
    let until: number | undefined
    if (untilIso !== undefined) {
      const ms = Date.parse(untilIso)
      if (Number.isNaN(ms)) throw new BadRequestError('until must be an ISO-8601 date-time', { field: 'until' })
      if (ms <= now) throw new BadRequestError('until must be in the future', { field: 'until' })
      if (ms - now > MAX_MUTE_SECONDS * 1000) throw new BadRequestError('until is more than a year away; omit it to mute for ever', { field: 'until' })
      until = Math.floor(ms / 1000)
    }
    const engine = await this.sessions.requireConnected(phone, 'chats.mute')
    await engine.muteChat(chatId, until)
    return { success: true, muteExpiration: until ?? -1 }
  }

  async deleteChat(phone: string, rawChatId: string): Promise<{ success: boolean }> {
    const chatId = normalizeChatId(rawChatId)
    const engine = await this.sessions.requireConnected(phone, 'chats.delete')
    await engine.deleteChat(chatId)
    await this.deps.store.removeChat(phone, chatId)
    return { success: true }
  }

  /** One message from this server's store (works on every engine), as in history. */
  async message(phone: string, rawChatId: string, messageId: string) {
    const chatId = normalizeChatId(rawChatId)
    await this.sessions.requireConnected(phone)
    const message = await this.deps.store.get(phone, messageId)
    if (!message || message.chatId !== chatId) throw new NotFoundError(`Message ${messageId} not found in chat ${chatId}`)
    return message
  }

  async messageAction(phone: string, messageId: string, action: MessageAction): Promise<{ success: boolean }> {
    const engine = await this.sessions.requireConnected(phone, MESSAGE_ACTION_CAPABILITY[action])
    if (action === 'unpin') await engine.unpinMessage(messageId)
    else await engine.starMessage(messageId, action === 'star')
    return { success: true }
  }

  async pinMessage(phone: string, messageId: string, duration: PinDuration): Promise<{ success: boolean; expiresAt: string }> {
    const engine = await this.sessions.requireConnected(phone, 'message.pin')
    await engine.pinMessage(messageId, duration)
    return { success: true, expiresAt: new Date(Date.now() + duration * 1000).toISOString() }
  }

  async vote(phone: string, messageId: string, options: string[]): Promise<{ success: boolean }> {
    const engine = await this.sessions.requireConnected(phone, 'poll.vote')
    await engine.votePoll(messageId, options)
    await this.deps.ingest.idle()
    return { success: true }
  }

  async votes(phone: string, messageId: string) {
    const engine = await this.sessions.requireConnected(phone, 'poll.votes')
    return engine.getPollVotes(messageId)
  }

  private run(engine: EngineSession, chatId: string, action: ChatAction): Promise<void> {
    switch (action) {
      case 'archive':
        return engine.archiveChat(chatId, true)
      case 'unarchive':
        return engine.archiveChat(chatId, false)
      case 'pin':
        return engine.pinChat(chatId, true)
      case 'unpin':
        return engine.pinChat(chatId, false)
      case 'unread':
        return engine.markUnread(chatId)
      case 'unmute':
        return engine.unmuteChat(chatId)
      case 'clear':
        return engine.clearChat(chatId)
    }
  }
}
