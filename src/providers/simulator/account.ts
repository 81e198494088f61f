/**
 * The "phone" behind a simulated number: its chats, messages and block list. It lives in
 * the network, not in the session, so a session that is stopped and started again (or
 * logged out and linked again) finds its chats as a real linked device would.
 */
import type { MediaFile, MessageDTO } from '../engine'
import { starterLabels, type StoredLabel } from './labels'
import type { Packet } from './wire'

export interface StoredMessage {
  key: string
  dto: MessageDTO
  media?: MediaFile
  /** Own messages: who should receive it (phones), and who did / who read it. */
  recipients?: string[]
  receivedBy?: Set<string>
  readBy?: Set<string>
  /** Received messages: whether this side has read it. */
  seen?: boolean
  starred?: boolean
  /** Unix seconds until which the message is pinned in its chat. */
  pinnedUntil?: number
  /** Polls: each voter's (JID) current choice, as option names. */
  votes?: Map<string, string[]>
}

export interface SavedName {
  firstName: string
  lastName?: string
}

export interface ChatState {
  id: string
  unreadCount: number
  archived: boolean
  pinned: boolean
  /** "Mark as unread" with nothing unread: the chat shows as unread until it is read. */
  markedUnread: boolean
  /** -1 for ever, else unix seconds; undefined: not muted. */
  muteUntil?: number
  labels: string[]
  messages: StoredMessage[]
  /** Unix seconds of the chat's creation (groups show up before their first message). */
  createdAt: number
}

/** A call that rang on this number (issue 13 part B). */
export interface CallRecord {
  id: string
  /** The caller's phone number. */
  from: string
  /** The group called, for a group call. */
  group?: string
  video: boolean
  /** Unix seconds when it started ringing. */
  timestamp: number
  rejected: boolean
}

export class Account {
  readonly chats = new Map<string, ChatState>()
  readonly byId = new Map<string, StoredMessage>()
  /** By chat and wire key: receipts, reactions and edits find their message without scanning the chat. */
  private readonly byKey = new Map<string, StoredMessage>()
  /** Blocked contacts, as JIDs. */
  readonly blocked = new Set<string>()
  /** Packets that arrived while no device of this number was linked and online. */
  readonly inbox: Packet[] = []
  /** WhatsApp Business labels, by id. */
  labels: Map<string, StoredLabel> = starterLabels()
  /** Calls that rang recently, by call id. */
  readonly calls = new Map<string, CallRecord>()
  /**
   * What the durable state has yet to write: messages added or changed since the last
   * save, and ids of messages gone. Each message is a row of its own, so a save costs
   * what changed, not the whole history (re-encoding every message of a busy phone every
   * few milliseconds made sends quadratic: 42% of a send-text profile).
   */
  readonly unsaved = new Set<StoredMessage>()
  readonly removed = new Set<string>()
  /** Arrival order of each message, kept in its row so a restore rebuilds each chat in order. */
  private readonly order = new WeakMap<StoredMessage, number>()
  private nextOrder = 0
  /** The phone's address book: names this number saved for contacts (JID → name). */
  readonly savedNames = new Map<string, SavedName>()

  constructor(readonly phone: string) {}

  orderOf(message: StoredMessage): number {
    return this.order.get(message) ?? 0
  }

  /** A message changed in place (ack, edit, star, pin, vote, revoke, seen): write it again. */
  touch(message: StoredMessage): void {
    if (this.byId.get(message.dto.id) === message) this.unsaved.add(message)
  }

  /** Puts back a stored message in its place (restore): not to be written again. */
  restore(chatId: string, message: StoredMessage, order: number): void {
    const chat = this.chat(chatId, message.dto.timestamp)
    chat.messages.push(message)
    this.index(chatId, message, order)
  }

  private index(chatId: string, message: StoredMessage, order: number): void {
    this.byId.set(message.dto.id, message)
    this.byKey.set(keyOf(chatId, message.key), message)
    this.order.set(message, order)
    this.nextOrder = Math.max(this.nextOrder, order + 1)
  }

  private unindex(message: StoredMessage): void {
    this.byId.delete(message.dto.id)
    this.byKey.delete(keyOf(message.dto.chatId, message.key))
    this.unsaved.delete(message)
    this.removed.add(message.dto.id)
  }

  chat(chatId: string, createdAt: number): ChatState {
    let chat = this.chats.get(chatId)
    if (!chat) {
      chat = { id: chatId, unreadCount: 0, archived: false, pinned: false, markedUnread: false, labels: [], messages: [], createdAt }
      this.chats.set(chatId, chat)
    }
    return chat
  }

  add(chatId: string, message: StoredMessage): void {
    const chat = this.chat(chatId, message.dto.timestamp)
    chat.messages.push(message)
    if (!message.dto.fromMe) chat.unreadCount += 1
    this.index(chatId, message, this.nextOrder)
    this.removed.delete(message.dto.id)
    this.unsaved.add(message)
  }

  findByKey(chatId: string, key: string): StoredMessage | undefined {
    return this.byKey.get(keyOf(chatId, key))
  }

  /** Forgets a chat's messages (clear), or the chat too (delete). */
  clear(chatId: string, deleteChat: boolean): void {
    const chat = this.chats.get(chatId)
    if (!chat) return
    for (const message of chat.messages) this.unindex(message)
    chat.messages = []
    chat.unreadCount = 0
    chat.markedUnread = false
    if (deleteChat) this.chats.delete(chatId)
  }

  remove(id: string): boolean {
    const message = this.byId.get(id)
    if (!message) return false
    this.unindex(message)
    const chat = this.chats.get(message.dto.chatId)
    if (chat) {
      chat.messages = chat.messages.filter((m) => m !== message)
      if (!message.dto.fromMe && !message.seen && chat.unreadCount > 0) chat.unreadCount -= 1
    }
    return true
  }
}

function keyOf(chatId: string, key: string): string {
  return `${chatId}\u0000${key}`
}
