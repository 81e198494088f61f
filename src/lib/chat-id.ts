/**
 * The one normalization of chat, contact and group ids (§5): every route that takes a
 * `chatId`, `contactId`, `groupId` or participant list goes through here, so a JID
 * reaches an engine in exactly one spelling.
 *
 * Accepted:
 * - a phone number, with or without a leading `+` (7–15 digits) → `<digits>@c.us`
 * - `<digits>@c.us` (7–15 digits), kept
 * - `<digits>@g.us` or the older `<creator>-<timestamp>@g.us`, kept
 * - `<digits>@lid` (WhatsApp's privacy ids), kept
 * - `status@broadcast`, kept
 * - `<digits>@newsletter` (a WhatsApp channel), kept
 * Anything else (spaces, other servers, empty, `@s.whatsapp.net`…) is a 400.
 */
import { BadRequestError } from './errors'

export type ChatKind = 'user' | 'group' | 'lid' | 'status' | 'newsletter'

export interface ParsedChatId {
  jid: string
  kind: ChatKind
}

export const STATUS_BROADCAST = 'status@broadcast'

const PHONE = /^\+?([0-9]{7,15})$/
const USER = /^([0-9]{7,15})@c\.us$/
const GROUP = /^[0-9]{5,20}(-[0-9]{5,20})?@g\.us$/
const LID = /^[0-9]{5,20}@lid$/
const NEWSLETTER = /^[0-9]{5,25}@newsletter$/

/** Documented in schemas, so clients see the accepted spellings. */
export const CHAT_ID_DESCRIPTION =
  'A phone number (`+966500000002` or `966500000002`, normalized to `…@c.us`), a JID `…@c.us`, a group `…@g.us`, a `…@lid`, a channel `…@newsletter`, or `status@broadcast`'

function invalid(field: string, raw: string, expected: string): never {
  const shown = raw.length > 80 ? `${raw.slice(0, 80)}…` : raw
  throw new BadRequestError(`${field} must be ${expected} (got "${shown}")`, { field, value: shown })
}

/** Parses any chat id of §5; throws a 400 naming `field` for anything else. */
export function parseChatId(raw: string, field = 'chatId'): ParsedChatId {
  const value = typeof raw === 'string' ? raw : ''
  if (value === STATUS_BROADCAST) return { jid: value, kind: 'status' }
  const phone = PHONE.exec(value)
  if (phone) return { jid: `${phone[1]}@c.us`, kind: 'user' }
  if (USER.test(value)) return { jid: value, kind: 'user' }
  if (GROUP.test(value)) return { jid: value, kind: 'group' }
  if (LID.test(value)) return { jid: value, kind: 'lid' }
  if (NEWSLETTER.test(value)) return { jid: value, kind: 'newsletter' }
  return invalid(field, value, 'a phone number, …@c.us, …@g.us, …@lid, …@newsletter or status@broadcast')
}

export function normalizeChatId(raw: string, field = 'chatId'): string {
  return parseChatId(raw, field).jid
}

/** A person: phone, `@c.us` or `@lid` (no groups, no Status). */
export function normalizeContactId(raw: string, field = 'contactId'): string {
  const parsed = parseChatId(raw, field)
  if (parsed.kind !== 'user' && parsed.kind !== 'lid') invalid(field, raw, 'a phone number, …@c.us or …@lid')
  return parsed.jid
}

/** A person or a group: what a profile picture can belong to. */
export function normalizePictureOwnerId(raw: string, field = 'contactId'): string {
  const parsed = parseChatId(raw, field)
  if (parsed.kind === 'status' || parsed.kind === 'newsletter') invalid(field, raw, 'a phone number, …@c.us, …@lid or …@g.us')
  return parsed.jid
}

export function normalizeGroupId(raw: string, field = 'groupId'): string {
  const parsed = parseChatId(raw, field)
  if (parsed.kind !== 'group') invalid(field, raw, 'a group id …@g.us')
  return parsed.jid
}

/** Participant and mention lists: each entry a person; duplicates removed, order kept. */
export function normalizeContactIds(raw: readonly string[], field: string): string[] {
  return [...new Set(raw.map((value, index) => normalizeContactId(value, `${field}[${index}]`)))]
}

/** A bare phone number (for `exists`): 7–15 digits, optional `+`, or `<digits>@c.us`. */
export function normalizePhone(raw: string, field = 'number'): string {
  const phone = PHONE.exec(raw) ?? USER.exec(raw)
  if (!phone?.[1]) invalid(field, raw, 'a phone number of 7 to 15 digits')
  return phone[1]
}

/** A channel (newsletter) id: `<digits>@newsletter`. */
export function normalizeChannelId(raw: string, field = 'channelId'): string {
  const parsed = parseChatId(raw, field)
  if (parsed.kind !== 'newsletter') invalid(field, raw, 'a channel id …@newsletter')
  return parsed.jid
}

export function isGroupJid(jid: string): boolean {
  return jid.endsWith('@g.us')
}

/** The user part of a JID: what stands before `@`, without a device suffix `:n` (`9665…:12@s.whatsapp.net`). */
export function userOf(jid: string): string {
  return jid.replace(/@.*$/, '').replace(/:\d+$/, '')
}
