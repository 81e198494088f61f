/**
 * The failure paths of every §5–§6 route, through HTTP: 401 without credentials, 404 for
 * an unknown session, 409 CLIENT_NOT_READY before pairing, 501 on an engine without the
 * capability, 400 naming the field for bad input, 404 for unknown chats, messages,
 * contacts and groups, 413 for oversized media.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import {
  ACK,
  BaseEngineSession,
  type Capability,
  type MessageDTO,
  type EngineContext,
  type EngineFactory,
  type SendRequest,
  type SessionSnapshot,
} from '../../src/providers/engine'
import { createTestServer, waitFor, type TestServer, testEngine } from '../helpers/app'
import { A, B, jid, PNG_BASE64, sendText } from '../helpers/whatsapp'

const GROUP = '120363000000000001@g.us'
const MSG = `true_${jid(B)}_3EB0AAAAAAAAAAAAAAAA`
const CHANNEL = '120363000000000009@newsletter'

interface RouteCase {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  path: string
  body?: Record<string, unknown>
  /** The capability the route needs; none for store-backed routes. */
  capability?: Capability
}

/** Every §5–§6 route, with a valid body. */
const ROUTES: RouteCase[] = [
  { method: 'POST', path: 'send-text', body: { chatId: B, text: 'hi' }, capability: 'send.text' },
  { method: 'POST', path: 'send-image', body: { chatId: B, imageUrl: PNG_BASE64, mimeType: 'image/png' }, capability: 'send.image' },
  { method: 'POST', path: 'send-file', body: { chatId: B, fileUrl: PNG_BASE64, mimeType: 'image/png' }, capability: 'send.file' },
  { method: 'POST', path: 'send-video', body: { chatId: B, videoUrl: 'AAAAGGZ0eXBtcDQy', mimeType: 'video/mp4' }, capability: 'send.video' },
  { method: 'POST', path: 'send-voice', body: { chatId: B, audioUrl: 'T2dnUwAC', mimeType: 'audio/ogg' }, capability: 'send.voice' },
  { method: 'POST', path: 'send-audio', body: { chatId: B, audioUrl: 'SUQzBAAA', mimeType: 'audio/mpeg' }, capability: 'send.audio' },
  { method: 'POST', path: 'send-sticker', body: { chatId: B, stickerUrl: PNG_BASE64, mimeType: 'image/png' }, capability: 'send.sticker' },
  { method: 'POST', path: 'send-location', body: { chatId: B, latitude: 1, longitude: 2 }, capability: 'send.location' },
  { method: 'POST', path: 'send-contact', body: { chatId: B, contacts: [{ fullName: 'X', phoneNumber: '966500000009' }] }, capability: 'send.contact' },
  { method: 'POST', path: 'send-poll', body: { chatId: B, name: 'Q', options: ['a', 'b'] }, capability: 'send.poll' },
  { method: 'POST', path: `messages/${MSG}/react`, body: { emoji: '👍' }, capability: 'message.react' },
  { method: 'POST', path: `messages/${MSG}/edit`, body: { text: 'x' }, capability: 'message.edit' },
  { method: 'POST', path: `messages/${MSG}/delete`, body: { forEveryone: true }, capability: 'message.delete' },
  { method: 'POST', path: `messages/${MSG}/forward`, body: { chatId: B }, capability: 'message.forward' },
  { method: 'POST', path: `chat/${jid(B)}/seen`, capability: 'chat.seen' },
  { method: 'POST', path: `chat/${jid(B)}/presence`, body: { state: 'typing' }, capability: 'chat.presence' },
  { method: 'POST', path: 'status', body: { type: 'text', text: 'hi' }, capability: 'status.post' },
  { method: 'GET', path: 'chats', capability: 'chats.list' },
  { method: 'GET', path: `chat/${jid(B)}`, capability: 'chats.get' },
  { method: 'GET', path: `messages/${jid(B)}` },
  { method: 'GET', path: `messages/${jid(B)}/${MSG}/media` },
  { method: 'GET', path: 'contacts', capability: 'contacts.list' },
  { method: 'GET', path: `contact/${jid(B)}`, capability: 'contacts.get' },
  { method: 'GET', path: `contact/${jid(B)}/profile-picture`, capability: 'contacts.profilePicture' },
  { method: 'GET', path: `contact/${B}/exists`, capability: 'contacts.exists' },
  { method: 'POST', path: 'contact/block', body: { contactId: B }, capability: 'contacts.block' },
  { method: 'POST', path: 'contact/unblock', body: { contactId: B }, capability: 'contacts.block' },
  { method: 'GET', path: 'groups', capability: 'groups.list' },
  { method: 'POST', path: 'group/create', body: { name: 'G', participants: [B] }, capability: 'groups.create' },
  { method: 'GET', path: `group/${GROUP}`, capability: 'groups.get' },
  { method: 'PUT', path: `group/${GROUP}`, body: { subject: 'S' }, capability: 'groups.update' },
  { method: 'POST', path: `group/${GROUP}/leave`, capability: 'groups.leave' },
  { method: 'POST', path: `group/${GROUP}/participants/add`, body: { participants: [B] }, capability: 'groups.participants' },
  { method: 'POST', path: `group/${GROUP}/participants/remove`, body: { participants: [B] }, capability: 'groups.participants' },
  { method: 'POST', path: `group/${GROUP}/participants/promote`, body: { participants: [B] }, capability: 'groups.participants' },
  { method: 'POST', path: `group/${GROUP}/participants/demote`, body: { participants: [B] }, capability: 'groups.participants' },
  { method: 'GET', path: `group/${GROUP}/invite-link`, capability: 'groups.inviteLink' },
  { method: 'PUT', path: `group/${GROUP}/picture`, body: { imageUrl: PNG_BASE64, mimeType: 'image/png' }, capability: 'groups.picture' },
  { method: 'GET', path: 'profile', capability: 'profile.get' },
  { method: 'PUT', path: 'profile/name', body: { name: 'N' }, capability: 'profile.name' },
  { method: 'PUT', path: 'profile/status', body: { status: 'S' }, capability: 'profile.status' },
  { method: 'PUT', path: 'profile/picture', body: { imageUrl: PNG_BASE64, mimeType: 'image/png' }, capability: 'profile.picture' },
  // §12 chat and message actions
  { method: 'POST', path: `chat/${jid(B)}/archive`, capability: 'chats.archive' },
  { method: 'POST', path: `chat/${jid(B)}/unarchive`, capability: 'chats.archive' },
  { method: 'POST', path: `chat/${jid(B)}/pin`, capability: 'chats.pin' },
  { method: 'POST', path: `chat/${jid(B)}/unpin`, capability: 'chats.pin' },
  { method: 'POST', path: `chat/${jid(B)}/unread`, capability: 'chats.unread' },
  { method: 'POST', path: `chat/${jid(B)}/mute`, body: {}, capability: 'chats.mute' },
  { method: 'POST', path: `chat/${jid(B)}/unmute`, capability: 'chats.mute' },
  { method: 'POST', path: `chat/${jid(B)}/clear`, capability: 'chats.clear' },
  { method: 'DELETE', path: `chat/${jid(B)}`, capability: 'chats.delete' },
  { method: 'GET', path: `messages/${jid(B)}/${MSG}` },
  { method: 'POST', path: `messages/${MSG}/star`, capability: 'message.star' },
  { method: 'POST', path: `messages/${MSG}/unstar`, capability: 'message.star' },
  { method: 'POST', path: `messages/${MSG}/pin`, body: { duration: 86400 }, capability: 'message.pin' },
  { method: 'POST', path: `messages/${MSG}/unpin`, capability: 'message.pin' },
  { method: 'POST', path: `messages/${MSG}/vote`, body: { options: ['a'] }, capability: 'poll.vote' },
  { method: 'GET', path: `messages/${MSG}/votes`, capability: 'poll.votes' },
  // §12 labels, calls, channels (issue 13 part B)
  { method: 'GET', path: 'labels', capability: 'labels.list' },
  { method: 'POST', path: 'labels', body: { name: 'VIP' }, capability: 'labels.manage' },
  { method: 'PUT', path: 'labels/1', body: { name: 'VIP' }, capability: 'labels.manage' },
  { method: 'DELETE', path: 'labels/1', capability: 'labels.manage' },
  { method: 'GET', path: 'labels/1/chats', capability: 'labels.chats' },
  { method: 'PUT', path: `chat/${jid(B)}/labels`, body: { labelIds: ['1'] }, capability: 'labels.assign' },
  { method: 'POST', path: 'calls/ABCDEF0123456789/reject', capability: 'calls.reject' },
  { method: 'GET', path: 'channels', capability: 'channels.list' },
  { method: 'POST', path: 'channels', body: { name: 'News' }, capability: 'channels.create' },
  { method: 'GET', path: `channels/${CHANNEL}`, capability: 'channels.get' },
  { method: 'DELETE', path: `channels/${CHANNEL}`, capability: 'channels.delete' },
  { method: 'POST', path: `channels/${CHANNEL}/follow`, capability: 'channels.follow' },
  { method: 'POST', path: `channels/${CHANNEL}/unfollow`, capability: 'channels.follow' },
  { method: 'POST', path: `channels/${CHANNEL}/mute`, capability: 'channels.mute' },
  { method: 'POST', path: `channels/${CHANNEL}/unmute`, capability: 'channels.mute' },
  // §12 part A: invites, membership requests, contacts, presence, profile and Status extras
  { method: 'POST', path: 'group/join', body: { invite: 'https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv' }, capability: 'groups.join' },
  { method: 'GET', path: 'group/invite/AbCdEfGhIjKlMnOpQrStUv', capability: 'groups.inviteInfo' },
  { method: 'POST', path: `group/${GROUP}/invite-link/revoke`, capability: 'groups.inviteRevoke' },
  { method: 'GET', path: `group/${GROUP}/picture`, capability: 'contacts.profilePicture' },
  { method: 'DELETE', path: `group/${GROUP}/picture`, capability: 'groups.pictureDelete' },
  { method: 'GET', path: `group/${GROUP}/participants`, capability: 'groups.get' },
  { method: 'GET', path: `group/${GROUP}/requests`, capability: 'groups.requests' },
  { method: 'POST', path: `group/${GROUP}/requests/approve`, body: { participants: [B] }, capability: 'groups.requestsReview' },
  { method: 'POST', path: `group/${GROUP}/requests/reject`, body: { participants: [B] }, capability: 'groups.requestsReview' },
  { method: 'GET', path: `contact/${jid(B)}/about`, capability: 'contacts.about' },
  { method: 'PUT', path: `contact/${jid(B)}`, body: { firstName: 'Sara' }, capability: 'contacts.save' },
  { method: 'POST', path: 'contacts/check', body: { numbers: [B] }, capability: 'contacts.exists' },
  { method: 'POST', path: 'presence', body: { state: 'online' }, capability: 'presence.set' },
  { method: 'DELETE', path: 'profile/picture', capability: 'profile.pictureDelete' },
  { method: 'DELETE', path: 'status/true_status@broadcast_3EB0AAAAAAAAAAAAAAAA', capability: 'status.delete' },
  { method: 'POST', path: 'status', body: { type: 'voice', audioUrl: 'T2dnUwAC', mimeType: 'audio/ogg' }, capability: 'status.voice' },
]

function label(route: RouteCase): string {
  return `${route.method} /:phoneNumber/${route.path}`
}

// ─── A tiny engine that can only send text ───────────────────────────────────

class TextOnlySession extends BaseEngineSession {
  readonly engine = 'text-only'
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>(['send.text'])
  private status: SessionSnapshot['status'] = 'STOPPED'
  private counter = 0

  constructor(private readonly context: EngineContext) {
    super()
  }

  snapshot(): SessionSnapshot {
    return { status: this.status, me: { id: jid(this.context.phoneNumber) } }
  }

  async start(): Promise<void> {
    this.status = 'WORKING'
    this.context.emit({ type: 'session.status', status: 'WORKING' })
  }

  async stop(): Promise<void> {
    this.status = 'STOPPED'
  }

  async logout(): Promise<void> {
    this.status = 'STOPPED'
  }

  override async send(request: SendRequest): Promise<MessageDTO> {
    if (request.content.type !== 'text') return this.unsupported(`sending ${request.content.type} messages`)
    const message: MessageDTO = {
      id: `true_${request.chatId}_TEXTONLY${++this.counter}`,
      timestamp: Math.floor(Date.now() / 1000),
      chatId: request.chatId,
      from: jid(this.context.phoneNumber),
      to: request.chatId,
      fromMe: true,
      type: 'text',
      body: request.content.text,
      hasMedia: false,
      ack: ACK.SERVER,
    }
    // Like a real engine, it reports its own send later than the call returns.
    setTimeout(() => this.context.emit({ type: 'message', message }), 5)
    return message
  }
}

const textOnlyFactory: EngineFactory = {
  engine: 'text-only',
  capabilities: new Set<Capability>(['send.text']),
  create: (context) => new TextOnlySession(context),
}

// ─── Tests ───────────────────────────────────────────────────────────────────

let server: TestServer

describe('every route, before and without a session', () => {
  beforeAll(async () => {
    server = await createTestServer()
    await server.call('POST', `/${A}/start`) // A waits for its QR scan: not connected
  })
  afterAll(async () => {
    await server.close()
  })

  for (const route of ROUTES) {
    test(`${label(route)}: 401 without credentials, 404 for an unknown session, 409 before pairing`, async () => {
      const options = route.body ? { body: route.body } : {}
      const anonymous = await server.call(route.method, `/${A}/${route.path}`, { ...options, key: null })
      expect(anonymous.status).toBe(401)

      const unknown = await server.call(route.method, `/966599999999/${route.path}`, options)
      expect(unknown.status).toBe(404)
      expect(unknown.body).toMatchObject({ code: 'NOT_FOUND' })

      const early = await server.call(route.method, `/${A}/${route.path}`, options)
      expect(early.status).toBe(409)
      expect(early.body).toMatchObject({ code: 'CLIENT_NOT_READY', statusCode: 409, details: { state: 'AUTHENTICATING' } })

      const badNumber = await server.call(route.method, `/12ab/${route.path}`, options)
      expect(badNumber.status).toBe(400)
    })
  }
})

describe('an engine without the capability answers 501', () => {
  beforeAll(async () => {
    server = await createTestServer({}, { addEngines: [testEngine('text-only', () => textOnlyFactory)] })
    const started = await server.call('POST', `/${A}/start`, { body: { engine: 'text-only' } })
    expect(started.body.status).toBe('WORKING')
  })
  afterAll(async () => {
    await server.close()
  })

  for (const route of ROUTES.filter((r) => r.capability && r.capability !== 'send.text')) {
    test(`${label(route)} → 501 naming ${route.capability}`, async () => {
      const response = await server.call(route.method, `/${A}/${route.path}`, route.body ? { body: route.body } : {})
      expect(response.status).toBe(501)
      expect(response.body).toMatchObject({ code: 'NOT_SUPPORTED', details: { engine: 'text-only', feature: route.capability } })
    })
  }

  test('call settings: automatic rejection needs calls.reject (501); the settings themselves are kept', async () => {
    const refused = await server.call('PUT', `/${A}/settings`, { body: { rejectCalls: true } })
    expect(refused.status).toBe(501)
    expect(refused.body).toMatchObject({ code: 'NOT_SUPPORTED', details: { engine: 'text-only', feature: 'calls.reject' } })
    expect((await server.call('GET', `/${A}/settings`)).body).toEqual({ rejectCalls: false, rejectCallsMessage: null })
    expect((await server.call('PUT', `/${A}/settings`, { body: { rejectCallsMessage: 'Busy' } })).status).toBe(200)
  })

  test('status@broadcast through send-text needs status.post: 501', async () => {
    const response = await server.call('POST', `/${A}/send-text`, { body: { chatId: 'status@broadcast', text: 'hi' } })
    expect(response.status).toBe(501)
    expect(response.body.details).toMatchObject({ feature: 'status.post' })
  })

  test('history and media come from the message store, so they work on this engine too', async () => {
    const id = await sendText(server, A, B, 'from a text-only engine')
    const history = await server.call<{ messages: Array<{ id: string; body: string }> }>('GET', `/${A}/messages/${B}`)
    expect(history.status).toBe(200)
    expect(history.body.messages.map((m) => [m.id, m.body])).toEqual([[id, 'from a text-only engine']])
    // The engine reported its send late; the row is completed, not duplicated.
    await Bun.sleep(20)
    expect((await server.call<{ messages: unknown[] }>('GET', `/${A}/messages/${B}`)).body.messages).toHaveLength(1)
    expect((await server.call('GET', `/${A}/messages/${B}/${id}/media`)).status).toBe(404)
    // With no chats.get, an unknown chat is simply empty.
    expect((await server.call('GET', `/${A}/messages/966511111111`)).body).toEqual({ messages: [], hasMore: false })
  })
})

describe('bad input: 400 naming the field', () => {
  beforeAll(async () => {
    server = await createTestServer()
    await server.link(A)
  })
  afterAll(async () => {
    await server.close()
  })

  const cases: Array<[string, RouteCase['method'], string, unknown, string]> = [
    ['missing chatId', 'POST', 'send-text', { text: 'hi' }, 'chatId'],
    ['bad chatId', 'POST', 'send-text', { chatId: 'hello', text: 'hi' }, 'chatId'],
    ['chatId on another server', 'POST', 'send-text', { chatId: `${B}@s.whatsapp.net`, text: 'hi' }, 'chatId'],
    ['empty text', 'POST', 'send-text', { chatId: B, text: '' }, 'text'],
    ['text of the wrong type', 'POST', 'send-text', { chatId: B, text: 42 }, 'text'],
    ['bad quotedMsgId', 'POST', 'send-text', { chatId: B, text: 'hi', quotedMsgId: 'nope' }, 'quotedMsgId'],
    ['bad mention', 'POST', 'send-text', { chatId: B, text: 'hi', mentions: ['bob'] }, 'mentions[0]'],
    ['missing imageUrl', 'POST', 'send-image', { chatId: B }, 'imageUrl'],
    ['base64 without mimeType', 'POST', 'send-image', { chatId: B, imageUrl: PNG_BASE64 }, 'mimeType'],
    ['broken base64', 'POST', 'send-image', { chatId: B, imageUrl: 'iVBOR*w0K', mimeType: 'image/png' }, 'imageUrl'],
    ['broken data URL', 'POST', 'send-image', { chatId: B, imageUrl: 'data:image/png;base64,@@@' }, 'imageUrl'],
    ['a file URL', 'POST', 'send-image', { chatId: B, imageUrl: 'file:///etc/passwd' }, 'imageUrl'],
    ['an ftp URL', 'POST', 'send-file', { chatId: B, fileUrl: 'ftp://example.com/x.pdf' }, 'fileUrl'],
    ['a PDF as image', 'POST', 'send-image', { chatId: B, imageUrl: 'data:application/pdf;base64,JVBERi0xLjQK' }, 'imageUrl'],
    ['a malformed mimeType', 'POST', 'send-image', { chatId: B, imageUrl: PNG_BASE64, mimeType: 'png' }, 'mimeType'],
    ['latitude out of range', 'POST', 'send-location', { chatId: B, latitude: 91, longitude: 0 }, 'latitude'],
    ['contacts and vcard together', 'POST', 'send-contact', { chatId: B, vcard: 'BEGIN:VCARD\nFN:X\nEND:VCARD', contacts: [{ fullName: 'X', phoneNumber: '966500000009' }] }, 'contacts'],
    ['neither contacts nor vcard', 'POST', 'send-contact', { chatId: B }, 'contacts'],
    ['not a vcard', 'POST', 'send-contact', { chatId: B, vcard: 'hello' }, 'vcard'],
    ['a bad contact number', 'POST', 'send-contact', { chatId: B, contacts: [{ fullName: 'X', phoneNumber: 'abc' }] }, 'phoneNumber'],
    ['one poll option', 'POST', 'send-poll', { chatId: B, name: 'Q', options: ['a'] }, 'options'],
    ['13 poll options', 'POST', 'send-poll', { chatId: B, name: 'Q', options: Array.from({ length: 13 }, (_, i) => `o${i}`) }, 'options'],
    ['duplicate poll options', 'POST', 'send-poll', { chatId: B, name: 'Q', options: ['a', 'a'] }, 'options'],
    ['not an emoji', 'POST', `messages/${MSG}/react`, { emoji: 'yes' }, 'emoji'],
    ['two emojis', 'POST', `messages/${MSG}/react`, { emoji: '👍👍' }, 'emoji'],
    ['empty edit', 'POST', `messages/${MSG}/edit`, { text: '' }, 'text'],
    ['forEveryone not boolean', 'POST', `messages/${MSG}/delete`, { forEveryone: 'yes' }, 'forEveryone'],
    ['forward without chatId', 'POST', `messages/${MSG}/forward`, {}, 'chatId'],
    ['bad message id in path', 'POST', 'messages/hello/react', { emoji: '👍' }, 'messageId'],
    ['unknown presence', 'POST', `chat/${B}/presence`, { state: 'dancing' }, 'state'],
    ['bad chat id in path', 'POST', 'chat/hello/seen', undefined, 'chatId'],
    ['status without text', 'POST', 'status', { type: 'text' }, 'text'],
    ['status image without imageUrl', 'POST', 'status', { type: 'image' }, 'imageUrl'],
    ['unknown status type', 'POST', 'status', { type: 'audio' }, 'type'],
    ['location to Status', 'POST', 'send-location', { chatId: 'status@broadcast', latitude: 1, longitude: 1 }, 'chatId'],
    ['page 0', 'GET', 'chats?page=0', undefined, 'page'],
    ['limit 201', 'GET', `messages/${B}?limit=201`, undefined, 'limit'],
    ['bad cursor', 'GET', `messages/${B}?before=xyz`, undefined, 'before'],
    ['bad contact id', 'GET', 'contact/bob', undefined, 'contactId'],
    ['a group as contact', 'POST', 'contact/block', { contactId: GROUP }, 'contactId'],
    ['bad number to check', 'GET', 'contact/12ab/exists', undefined, 'number'],
    ['group without name', 'POST', 'group/create', { participants: [B] }, 'name'],
    ['group without participants', 'POST', 'group/create', { name: 'G', participants: [] }, 'participants'],
    ['profile name too long', 'PUT', 'profile/name', { name: 'x'.repeat(26) }, 'name'],
    ['about too long', 'PUT', 'profile/status', { status: 'x'.repeat(140) }, 'status'],
    ['profile picture not an image', 'PUT', 'profile/picture', { imageUrl: 'data:text/plain;base64,aGVsbG8=' }, 'imageUrl'],
    ['pin for 2 hours', 'POST', `messages/${MSG}/pin`, { duration: 7200 }, 'duration'],
    ['pin without duration', 'POST', `messages/${MSG}/pin`, {}, 'duration'],
    ['mute until not a date', 'POST', `chat/${B}/mute`, { until: 'tomorrow' }, 'until'],
    ['mute until in the past', 'POST', `chat/${B}/mute`, { until: '2001-01-01T00:00:00Z' }, 'until'],
    ['vote not a list', 'POST', `messages/${MSG}/vote`, { options: 'a' }, 'options'],
    ['bad chat id to archive', 'POST', 'chat/hello/archive', undefined, 'chatId'],
    ['bad label filter', 'GET', `chats?labelId=${'x'.repeat(65)}`, undefined, 'labelId'],
  ]

  for (const [name, method, path, body, field] of cases) {
    test(`${method} /${path.split('?')[0]}: ${name}`, async () => {
      const response = await server.call(method, `/${A}/${path}`, body === undefined ? {} : { body })
      expect(response.status).toBe(400)
      expect(response.body).toMatchObject({ code: 'BAD_REQUEST', statusCode: 400 })
      expect(String(response.body.error)).toContain(field)
    })
  }

  test('malformed JSON is a 400', async () => {
    const response = await server.call('POST', `/${A}/send-text`, { rawBody: '{"chatId": ' })
    expect(response.status).toBe(400)
  })
})

describe('unknown chats, messages and contacts: 404', () => {
  beforeEach(async () => {
    server = await createTestServer()
    await server.link(A)
    await server.link(B)
  })
  afterEach(async () => {
    await server.close()
  })

  test('a chat the number does not have', async () => {
    for (const [method, path] of [
      ['GET', `chat/966511111111`],
      ['GET', `messages/966511111111`],
      ['POST', `chat/966511111111/seen`],
      ['GET', `chat/${GROUP}`],
      ['GET', `messages/${GROUP}`],
    ] as const) {
      const response = await server.call(method, `/${A}/${path}`)
      expect(response.status, `${method} ${path}`).toBe(404)
      expect(response.body).toMatchObject({ code: 'NOT_FOUND' })
    }
  })

  test('a message the number does not have', async () => {
    const id = await sendText(server, A, B, 'hello')
    for (const [path, body] of [
      [`messages/${MSG}/react`, { emoji: '👍' }],
      [`messages/${MSG}/edit`, { text: 'x' }],
      [`messages/${MSG}/delete`, { forEveryone: true }],
      [`messages/${MSG}/forward`, { chatId: B }],
      ['send-text', { chatId: B, text: 'reply', quotedMsgId: MSG }],
    ] as const) {
      const response = await server.call('POST', `/${A}/${path}`, { body })
      expect(response.status, path).toBe(404)
    }
    expect((await server.call('GET', `/${A}/messages/${B}?before=${MSG}`)).status).toBe(404)
    expect((await server.call('GET', `/${A}/messages/${B}/${MSG}/media`)).status).toBe(404)
    // A message of another chat is not found under this chat.
    expect((await server.call('GET', `/${A}/messages/966511111111/${id}/media`)).status).toBe(404)
    // A text message has no media.
    const noMedia = await server.call('GET', `/${A}/messages/${B}/${id}/media`)
    expect(noMedia.status).toBe(404)
    expect(noMedia.body.error).toContain('no media')
    // Quoting a message of another chat is a 404 too.
    await server.call('POST', `/${A}/sandbox/incoming`, { body: { from: '966511111111', text: 'x' } })
    expect((await server.call('POST', `/${A}/send-text`, { body: { chatId: '966511111111', text: 'r', quotedMsgId: id } })).status).toBe(404)
  })

  test('rules of WhatsApp: editing and deleting for everyone only your own messages', async () => {
    await sendText(server, B, A, 'from B')
    await waitFor(async () => (await server.call<{ messages: unknown[] }>('GET', `/${A}/messages/${B}`)).body.messages.length === 1)
    const theirs = (await server.call<{ messages: Array<{ id: string }> }>('GET', `/${A}/messages/${B}`)).body.messages[0]!.id
    expect((await server.call('POST', `/${A}/messages/${theirs}/edit`, { body: { text: 'mine now' } })).status).toBe(400)
    expect((await server.call('POST', `/${A}/messages/${theirs}/delete`, { body: { forEveryone: true } })).status).toBe(400)
    const location = await server.call<{ messageId: string }>('POST', `/${A}/send-location`, { body: { chatId: B, latitude: 1, longitude: 1 } })
    expect((await server.call('POST', `/${A}/messages/${location.body.messageId}/edit`, { body: { text: 'x' } })).status).toBe(400)
  })

  test('a contact the number does not know', async () => {
    expect((await server.call('GET', `/${A}/contact/966511111111`)).status).toBe(404)
    expect((await server.call('GET', `/${A}/contact/966511111111/profile-picture`)).status).toBe(404)
    expect((await server.call('GET', `/${A}/contact/123456789@lid`)).status).toBe(404)
  })
})

describe('media over the limit: 413', () => {
  const LIMIT = 64
  const over = Buffer.alloc(LIMIT + 1, 7).toString('base64')
  beforeAll(async () => {
    server = await createTestServer({
      MEDIA_MAX_IMAGE_BYTES: String(LIMIT),
      MEDIA_MAX_VIDEO_BYTES: String(LIMIT),
      MEDIA_MAX_AUDIO_BYTES: String(LIMIT),
      MEDIA_MAX_DOCUMENT_BYTES: String(LIMIT),
      MEDIA_MAX_STICKER_BYTES: String(LIMIT),
    })
    await server.link(A)
  })
  afterAll(async () => {
    await server.close()
  })

  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['send-image', { chatId: B, imageUrl: over, mimeType: 'image/png' }, 'imageUrl'],
    ['send-file', { chatId: B, fileUrl: `data:application/pdf;base64,${over}` }, 'fileUrl'],
    ['send-video', { chatId: B, videoUrl: over, mimeType: 'video/mp4' }, 'videoUrl'],
    ['send-voice', { chatId: B, audioUrl: over, mimeType: 'audio/ogg' }, 'audioUrl'],
    ['send-audio', { chatId: B, audioUrl: over, mimeType: 'audio/mpeg' }, 'audioUrl'],
    ['send-sticker', { chatId: B, stickerUrl: over, mimeType: 'image/webp' }, 'stickerUrl'],
    ['status', { type: 'video', videoUrl: over, mimeType: 'video/mp4' }, 'videoUrl'],
    ['profile/picture', { imageUrl: over, mimeType: 'image/png' }, 'imageUrl'],
  ]
  for (const [path, body, field] of cases) {
    test(`${path}: decoded media one byte over the limit`, async () => {
      const response = await server.call(path === 'profile/picture' ? 'PUT' : 'POST', `/${A}/${path}`, { body })
      expect(response.status).toBe(413)
      expect(response.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { field, limit: LIMIT } })
    })
  }

  test('exactly at the limit passes, and nothing over it was sent', async () => {
    const atLimit = Buffer.alloc(LIMIT, 7).toString('base64')
    const ok = await server.call('POST', `/${A}/send-file`, { body: { chatId: B, fileUrl: atLimit, mimeType: 'application/octet-stream' } })
    expect(ok.status).toBe(200)
    const history = await server.call<{ messages: Array<{ type: string }> }>('GET', `/${A}/messages/${B}`)
    expect(history.body.messages.map((m) => m.type)).toEqual(['document'])
  })

  test('the sticker limit is WhatsApp\'s 500 KB by default', async () => {
    const defaults = await createTestServer()
    try {
      await defaults.link(A)
      expect(defaults.config.mediaLimits.sticker).toBe(500 * 1024)
      const big = Buffer.alloc(500 * 1024 + 1, 1).toString('base64')
      const response = await defaults.call('POST', `/${A}/send-sticker`, { body: { chatId: B, stickerUrl: big, mimeType: 'image/webp' } })
      expect(response.status).toBe(413)
    } finally {
      await defaults.close()
    }
  })
})
