import type { MessageType } from './engine'

/**
 * whatsapp-web.js's message `type` names → ours. The webjs engine reads them from its
 * Client; WAHA's WEBJS engine passes the same names through in `_data.type`.
 */
export const WWEB_MESSAGE_TYPES: Readonly<Record<string, MessageType>> = {
  chat: 'text',
  image: 'image',
  video: 'video',
  audio: 'audio',
  ptt: 'voice',
  document: 'document',
  sticker: 'sticker',
  location: 'location',
  vcard: 'contact',
  multi_vcard: 'contact',
  poll_creation: 'poll',
  revoked: 'revoked',
}

/** The message type media of this mime type arrives as (WebP images are stickers). */
export function messageTypeOfMime(mimetype: string | undefined): MessageType {
  if (!mimetype) return 'document'
  if (mimetype.startsWith('image/webp')) return 'sticker'
  if (mimetype.startsWith('image/')) return 'image'
  if (mimetype.startsWith('video/')) return 'video'
  if (mimetype.startsWith('audio/')) return 'audio'
  return 'document'
}
