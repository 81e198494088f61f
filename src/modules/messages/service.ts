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
import { BadRequestError, NotSupportedError } from '../../errors'
import { isGroupJid, normalizeChatId, normalizeContactIds, parseChatId, STATUS_BROADCAST } from '../../lib/chat-id'
import { buildVcard } from '../../lib/vcard'
import { fingerprint } from '../../messaging/idempotency'
import type { ConvertInput } from '../../messaging/media-convert'
import type { MediaKind } from '../../messaging/media-input'
import type { TypingIndicator } from '../../messaging/pacer'
import { servesCapability } from '../../providers/engine'
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
  /** Capabilities this send needs besides `capability` (`send.viewOnce`); 501 when one is missing. */
  also?: Capability[]
}

/** Explicit mentions, normalized, and whether everyone in the group was asked for. */
interface CheckedMentions {
  ids: string[]
  all: boolean
}

/** `mentions` as sent: phone numbers or ids, or `"all"` for everyone in the group (400 outside a group). */
function checkMentions(raw: readonly string[] | undefined, chatId: string): CheckedMentions | undefined {
  if (!raw || raw.length === 0) return undefined
  // Dropping them silently would send something else than asked.
  if (chatId === STATUS_BROADCAST) throw new BadRequestError('A Status post takes no mentions', { field: 'mentions' })
  const all = raw.some((value) => value.trim().toLowerCase() === 'all')
  if (all && !isGroupJid(chatId)) throw new BadRequestError('mentions ["all"] mentions everyone in a group; chatId is not a group (…@g.us)', { field: 'mentions' })
  const ids = normalizeContactIds(raw.filter((value) => value.trim().toLowerCase() !== 'all'), 'mentions')
  return { ids, all }
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
    const mentions = checkMentions(body.mentions, target.jid)
    if (target.kind === 'status') {
      return this.send(phone, key, {
        route: 'send-text',
        body,
        capability: 'status.post',
        chatId: target.jid,
        prepare: async (engine) => async () => ({ message: await engine.postStatus({ type: 'text', text: body.text }) }),
      })
    }
    return this.sendContent(phone, key, 'send-text', body, 'send.text', target.jid, body.quotedMsgId, async (engine) => {
      const mentioned = await this.expandMentions(engine, target.jid, mentions)
      const content: OutgoingContent = {
        type: 'text',
        text: body.text,
        ...(mentioned?.length && { mentions: mentioned }),
        ...(body.linkPreview !== undefined && { linkPreview: body.linkPreview }),
      }
      return { content }
    })
  }

  sendMedia(phone: string, type: MediaSendType, body: MediaSendInput, key?: string): Promise<SendOutcome> {
    const { field, capability, kind } = MEDIA_SENDS[type]
    const target = parseChatId(body.chatId)
    const value = body[field]
    if (typeof value !== 'string') throw new BadRequestError(`${field} is required`, { field })
    const viewOnce = body.viewOnce === true
    if (viewOnce && type !== 'image' && type !== 'video' && type !== 'voice') throw new BadRequestError('viewOnce applies to images, videos and voice notes only', { field: 'viewOnce' })
    const mentions = checkMentions(body.mentions as string[] | undefined, target.jid)
    if (mentions && type !== 'image' && type !== 'video') throw new BadRequestError('mentions apply to text and to the captions of images and videos', { field: 'mentions' })
    if (mentions && body.caption === undefined) throw new BadRequestError('mentions need a caption to put the @mentions in', { field: 'mentions' })
    const resolve = async () =>
      this.deps.media.resolve(kind, {
        value,
        field,
        ...(body.mimeType !== undefined && { mimeType: body.mimeType }),
        ...(body.filename !== undefined && { filename: body.filename }),
      })
    if (target.kind === 'status') {
      if (type !== 'image' && type !== 'video') throw new BadRequestError('Only text, images and videos can be posted to Status', { field: 'chatId' })
      if (viewOnce) throw new BadRequestError('A Status cannot be view-once', { field: 'viewOnce' })
      return this.send(phone, key, {
        route: `send-${type}`,
        body,
        capability: 'status.post',
        chatId: target.jid,
        prepare: async (engine) => {
          const resolved = await resolve()
          const media = type === 'video' ? await this.deps.convert.playableVideo(this.convertInput(resolved, field, 'video')) : resolved
          const content: StatusContent = { type, media, ...(body.caption !== undefined && { caption: body.caption }) }
          return async () => ({ message: await engine.postStatus(content), media })
        },
      })
    }
    return this.sendContent(
      phone,
      key,
      `send-${type}`,
      body,
      capability,
      target.jid,
      body.quotedMsgId,
      async (engine) => {
        const mentioned = await this.expandMentions(engine, target.jid, mentions)
        const resolved = await resolve()
        const withCaption = {
          ...(body.caption !== undefined && { caption: body.caption }),
          ...(mentioned?.length && { mentions: mentioned }),
          ...(viewOnce && { viewOnce: true }),
        }
        switch (type) {
          case 'voice': {
            const note = await this.deps.convert.voiceNote(this.convertInput(resolved, field, 'audio'))
            return { content: { type, media: note.media, durationSeconds: note.durationSeconds, waveform: note.waveform, ...(viewOnce && { viewOnce: true }) }, media: note.media }
          }
          case 'video': {
            const media = await this.deps.convert.playableVideo(this.convertInput(resolved, field, 'video'))
            return { content: { type, media, ...withCaption }, media }
          }
          case 'sticker': {
            const media = await this.deps.convert.sticker(this.convertInput(resolved, field, 'sticker'))
            return { content: { type, media }, media }
          }
          case 'image':
            return { content: { type, media: resolved, ...withCaption }, media: resolved }
          case 'file':
            return { content: { type, media: resolved, ...(body.caption !== undefined && { caption: body.caption }) }, media: resolved }
          case 'audio':
            return { content: { type, media: resolved }, media: resolved }
        }
      },
      type === 'voice' ? 'recording' : 'typing',
      viewOnce ? ['send.viewOnce'] : [],
    )
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
        const resolved = await this.deps.media.resolve(kind, {
          value: mediaValue!,
          field: mediaField!,
          ...(body.mimeType !== undefined && { mimeType: body.mimeType }),
        })
        // Status voice notes and videos are converted as their chat sends are.
        const media =
          body.type === 'video'
            ? await this.deps.convert.playableVideo(this.convertInput(resolved, mediaField!, 'video'))
            : body.type === 'voice'
              ? (await this.deps.convert.voiceNote(this.convertInput(resolved, mediaField!, 'audio'))).media
              : resolved
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

  private convertInput(media: MediaFile, field: string, kind: MediaKind): ConvertInput {
    return { media, field, maxBytes: this.deps.media.limits[kind] }
  }

  /** `["all"]` (with or without other ids): every other participant of the group, asked of the engine at send time. */
  private async expandMentions(engine: EngineSession, chatId: string, mentions: CheckedMentions | undefined): Promise<string[] | undefined> {
    if (!mentions) return undefined
    if (!mentions.all) return mentions.ids
    if (!servesCapability(engine, 'groups.get')) throw new NotSupportedError(engine.engine, 'groups.get (needed to mention everyone)')
    const group = await engine.getGroup(chatId)
    const me = engine.snapshot().me?.id
    const everyone = group.participants.map((participant) => participant.id).filter((id) => id !== me)
    return [...new Set([...everyone, ...mentions.ids])]
  }

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
    build: (engine: EngineSession) => Promise<{ content: OutgoingContent; media?: MediaFile }>,
    presence: TypingIndicator['state'] = 'typing',
    also: Capability[] = [],
  ): Promise<SendOutcome> {
    return this.send(phone, key, {
      route,
      body,
      capability,
      also,
      chatId,
      presence,
      prepare: async (engine) => {
        const { content, media } = await build(engine)
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
      const missing = plan.also?.find((capability) => !servesCapability(engine, capability))
      if (missing) throw new NotSupportedError(engine.engine, missing)
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
