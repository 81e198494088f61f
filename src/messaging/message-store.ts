/**
 * The message store: every message a session sends or receives, persisted so history,
 * replies, edits, reactions and media downloads work the same on every engine.
 *
 * It is written from the event ingest (`hook`), inside the one transaction per event
 * that the outbox shares: a `message` event inserts (or completes) the row and writes
 * its media bytes to disk first; `message.ack`, `message.edited`, `message.revoked` and
 * `message.reaction` update it. Routes read it (`history`, `media`), and the send path
 * calls `ensure` so a sent message is stored by the time its route answers even on an
 * engine that reports its own sends late.
 */
import type { SQL } from 'bun'
import type { SessionEvent } from '../events/bus'
import type { EventIngest } from '../events/ingest'
import { mediaUrl } from '../lib/api-paths'
import type { Logger } from '../lib/logger'
import { ACK, ackName, type Ack, type AckName, type Location, type MediaFile, type MessageDTO, type MessageMediaInfo, type MessageType, type Poll } from '../providers/engine'
import type { MediaStorage } from './media-storage'
import { transaction } from '../storage/db'

/**
 * A message as the API shows it in history: the engine's DTO, with its media link, ack
 * name and reactions. `media` and `replyTo` have the event payload's shape (§7, WAHA's):
 * `media.url` absolute under PUBLIC_URL, `filename` null when the media has none, and
 * `replyTo: {id}`.
 */
export interface HistoryMessage extends Omit<MessageDTO, 'media' | 'replyTo'> {
  media?: Omit<MessageMediaInfo, 'filename'> & { url: string; filename: string | null }
  replyTo?: { id: string }
  ackName: AckName
  reactions?: Array<{ emoji: string; from: string; timestamp: number }>
}

interface Extra {
  location?: Location
  vcards?: string[]
  poll?: Poll
  mentions?: string[]
  isForwarded?: boolean
  viewOnce?: boolean
  durationSeconds?: number
  waveform?: number[]
}

interface MessageRow {
  session: string
  id: string
  chat_id: string
  sent_at: number | string
  seq: number | string
  from_jid: string
  to_jid: string
  participant: string | null
  from_me: number | boolean
  type: string
  body: string
  ack: number | string
  reply_to: string | null
  has_media: number | boolean
  media_sha256: string | null
  media_mimetype: string | null
  media_filename: string | null
  media_size: number | string | null
  extra: string | null
  edited: number | boolean
}

interface ReactionRow {
  message_id: string
  sender: string
  emoji: string
  reacted_at: number | string
}

export interface StoredMedia {
  /** The bytes on disk, streamed when used as a response body. */
  blob: Blob
  size: number
  mimeType: string
  filename?: string
}

let lastSeq = 0
/** Orders messages of the same second by arrival: microseconds since the epoch, strictly increasing per process. */
function nextSeq(): number {
  lastSeq = Math.max(lastSeq + 1, Date.now() * 1000)
  return lastSeq
}

function isTrue(value: number | boolean): boolean {
  return value === true || value === 1
}

function extraOf(message: MessageDTO): string | null {
  const extra: Extra = {
    ...(message.location && { location: message.location }),
    ...(message.vcards && { vcards: message.vcards }),
    ...(message.poll && { poll: message.poll }),
    ...(message.mentions?.length && { mentions: message.mentions }),
    ...(message.isForwarded && { isForwarded: true }),
    ...(message.viewOnce && { viewOnce: true }),
    ...(message.durationSeconds !== undefined && { durationSeconds: message.durationSeconds }),
    ...(message.waveform && { waveform: message.waveform }),
  }
  return Object.keys(extra).length > 0 ? JSON.stringify(extra) : null
}

function toAck(value: number | string): Ack {
  const ack = Number(value)
  return (Object.values(ACK) as number[]).includes(ack) ? (ack as Ack) : ACK.PENDING
}

export class MessageStore {
  /** Media of messages deleted for everyone, removed from disk once the deletion is committed. */
  private readonly unlinkAfterCommit = new WeakMap<SessionEvent, { session: string; sha256: string }>()

  constructor(
    private readonly db: SQL,
    private readonly files: MediaStorage,
    private readonly logger: Logger,
    /** Where this server is reached (PUBLIC_URL), for the media links in history. */
    private readonly links: { publicUrl: string },
  ) {}

  /** Registers the store with the event ingest: the hook in the transaction, the media cleanup after it. */
  attach(ingest: EventIngest): void {
    ingest.addHook(this.hook)
    ingest.onCommitted((event) => {
      const pending = this.unlinkAfterCommit.get(event)
      if (pending) void this.unlinkIfUnused(pending.session, pending.sha256)
    })
  }

  /** Deletes a media file no stored message refers to any more (the same bytes may back several messages). */
  private async unlinkIfUnused(session: string, sha256: string): Promise<void> {
    try {
      const rows = await this.db`SELECT 1 AS found FROM messages WHERE session = ${session} AND media_sha256 = ${sha256} LIMIT 1`
      if (rows.length === 0) await this.files.remove(session, sha256)
    } catch (error) {
      this.logger.warn({ err: error, session }, 'could not remove the media of a deleted message')
    }
  }

  /** The ingest hook: applies one engine event to the store, inside the ingest transaction. */
  readonly hook = async (tx: SQL, sessionEvent: SessionEvent): Promise<void> => {
    const { session, event } = sessionEvent
    switch (event.type) {
      case 'message':
        await this.upsert(tx, session, event.message, event.media)
        return
      case 'message.ack':
        // Acks only move forward, except ERROR, which can follow any level.
        if (event.ack === ACK.ERROR) {
          await tx`UPDATE messages SET ack = ${event.ack}, updated_at = ${Date.now()} WHERE session = ${session} AND id = ${event.id}`
        } else {
          await tx`
            UPDATE messages SET ack = ${event.ack}, updated_at = ${Date.now()}
            WHERE session = ${session} AND id = ${event.id} AND ack < ${event.ack}`
        }
        return
      case 'message.edited':
        await tx`
          UPDATE messages SET body = ${event.body}, edited = 1, updated_at = ${Date.now()}
          WHERE session = ${session} AND id = ${event.editedMessageId} AND type <> 'revoked'`
        return
      case 'message.revoked': {
        // WhatsApp keeps a "this message was deleted" placeholder: the row stays, its content goes.
        const before: Pick<MessageRow, 'media_sha256'>[] = await tx`
          SELECT media_sha256 FROM messages WHERE session = ${session} AND id = ${event.revokedMessageId}`
        if (before[0]?.media_sha256) this.unlinkAfterCommit.set(sessionEvent, { session, sha256: before[0].media_sha256 })
        await tx`
          UPDATE messages SET type = 'revoked', body = '', has_media = 0, media_sha256 = NULL, media_mimetype = NULL,
            media_filename = NULL, media_size = NULL, extra = NULL, updated_at = ${Date.now()}
          WHERE session = ${session} AND id = ${event.revokedMessageId}`
        await tx`DELETE FROM message_reactions WHERE session = ${session} AND message_id = ${event.revokedMessageId}`
        return
      }
      case 'message.reaction':
        if (event.reaction.text === '') {
          await tx`DELETE FROM message_reactions WHERE session = ${session} AND message_id = ${event.reaction.messageId} AND sender = ${event.from}`
        } else {
          await tx`
            INSERT INTO message_reactions (session, message_id, sender, emoji, reacted_at)
            VALUES (${session}, ${event.reaction.messageId}, ${event.from}, ${event.reaction.text}, ${event.timestamp})
            ON CONFLICT (session, message_id, sender) DO UPDATE SET emoji = excluded.emoji, reacted_at = excluded.reacted_at`
        }
        return
      default:
        return
    }
  }

  /**
   * Makes sure a message this server just sent is stored (the engine's own `message`
   * event normally did it already), and that its media bytes are attached.
   */
  async ensure(session: string, message: MessageDTO, media?: MediaFile): Promise<void> {
    await transaction(this.db, async (tx) => {
      await this.upsert(tx, session, message, media)
    })
  }

  /**
   * Stores messages read from the engine's own history (sent or received before this server
   * saw them): the ones not stored yet are added, without their media bytes, which the
   * download route fetches from the engine on first use. `messages` come newest first (as
   * engines page history); messages of the same second keep that order. Returns how many were new.
   */
  async importHistory(session: string, messages: MessageDTO[]): Promise<number> {
    if (messages.length === 0) return 0
    const existing: Array<{ id: string }> = await this.db`
      SELECT id FROM messages WHERE session = ${session} AND id IN ${this.db(messages.map((message) => message.id))}`
    const known = new Set(existing.map((row) => row.id))
    // Engines list newest first; reversed, a stable sort by time keeps their order within a second.
    const missing = [...messages]
      .reverse()
      .filter((message) => !known.has(message.id))
      .sort((a, b) => a.timestamp - b.timestamp)
    if (missing.length === 0) return 0
    await transaction(this.db, async (tx) => {
      for (const message of missing) await this.upsert(tx, session, message)
    })
    return missing.length
  }

  /** Stores bytes fetched later from the engine for a message whose media was not yet on disk. */
  async attachMedia(session: string, messageId: string, media: MediaFile): Promise<void> {
    const sha256 = await this.files.write(session, media.data)
    await this.db`
      UPDATE messages SET media_sha256 = ${sha256}, media_size = ${media.data.byteLength},
        media_mimetype = COALESCE(media_mimetype, ${media.mimeType}), media_filename = COALESCE(media_filename, ${media.filename ?? null}),
        updated_at = ${Date.now()}
      WHERE session = ${session} AND id = ${messageId} AND type <> 'revoked'`
  }

  async get(session: string, messageId: string): Promise<HistoryMessage | undefined> {
    const rows: MessageRow[] = await this.db`SELECT * FROM messages WHERE session = ${session} AND id = ${messageId}`
    if (!rows[0]) return undefined
    return (await this.withReactions(session, rows.map((row) => this.toMessage(row))))[0]
  }

  async hasChat(session: string, chatId: string): Promise<boolean> {
    const rows = await this.db`SELECT 1 AS found FROM messages WHERE session = ${session} AND chat_id = ${chatId} LIMIT 1`
    return rows.length > 0
  }

  /**
   * A chat's messages, newest first. `before` is a message id of this chat: only older
   * messages are returned. Returns undefined when `before` is not a message of the chat.
   */
  async history(session: string, chatId: string, query: { limit: number; before?: string }): Promise<{ messages: HistoryMessage[]; hasMore: boolean } | undefined> {
    let cursor: { sentAt: number; seq: number } | undefined
    if (query.before !== undefined) {
      const rows: Pick<MessageRow, 'sent_at' | 'seq'>[] = await this.db`
        SELECT sent_at, seq FROM messages WHERE session = ${session} AND chat_id = ${chatId} AND id = ${query.before}`
      if (!rows[0]) return undefined
      cursor = { sentAt: Number(rows[0].sent_at), seq: Number(rows[0].seq) }
    }
    const rows: MessageRow[] = await this.db`
      SELECT * FROM messages
      WHERE session = ${session} AND chat_id = ${chatId}
        ${cursor ? this.db`AND (sent_at < ${cursor.sentAt} OR (sent_at = ${cursor.sentAt} AND seq < ${cursor.seq}))` : this.db``}
      ORDER BY sent_at DESC, seq DESC
      LIMIT ${query.limit + 1}`
    const page = rows.slice(0, query.limit).map((row) => this.toMessage(row))
    return { messages: await this.withReactions(session, page), hasMore: rows.length > query.limit }
  }

  /** The stored bytes of a message's media; undefined when the message has none on disk. */
  async media(session: string, messageId: string): Promise<StoredMedia | undefined> {
    const rows: MessageRow[] = await this.db`SELECT * FROM messages WHERE session = ${session} AND id = ${messageId}`
    const row = rows[0]
    if (!row?.media_sha256) return undefined
    const file = await this.files.file(session, row.media_sha256)
    if (!file) {
      this.logger.warn({ session, messageId }, 'media file missing on disk')
      return undefined
    }
    return { ...file, mimeType: row.media_mimetype ?? 'application/octet-stream', ...(row.media_filename && { filename: row.media_filename }) }
  }

  /** "Delete for me": the message leaves this number's history. */
  async remove(session: string, messageId: string): Promise<void> {
    await transaction(this.db, async (tx) => {
      await tx`DELETE FROM messages WHERE session = ${session} AND id = ${messageId}`
      await tx`DELETE FROM message_reactions WHERE session = ${session} AND message_id = ${messageId}`
    })
  }

  /** A chat was cleared or deleted on the phone: its messages leave this number's history too. */
  async removeChat(session: string, chatId: string): Promise<void> {
    const media: Pick<MessageRow, 'media_sha256'>[] = await this.db`
      SELECT DISTINCT media_sha256 FROM messages WHERE session = ${session} AND chat_id = ${chatId} AND media_sha256 IS NOT NULL`
    await transaction(this.db, async (tx) => {
      await tx`DELETE FROM message_reactions WHERE session = ${session} AND message_id IN (SELECT id FROM messages WHERE session = ${session} AND chat_id = ${chatId})`
      await tx`DELETE FROM messages WHERE session = ${session} AND chat_id = ${chatId}`
    })
    for (const row of media) if (row.media_sha256) await this.unlinkIfUnused(session, row.media_sha256)
  }

  /** Forgets everything of a number (its session was deleted). */
  async purge(session: string): Promise<void> {
    await transaction(this.db, async (tx) => {
      await tx`DELETE FROM messages WHERE session = ${session}`
      await tx`DELETE FROM message_reactions WHERE session = ${session}`
    })
    await this.files.removeAll(session)
  }

  private async upsert(tx: SQL, session: string, message: MessageDTO, media?: MediaFile): Promise<void> {
    const sha256 = media ? await this.files.write(session, media.data) : null
    const now = Date.now()
    const mimetype = media?.mimeType ?? message.media?.mimetype ?? null
    const filename = media?.filename ?? message.media?.filename ?? null
    const size = media?.data.byteLength ?? message.media?.size ?? null
    const hasMedia = message.hasMedia || media !== undefined ? 1 : 0
    await tx`
      INSERT INTO messages (session, id, chat_id, sent_at, seq, from_jid, to_jid, participant, from_me, type, body, ack, reply_to,
        has_media, media_sha256, media_mimetype, media_filename, media_size, extra, edited, created_at, updated_at)
      VALUES (${session}, ${message.id}, ${message.chatId}, ${message.timestamp}, ${nextSeq()}, ${message.from}, ${message.to},
        ${message.participant ?? null}, ${message.fromMe ? 1 : 0}, ${message.type}, ${message.body}, ${message.ack}, ${message.replyTo ?? null},
        ${hasMedia}, ${sha256}, ${mimetype}, ${filename}, ${size}, ${extraOf(message)}, ${message.edited ? 1 : 0}, ${now}, ${now})
      ON CONFLICT (session, id) DO UPDATE SET
        ack = CASE WHEN excluded.ack > messages.ack OR excluded.ack = ${ACK.ERROR} THEN excluded.ack ELSE messages.ack END,
        media_sha256 = CASE WHEN messages.type = 'revoked' THEN NULL ELSE COALESCE(messages.media_sha256, excluded.media_sha256) END,
        media_mimetype = CASE WHEN messages.type = 'revoked' THEN NULL ELSE COALESCE(messages.media_mimetype, excluded.media_mimetype) END,
        media_filename = CASE WHEN messages.type = 'revoked' THEN NULL ELSE COALESCE(messages.media_filename, excluded.media_filename) END,
        media_size = CASE WHEN messages.type = 'revoked' THEN NULL ELSE COALESCE(messages.media_size, excluded.media_size) END,
        updated_at = excluded.updated_at`
  }

  private toMessage(row: MessageRow): HistoryMessage {
    const extra: Extra = row.extra ? (JSON.parse(row.extra) as Extra) : {}
    const ack = toAck(row.ack)
    const hasMedia = isTrue(row.has_media)
    return {
      id: row.id,
      timestamp: Number(row.sent_at),
      chatId: row.chat_id,
      from: row.from_jid,
      to: row.to_jid,
      fromMe: isTrue(row.from_me),
      ...(row.participant && { participant: row.participant }),
      type: row.type as MessageType,
      body: row.body,
      hasMedia,
      ...(hasMedia && {
        media: {
          url: mediaUrl(this.links.publicUrl, row.session, row.chat_id, row.id),
          mimetype: row.media_mimetype ?? 'application/octet-stream',
          filename: row.media_filename || null,
          ...(row.media_size !== null && { size: Number(row.media_size) }),
        },
      }),
      ack,
      ackName: ackName(ack),
      ...(row.reply_to && { replyTo: { id: row.reply_to } }),
      ...extra,
      ...(isTrue(row.edited) && { edited: true }),
    }
  }

  private async withReactions(session: string, messages: HistoryMessage[]): Promise<HistoryMessage[]> {
    if (messages.length === 0) return messages
    const rows: ReactionRow[] = await this.db`
      SELECT message_id, sender, emoji, reacted_at FROM message_reactions
      WHERE session = ${session} AND message_id IN ${this.db(messages.map((m) => m.id))}
      ORDER BY reacted_at, sender`
    const byMessage = new Map<string, HistoryMessage['reactions']>()
    for (const row of rows) {
      const list = byMessage.get(row.message_id) ?? []
      list.push({ emoji: row.emoji, from: row.sender, timestamp: Number(row.reacted_at) })
      byMessage.set(row.message_id, list)
    }
    return messages.map((message) => {
      const reactions = byMessage.get(message.id)
      return reactions ? { ...message, reactions } : message
    })
  }
}
