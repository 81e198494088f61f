/**
 * §5 in the words of the API, without HTTP: sends of every kind, message actions, seen,
 * presence and Status.
 *
 * A send runs: input checks (400) → Idempotency-Key claim → the session must be
 * CONNECTED with the capability (404 → 501 → 409) → media resolved (400/413/502) → the
 * number's pacing queue → the engine → the message store. The answer is given only once
 * the sent message is in the store, so history and replies can use it at once.
 */
import type { MessagingDeps } from '../../messaging'
import { BadRequestError } from '../../errors'
import { normalizeChatId, normalizeContactIds, parseChatId, STATUS_BROADCAST } from '../../lib/chat-id'
import { buildVcard } from '../../lib/vcard'
import { fingerprint } from '../../messaging/idempotency'
import type { MediaKind } from '../../messaging/media-input'
import type { TypingIndicator } from '../../messaging/pacer'
import type {
  Capability,
  MediaFile,
  MessageDTO,
  OutgoingContent,
  PresenceState,
  EngineSession,
  StatusContent,
} from '../../providers/engine'
import type { SessionManager } from '../../sessions/manager'
import type { SendContactInput, SendLocationInput, SendPollInput, SendTextInput, StatusInput } from './model'

export interface SendOutcome {
  result: { messageId: string; timestamp: number }
  replayed: boolean
}

/** The media sends and their field, capability and media kind. */
export const MEDIA_SENDS = {
  image: { field: 'imageUrl', capability: 'send.image', kind: 'image' },
  file: { field: 'fileUrl', capability: 'send.file', kind: 'document' },
  video: { field: 'videoUrl', capability: 'send.video', kind: 'video' },
  voice: { field: 'audioUrl', capability: 'send.voice', kind: 'audio' },
  audio: { field: 'audioUrl', capability: 'send.audio', kind: 'audio' },
  sticker: { field: 'stickerUrl', capability: 'send.sticker', kind: 'sticker' },
} as const satisfies Record<string, { field: string; capability: Capability; kind: MediaKind }>

export type MediaSendType = keyof typeof MEDIA_SENDS

export interface MediaSendInput {
  chatId: string
  caption?: string
  quotedMsgId?: string
  mimeType?: string
  filename?: string
  [field: string]: unknown
}

/** What one send needs, once its input is checked. */
interface SendPlan {
  route: string
  body: unknown
  capability: Capability
  chatId: string
  /**
   * Resolves the media (400/413/502) and returns the engine call. Media is fetched before
   * the number's pacing queue, so a slow URL never holds up the number's other sends.
   */
  prepare(engine: EngineSession): Promise<() => Promise<{ message: MessageDTO; media?: MediaFile }>>
  presence?: TypingIndicator['state']
}

function checkVcard(vcard: string): string {
  const text = vcard.trim().replace(/\r\n/g, '\n')
  if (!/^BEGIN:VCARD\n/i.test(text) || !/\nEND:VCARD$/i.test(text)) throw new BadRequestError('vcard must be one vCard: BEGIN:VCARD … END:VCARD', { field: 'vcard' })
  if ((text.match(/^BEGIN:VCARD$/gim) ?? []).length !== 1) throw new BadRequestError('vcard must hold exactly one card; send several with `contacts`', { field: 'vcard' })
  if (!/^(FN|N)[:;]/im.test(text)) throw new BadRequestError('vcard needs a name (an FN or N line)', { field: 'vcard' })
  return text
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

/** One emoji (one grapheme with a pictograph, a flag or a keycap), or '' to remove a reaction. */
export function checkEmoji(emoji: string): string {
  if (emoji === '') return emoji
  const graphemes = [...segmenter.segment(emoji)]
  if (graphemes.length !== 1 || !/\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u.test(emoji)) {
    throw new BadRequestError('emoji must be a single emoji, or "" to remove the reaction', { field: 'emoji' })
  }
  return emoji
}

export class MessagesService {
  constructor(
    private readonly sessions: SessionManager,
    private readonly deps: MessagingDeps,
  ) {}

  // ─── Sends ───────────────────────────────────────────────────────────────

  sendText(phone: string, body: SendTextInput, key?: string): Promise<SendOutcome> {
    const target = parseChatId(body.chatId)
    const mentions = body.mentions ? normalizeContactIds(body.mentions, 'mentions') : undefined
    if (target.kind === 'status') {
      return this.send(phone, key, {
        route: 'send-text',
        body,
        capability: 'status.post',
        chatId: target.jid,
        prepare: async (engine) => async () => ({ message: await engine.postStatus({ type: 'text', text: body.text }) }),
      })
    }
    const content: OutgoingContent = {
      type: 'text',
      text: body.text,
      ...(mentions?.length && { mentions }),
      ...(body.linkPreview !== undefined && { linkPreview: body.linkPreview }),
    }
    return this.sendContent(phone, key, 'send-text', body, 'send.text', target.jid, body.quotedMsgId, async () => ({ content }))
  }

  sendMedia(phone: string, type: MediaSendType, body: MediaSendInput, key?: string): Promise<SendOutcome> {
    const { field, capability, kind } = MEDIA_SENDS[type]
    const target = parseChatId(body.chatId)
    const value = body[field]
    if (typeof value !== 'string') throw new BadRequestError(`${field} is required`, { field })
    const resolve = () =>
      this.deps.media.resolve(kind, {
        value,
        field,
        ...(body.mimeType !== undefined && { mimeType: body.mimeType }),
        ...(body.filename !== undefined && { filename: body.filename }),
      })
    if (target.kind === 'status') {
      if (type !== 'image' && type !== 'video') throw new BadRequestError('Only text, images and videos can be posted to Status', { field: 'chatId' })
      return this.send(phone, key, {
        route: `send-${type}`,
        body,
        capability: 'status.post',
        chatId: target.jid,
        prepare: async (engine) => {
          const media = await resolve()
          const content: StatusContent = { type, media, ...(body.caption !== undefined && { caption: body.caption }) }
          return async () => ({ message: await engine.postStatus(content), media })
        },
      })
    }
    return this.sendContent(phone, key, `send-${type}`, body, capability, target.jid, body.quotedMsgId, async () => {
      const media = await resolve()
      const withCaption = body.caption !== undefined ? { caption: body.caption } : {}
      const content: OutgoingContent =
        type === 'image' || type === 'video' || type === 'file' ? { type, media, ...withCaption } : { type, media }
      return { content, media }
    }, type === 'voice' ? 'recording' : 'typing')
  }

  sendLocation(phone: string, body: SendLocationInput, key?: string): Promise<SendOutcome> {
    const chatId = this.directChat(body.chatId)
    const content: OutgoingContent = {
      type: 'location',
      latitude: body.latitude,
      longitude: body.longitude,
      ...(body.name !== undefined && { name: body.name }),
      ...(body.address !== undefined && { address: body.address }),
    }
    return this.sendContent(phone, key, 'send-location', body, 'send.location', chatId, body.quotedMsgId, async () => ({ content }))
  }

  sendContact(phone: string, body: SendContactInput, key?: string): Promise<SendOutcome> {
    const chatId = this.directChat(body.chatId)
    if ((body.contacts === undefined) === (body.vcard === undefined)) {
      throw new BadRequestError('Give either contacts (a list of {fullName, phoneNumber}) or vcard', { field: 'contacts' })
    }
    const vcards = body.vcard !== undefined ? [checkVcard(body.vcard)] : body.contacts!.map(buildVcard)
    return this.sendContent(phone, key, 'send-contact', body, 'send.contact', chatId, body.quotedMsgId, async () => ({
      content: { type: 'contact', vcards },
    }))
  }

  sendPoll(phone: string, body: SendPollInput, key?: string): Promise<SendOutcome> {
    const chatId = this.directChat(body.chatId)
    const options = body.options.map((option) => option.trim())
    if (options.some((option) => option === '')) throw new BadRequestError('options must not be blank', { field: 'options' })
    if (new Set(options).size !== options.length) throw new BadRequestError('options must be distinct', { field: 'options' })
    const content: OutgoingContent = { type: 'poll', name: body.name, options, multipleAnswers: body.multipleAnswers ?? false }
    return this.sendContent(phone, key, 'send-poll', body, 'send.poll', chatId, body.quotedMsgId, async () => ({ content }))
  }

  forward(phone: string, messageId: string, body: { chatId: string }, key?: string): Promise<SendOutcome> {
    const chatId = this.directChat(body.chatId)
    return this.send(phone, key, {
      route: `forward:${messageId}`,
      body,
      capability: 'message.forward',
      chatId,
      prepare: async (engine) => async () => ({ message: await engine.forwardMessage(messageId, chatId) }),
    })
  }

  postStatus(phone: string, body: StatusInput, key?: string): Promise<SendOutcome> {
    const requireField = (name: 'text' | 'imageUrl' | 'videoUrl' | 'audioUrl') => {
      const value = body[name]
      if (value === undefined) throw new BadRequestError(`${name} is required for a ${body.type} Status`, { field: name })
      return value
    }
    const text = body.type === 'text' ? requireField('text') : undefined
    const mediaField = body.type === 'image' ? 'imageUrl' : body.type === 'video' ? 'videoUrl' : body.type === 'voice' ? 'audioUrl' : undefined
    const mediaValue = mediaField ? requireField(mediaField) : undefined
    return this.send(phone, key, {
      route: 'status',
      body,
      // A voice note on Status is its own capability: not every engine that posts Status can.
      capability: body.type === 'voice' ? 'status.voice' : 'status.post',
      chatId: STATUS_BROADCAST,
      prepare: async (engine) => {
        if (body.type === 'text') {
          const content: StatusContent = {
            type: 'text',
            text: text!,
            ...(body.backgroundColor !== undefined && { backgroundColor: body.backgroundColor }),
            ...(body.font !== undefined && { font: body.font }),
          }
          return async () => ({ message: await engine.postStatus(content) })
        }
        const kind = body.type === 'voice' ? MEDIA_SENDS.voice.kind : body.type
        const media = await this.deps.media.resolve(kind, {
          value: mediaValue!,
          field: mediaField!,
          ...(body.mimeType !== undefined && { mimeType: body.mimeType }),
        })
        const content: StatusContent =
          body.type === 'voice'
            ? { type: 'voice', media, ...(body.backgroundColor !== undefined && { backgroundColor: body.backgroundColor }) }
            : { type: body.type, media, ...(body.caption !== undefined && { caption: body.caption }) }
        return async () => ({ message: await engine.postStatus(content), media })
      },
    })
  }

  /** Own Status posts only; the store follows through the `message.revoked` event. */
  async deleteStatus(phone: string, messageId: string): Promise<{ success: boolean }> {
    const engine = await this.sessions.requireConnected(phone, 'status.delete')
    await engine.deleteStatus(messageId)
    await this.deps.ingest.idle()
    return { success: true }
  }

  // ─── Message actions ─────────────────────────────────────────────────────

  async react(phone: string, messageId: string, emoji: string): Promise<{ success: boolean }> {
    checkEmoji(emoji)
    const engine = await this.sessions.requireConnected(phone, 'message.react')
    await engine.react(messageId, emoji)
    await this.deps.ingest.idle()
    return { success: true }
  }

  async edit(phone: string, messageId: string, text: string): Promise<{ success: boolean }> {
    const engine = await this.sessions.requireConnected(phone, 'message.edit')
    await engine.editMessage(messageId, text)
    await this.deps.ingest.idle()
    return { success: true }
  }

  async delete(phone: string, messageId: string, forEveryone: boolean): Promise<{ success: boolean }> {
    const engine = await this.sessions.requireConnected(phone, 'message.delete')
    await engine.deleteMessage(messageId, forEveryone)
    await this.deps.ingest.idle()
    // No event reports a delete "for me"; the store follows the engine here.
    if (!forEveryone) await this.deps.store.remove(phone, messageId)
    return { success: true }
  }

  async seen(phone: string, rawChatId: string): Promise<{ success: boolean }> {
    const chatId = normalizeChatId(rawChatId)
    const engine = await this.sessions.requireConnected(phone, 'chat.seen')
    await engine.markSeen(chatId)
    return { success: true }
  }

  async presence(phone: string, rawChatId: string, state: PresenceState): Promise<{ success: boolean }> {
    const chatId = this.directChat(rawChatId)
    const engine = await this.sessions.requireConnected(phone, 'chat.presence')
    await engine.setPresence(chatId, state)
    return { success: true }
  }

  // ─── Internals ───────────────────────────────────────────────────────────

  /** A chat that can take this kind of message: anything but `status@broadcast`. */
  private directChat(raw: string): string {
    const parsed = parseChatId(raw)
    if (parsed.kind === 'status') throw new BadRequestError('chatId status@broadcast only takes text, images and videos (or use POST /:phoneNumber/status)', { field: 'chatId' })
    return parsed.jid
  }

  private sendContent(
    phone: string,
    key: string | undefined,
    route: string,
    body: unknown,
    capability: Capability,
    chatId: string,
    quotedMsgId: string | undefined,
    build: () => Promise<{ content: OutgoingContent; media?: MediaFile }>,
    presence: TypingIndicator['state'] = 'typing',
  ): Promise<SendOutcome> {
    return this.send(phone, key, {
      route,
      body,
      capability,
      chatId,
      presence,
      prepare: async (engine) => {
        const { content, media } = await build()
        return async () => {
          const message = await engine.send({ chatId, content, ...(quotedMsgId !== undefined && { quotedMsgId }) })
          return { message, ...(media && { media }) }
        }
      },
    })
  }

  private async send(phone: string, key: string | undefined, plan: SendPlan): Promise<SendOutcome> {
    const outcome = await this.deps.idempotency.run(phone, key, fingerprint(plan.route, plan.body), async () => {
      const engine = await this.sessions.requireConnected(phone, plan.capability)
      const perform = await plan.prepare(engine)
      const { message, media } = await this.deps.pacer.run(phone, perform, this.typingIndicator(engine, plan))
      // One write path: the engine's own `message` event stores the message with its envelopes, in the
      // ingest's group commit; the send waits for that commit only. An engine that reports its sends
      // late (or not at all), and media bytes the event did not carry, are stored here instead.
      const stored = this.deps.ingest.messageStored(phone, message.id)
      if (!(stored && (await stored)) || media) {
        await this.deps.ingest.idle()
        await this.deps.store.ensure(phone, message, media)
      }
      return { messageId: message.id, timestamp: message.timestamp }
    })
    return { result: outcome.value, replayed: outcome.replayed }
  }

  private typingIndicator(engine: EngineSession, plan: SendPlan): TypingIndicator | undefined {
    if (!plan.presence || plan.chatId === STATUS_BROADCAST || !engine.capabilities.has('chat.presence')) return undefined
    return { state: plan.presence, set: (state) => engine.setPresence(plan.chatId, state) }
  }
}
