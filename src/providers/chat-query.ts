/**
 * The chat list's filters, order and paging, the same on every engine that lists chats
 * itself: pinned chats first (as WhatsApp shows them), then by last activity.
 */
import type { ChatDTO, ChatQuery, Page } from './engine'

export function isUnread(chat: ChatDTO): boolean {
  return chat.unreadCount > 0 || chat.markedUnread === true
}

export function matchesChatQuery(chat: ChatDTO, query: Omit<ChatQuery, 'page' | 'limit'>): boolean {
  if (query.archived !== undefined && chat.archived !== query.archived) return false
  if (query.pinned !== undefined && (chat.pinned ?? false) !== query.pinned) return false
  if (query.unread !== undefined && isUnread(chat) !== query.unread) return false
  if (query.labelId !== undefined && !(chat.labels ?? []).includes(query.labelId)) return false
  if (query.search !== undefined && query.search !== '') {
    const needle = query.search.toLocaleLowerCase()
    if (!chat.name.toLocaleLowerCase().includes(needle) && !chat.id.toLocaleLowerCase().includes(needle)) return false
  }
  return true
}

export function pageOfChats(chats: ChatDTO[], query: ChatQuery): Page<ChatDTO> {
  const matching = chats
    .filter((chat) => matchesChatQuery(chat, query))
    .sort((a, b) => Number(b.pinned ?? false) - Number(a.pinned ?? false) || b.timestamp - a.timestamp)
  const start = (query.page - 1) * query.limit
  return { items: matching.slice(start, start + query.limit), total: matching.length }
}
