/** Paths of this server's own API, for links it hands out (media URLs in messages and events). */
export const API_BASE = '/api/whatsapp'

/** The download route of a message's media (§6), relative to this server's origin. */
export function mediaPath(phoneNumber: string, chatId: string, messageId: string): string {
  return `${API_BASE}/${phoneNumber}/messages/${encodeURIComponent(chatId)}/${encodeURIComponent(messageId)}/media`
}

/**
 * The same route as an absolute URL under PUBLIC_URL: what history and events both show
 * as `media.url`, so a link from either can be fetched as is (WAHA's events do the same).
 */
export function mediaUrl(publicUrl: string, phoneNumber: string, chatId: string, messageId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${mediaPath(phoneNumber, chatId, messageId)}`
}
