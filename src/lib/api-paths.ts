/** Paths of this server's own API, for links it hands out (media URLs in messages and events). */
export const API_BASE = '/api/whatsapp'

/** The download route of a message's media (§6), relative to this server's origin. */
export function mediaPath(phoneNumber: string, chatId: string, messageId: string): string {
  return `${API_BASE}/${phoneNumber}/messages/${encodeURIComponent(chatId)}/${encodeURIComponent(messageId)}/media`
}
