/**
 * The one rule for WhatsApp message ids, as whatsapp-web.js and WAHA serialize them and
 * every engine here produces them:
 *
 *   `<fromMe>_<chatId>_<key>[_<participant>]`
 *   e.g. `true_966500000002@c.us_3EB0C431D5A2B1F0E4A7`,
 *        `false_120363025555555555@g.us_3EB0AB_966500000003@c.us` (a group message and its author)
 *
 * `fromMe` is `true` or `false`, `chatId` a JID (`…@c.us`, `…@g.us`, `…@lid`,
 * `status@broadcast`), `key` WhatsApp's message key; none contains `_`, `/` or spaces.
 * Schemas (the `pattern` below), the engines' parsers and the simulator's builder all use
 * this file, so an id one accepts the others accept too.
 */

/** For `t.String({ pattern })`: the same rule as `parseMessageId`. */
export const MESSAGE_ID_PATTERN = '^(true|false)_[^_\\s/@]+@[a-z.]+_[^_\\s/]+(_[^_\\s/]+)?$'
export const MESSAGE_ID_MAX_LENGTH = 400
export const MESSAGE_ID_DESCRIPTION =
  'A message id as returned by the send routes and history: `true_<chatId>_<key>` (sent) or `false_<chatId>_<key>[_<author>]` (received; the author in groups)'
export const MESSAGE_ID_EXAMPLE = 'true_966500000002@c.us_3EB0C431D5A2B1F0E4A7'

const MESSAGE_ID = /^(true|false)_([^_\s/@]+@[a-z.]+)_([^_\s/]+)(?:_([^_\s/]+))?$/

export interface ParsedMessageId {
  fromMe: boolean
  chatId: string
  key: string
  /** The author of a received group message. */
  participant?: string
}

export function parseMessageId(id: string): ParsedMessageId | undefined {
  if (typeof id !== 'string' || id.length > MESSAGE_ID_MAX_LENGTH) return undefined
  const match = MESSAGE_ID.exec(id)
  if (!match) return undefined
  return { fromMe: match[1] === 'true', chatId: match[2]!, key: match[3]!, ...(match[4] && { participant: match[4] }) }
}

export function isMessageId(id: string): boolean {
  return parseMessageId(id) !== undefined
}

/** The id of a message this account sent to `chatId`. */
export function ownMessageId(chatId: string, key: string): string {
  return `true_${chatId}_${key}`
}

/** The id of a message received in `chatId`; `author` names the sender in a group. */
export function receivedMessageId(chatId: string, key: string, author?: string): string {
  return author ? `false_${chatId}_${key}_${author}` : `false_${chatId}_${key}`
}
