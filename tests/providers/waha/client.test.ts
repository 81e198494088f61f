import { afterEach, beforeEach, describe, expect, test } from 'bun:test'

import {
  BadRequestError,
  ClientNotReadyError,
  NotFoundError,
  NotSupportedError,
  PayloadTooLargeError,
  UpstreamError,
} from '../../../src/errors'
import {
  buildCallbackWebhooks,
  buildVcard,
  mapWahaFailure,
  messageIdOf,
  WahaClient,
} from '../../../src/providers/waha/client'
import { loadWahaOpenApi } from '../../helpers/waha-openapi'
import { startWahaStandin, type WahaStandin } from '../../helpers/waha-standin'

const API_KEY = 'waha-test-key'
const SESSION = '966500000001'
const CHAT = '966500000002@c.us'
const GROUP = '120363000000000001@g.us'
const MESSAGE = `true_${CHAT}_3EB0C767D26A1D2B8F`
const IMAGE = { mimetype: 'image/jpeg', filename: 'photo.jpg', url: 'https://example.com/photo.jpg' }

let standin: WahaStandin
let client: WahaClient

beforeEach(() => {
  standin = startWahaStandin({ apiKey: API_KEY, sessions: [SESSION] })
  client = new WahaClient({ baseUrl: standin.url, apiKey: API_KEY, timeoutMs: 5_000 })
})

afterEach(async () => {
  await standin.close()
})

/** Runs one client call and checks it reached exactly `operationId`, with no validation error. */
async function expectOperation<T>(operationId: string, call: () => Promise<T>): Promise<T> {
  const before = standin.calls.length
  const result = await call()
  expect(standin.errors).toEqual([])
  expect(standin.calls.slice(before).map((c) => c.operationId)).toEqual([operationId])
  return result
}

describe('WahaClient against the OpenAPI-validating stand-in', () => {
  test('every method sends a request the WAHA document accepts', async () => {
    const s = SESSION
    const webhooks = buildCallbackWebhooks({
      callbackBaseUrl: 'http://gateway:3000/api/whatsapp/',
      apiKey: 'gateway-waha-key',
      hmacKey: 'hmac-secret',
      retries: { policy: 'exponential', attempts: 5, delaySeconds: 2 },
    })
    const cases: Array<[string, () => Promise<unknown>]> = [
      ['PingController_ping', () => client.ping()],
      // Sessions
      ['SessionsController_list', () => client.listSessions({ all: true })],
      ['SessionsController_create', () => client.createSession({ name: 'other', start: false, config: { webhooks, metadata: { 'account.id': 'acc_1' } } })],
      ['SessionsController_get', () => client.getSession(s)],
      ['SessionsController_update', () => client.updateSession(s, { config: { webhooks, debug: false } })],
      ['SessionsController_start', () => client.startSession(s)],
      ['SessionsController_stop', () => client.stopSession(s)],
      ['SessionsController_restart', () => client.restartSession(s)],
      ['SessionsController_logout', () => client.logoutSession(s)],
      ['SessionsController_getMe', () => client.getMe(s)],
      ['SessionsController_delete', () => client.deleteSession('other')],
      // Pairing
      ['AuthController_getQR', () => client.getQr(s, 'raw')],
      ['AuthController_getQR', () => client.getQr(s, 'image')],
      ['AuthController_requestCode', () => client.requestPairingCode(s, { phoneNumber: '966500000001' })],
      // Profile
      ['ProfileController_getMyProfile', () => client.getProfile(s)],
      ['ProfileController_setProfileName', () => client.setProfileName(s, 'My name')],
      ['ProfileController_setProfileStatus', () => client.setProfileStatus(s, 'Busy')],
      ['ProfileController_setProfilePicture', () => client.setProfilePicture(s, IMAGE)],
      ['ProfileController_deleteProfilePicture', () => client.deleteProfilePicture(s)],
      // Sending
      ['ChattingController_sendText', () => client.sendText(s, { chatId: CHAT, text: 'hello', reply_to: MESSAGE, linkPreview: false })],
      ['ChattingController_sendImage', () => client.sendImage(s, { chatId: CHAT, file: IMAGE, caption: 'look' })],
      ['ChattingController_sendImage', () => client.sendImage(s, { chatId: CHAT, file: { mimetype: 'image/png', data: 'iVBORw0KGgo=' } })],
      ['ChattingController_sendFile', () => client.sendFile(s, { chatId: CHAT, file: { mimetype: 'application/pdf', filename: 'a.pdf', url: 'https://example.com/a.pdf' }, caption: 'doc', reply_to: MESSAGE })],
      ['ChattingController_sendVoice', () => client.sendVoice(s, { chatId: CHAT, file: { mimetype: 'audio/ogg; codecs=opus', url: 'https://example.com/v.ogg' }, convert: true })],
      ['ChattingController_sendVoice', () => client.sendVoice(s, { chatId: CHAT, file: { mimetype: 'audio/mpeg', filename: 'v.mp3', data: 'SUQz' }, convert: true })],
      ['ChattingController_sendVideo', () => client.sendVideo(s, { chatId: CHAT, file: { mimetype: 'video/mp4', filename: 'v.mp4', url: 'https://example.com/v.mp4' }, convert: false, caption: 'clip' })],
      ['ChattingController_sendLocation', () => client.sendLocation(s, { chatId: CHAT, latitude: 24.7136, longitude: 46.6753, title: 'Riyadh' })],
      ['ChattingController_sendContactVcard', () => client.sendContactVcard(s, { chatId: CHAT, contacts: [{ vcard: buildVcard({ fullName: 'Jane Doe', phoneNumber: '+966 500 000 003' }) }] })],
      ['ChattingController_sendPoll', () => client.sendPoll(s, { chatId: CHAT, poll: { name: 'Lunch?', options: ['Yes', 'No'], multipleAnswers: false } })],
      ['ChattingController_forwardMessage', () => client.forwardMessage(s, { chatId: GROUP, messageId: MESSAGE })],
      ['ChattingController_setReaction', () => client.setReaction(s, { messageId: MESSAGE, reaction: '👍' })],
      ['ChattingController_setReaction', () => client.setReaction(s, { messageId: MESSAGE, reaction: '' })],
      ['ChattingController_sendSeen', () => client.sendSeen(s, { chatId: CHAT, messageIds: [MESSAGE] })],
      ['ChattingController_startTyping', () => client.startTyping(s, CHAT)],
      ['ChattingController_stopTyping', () => client.stopTyping(s, CHAT)],
      ['PresenceController_setPresence', () => client.setPresence(s, { chatId: CHAT, presence: 'recording' })],
      ['ChatsController_editMessage', () => client.editMessage(s, CHAT, MESSAGE, { text: 'edited' })],
      ['ChatsController_deleteMessage', () => client.deleteMessage(s, CHAT, MESSAGE)],
      // Status
      ['StatusController_sendTextStatus', () => client.sendTextStatus(s, { text: 'Hi all', backgroundColor: '#38b42f', font: 0 })],
      ['StatusController_sendImageStatus', () => client.sendImageStatus(s, { file: IMAGE, caption: 'pic' })],
      ['StatusController_sendVideoStatus', () => client.sendVideoStatus(s, { file: { mimetype: 'video/mp4', filename: 'v.mp4', url: 'https://example.com/v.mp4' }, convert: true })],
      // Chats
      ['ChatsController_getChats', () => client.listChats(s, { limit: 20, offset: 0, sortBy: 'conversationTimestamp', sortOrder: 'desc' })],
      ['ChatsController_getChatsOverview', () => client.getChatsOverview(s, { limit: 20, ids: [CHAT, GROUP] })],
      ['ChatsController_getChatMessages', () => client.getChatMessages(s, CHAT, { limit: 50, offset: 0, downloadMedia: false, sortOrder: 'desc', filter: { timestampLte: 1767225600, fromMe: false, ack: 'READ' } })],
      ['ChatsController_getChatMessage', () => client.getChatMessage(s, CHAT, MESSAGE, { downloadMedia: false })],
      ['ChatsController_readChatMessages', () => client.readChatMessages(s, CHAT, { days: 7 })],
      ['ChatsController_getChatPicture', () => client.getChatPicture(s, CHAT, { refresh: true })],
      // Contacts
      ['ContactsController_getAll', () => client.listContacts(s, { limit: 100, sortBy: 'name' })],
      ['ContactsController_get', () => client.getContact(s, CHAT)],
      ['ContactsController_checkExists', () => client.checkNumberExists(s, '966500000002')],
      ['ContactsController_getAbout', () => client.getContactAbout(s, CHAT)],
      ['ContactsController_getProfilePicture', () => client.getContactProfilePicture(s, CHAT, { refresh: false })],
      ['ContactsController_block', () => client.blockContact(s, CHAT)],
      ['ContactsController_unblock', () => client.unblockContact(s, CHAT)],
      // Groups
      ['GroupsController_createGroup', () => client.createGroup(s, { name: 'Team', participants: [{ id: CHAT }] })],
      ['GroupsController_getGroups', () => client.listGroups(s, { limit: 10, exclude: ['participants'] })],
      ['GroupsController_getGroup', () => client.getGroup(s, GROUP)],
      ['GroupsController_getGroupParticipants', () => client.getGroupParticipants(s, GROUP)],
      ['GroupsController_addParticipants', () => client.addGroupParticipants(s, GROUP, [CHAT])],
      ['GroupsController_removeParticipants', () => client.removeGroupParticipants(s, GROUP, [CHAT])],
      ['GroupsController_promoteToAdmin', () => client.promoteGroupParticipants(s, GROUP, [CHAT])],
      ['GroupsController_demoteToAdmin', () => client.demoteGroupParticipants(s, GROUP, [CHAT])],
      ['GroupsController_setSubject', () => client.setGroupSubject(s, GROUP, 'New subject')],
      ['GroupsController_setDescription', () => client.setGroupDescription(s, GROUP, 'New description')],
      ['GroupsController_setInfoAdminOnly', () => client.setGroupInfoAdminOnly(s, GROUP, true)],
      ['GroupsController_getInfoAdminOnly', () => client.getGroupInfoAdminOnly(s, GROUP)],
      ['GroupsController_setMessagesAdminOnly', () => client.setGroupMessagesAdminOnly(s, GROUP, false)],
      ['GroupsController_getMessagesAdminOnly', () => client.getGroupMessagesAdminOnly(s, GROUP)],
      ['GroupsController_getInviteCode', () => client.getGroupInviteCode(s, GROUP)],
      ['GroupsController_revokeInviteCode', () => client.revokeGroupInviteCode(s, GROUP)],
      ['GroupsController_getChatPicture', () => client.getGroupPicture(s, GROUP)],
      ['GroupsController_setPicture', () => client.setGroupPicture(s, GROUP, { mimetype: 'image/jpeg', data: '/9j/4AAQ' })],
      ['GroupsController_deletePicture', () => client.deleteGroupPicture(s, GROUP)],
      ['GroupsController_leaveGroup', () => client.leaveGroup(s, GROUP)],
    ]
    for (const [operationId, call] of cases) {
      await expectOperation(operationId, call)
    }
    // Every call carried the key.
    expect(standin.calls.every((call) => call.headers['x-api-key'] === API_KEY)).toBe(true)
    // Every operation the client covers exists in the document and was exercised.
    const documented = new Set(
      Object.values(loadWahaOpenApi().document.paths).flatMap((item) => Object.values(item).map((op) => op?.operationId)),
    )
    for (const [operationId] of cases) expect(documented.has(operationId)).toBe(true)
  })

  test('requests carry what the document names: session in chatting bodies, dotted filter keys, encoded ids', async () => {
    await client.sendText(SESSION, { chatId: CHAT, text: 'hi' })
    expect(standin.calls.at(-1)?.body).toEqual({ chatId: CHAT, text: 'hi', session: SESSION })

    await client.getChatMessages(SESSION, CHAT, { limit: 5, filter: { timestampLte: 1700000000, fromMe: true } })
    const call = standin.calls.at(-1)
    expect(call?.path).toBe(`/api/${SESSION}/chats/${encodeURIComponent(CHAT)}/messages`)
    expect(call?.query).toEqual({ limit: '5', 'filter.timestamp.lte': '1700000000', 'filter.fromMe': 'true' })

    await client.getChatsOverview(SESSION, { ids: [CHAT, GROUP] })
    expect(standin.calls.at(-1)?.query).toEqual({ ids: [CHAT, GROUP] })

    await client.addGroupParticipants(SESSION, GROUP, [CHAT, '966500000003@c.us'])
    expect(standin.calls.at(-1)?.body).toEqual({ participants: [{ id: CHAT }, { id: '966500000003@c.us' }] })

    // A start has no body at all (the operation takes none).
    await client.startSession(SESSION)
    expect(standin.calls.at(-1)?.body).toBeUndefined()
    expect(standin.errors).toEqual([])
  })

  test('answers are passed back typed', async () => {
    expect(await client.ping()).toEqual({ message: 'pong' })
    expect((await client.getQr(SESSION, 'raw')).value).toContain('stand-in')
    expect((await client.getQr(SESSION, 'image')).mimetype).toBe('image/png')
    expect(await client.requestPairingCode(SESSION, { phoneNumber: '966500000001' })).toEqual({ code: 'ABCD-EFGH' })
    const sent = await client.sendText(SESSION, { chatId: CHAT, text: 'hi' })
    expect(sent.id).toBe(`true_${CHAT}_3EB0TEXT`)
    expect(messageIdOf(await client.sendImage(SESSION, { chatId: CHAT, file: IMAGE }))).toMatch(/^true_966500000002@c\.us_3EB0/)
    const messages = await client.getChatMessages(SESSION, CHAT, { limit: 1 })
    expect(messages).toHaveLength(1)
    expect(await client.checkNumberExists(SESSION, '966500000002')).toEqual({ numberExists: true, chatId: CHAT })
    expect(await client.getContactProfilePicture(SESSION, CHAT)).toEqual({ profilePictureURL: 'https://pps.whatsapp.net/v/t61/contact.jpg' })
    // The map NOWEB answers for groups (the document's `type: object`) comes back as a list.
    const groups = await client.listGroups(SESSION)
    expect(groups.map((group) => group.id)).toEqual([GROUP])
    // Invite codes arrive as a JSON string, or as plain text.
    expect(await client.getGroupInviteCode(SESSION, GROUP)).toBe('https://chat.whatsapp.com/StandInInviteCode1')
    standin.setResponse('GroupsController_getInviteCode', { status: 200, raw: 'PlainCode', headers: { 'content-type': 'text/plain' } })
    expect(await client.getGroupInviteCode(SESSION, GROUP)).toBe('PlainCode')
    expect((await client.getGroupParticipants(SESSION, GROUP)).map((p) => p.role)).toEqual(['superadmin', 'participant'])
    // Empty answers where the document promises nothing.
    standin.setResponse('AuthController_requestCode', { status: 201 })
    expect(await client.requestPairingCode(SESSION, { phoneNumber: '966500000001' })).toEqual({})
    expect(standin.errors).toEqual([])
  })

  test('a list of groups (what WEBJS answers, outside the document) stays a list', async () => {
    const webjs = new WahaClient({
      baseUrl: 'http://waha.invalid',
      timeoutMs: 1_000,
      fetch: async () => Response.json([{ id: { _serialized: GROUP } }, { id: { _serialized: '120363000000000002@g.us' } }]),
    })
    expect(await webjs.listGroups(SESSION)).toHaveLength(2)
  })

  test('upsertSession creates, leaves an unchanged config alone, and updates a changed one', async () => {
    const config = { webhooks: buildCallbackWebhooks({ callbackBaseUrl: 'http://gateway/api/whatsapp', apiKey: 'k' }) }
    const created = await client.upsertSession('966500000009', { config })
    expect(created.name).toBe('966500000009')
    expect(standin.calls.map((c) => c.operationId)).toEqual(['SessionsController_get', 'SessionsController_create'])
    expect(standin.calls[1]?.body).toEqual({ name: '966500000009', start: false, config })

    await client.upsertSession('966500000009', { config })
    expect(standin.calls.map((c) => c.operationId).slice(2)).toEqual(['SessionsController_get'])

    const changed = { ...config, debug: true }
    await client.upsertSession('966500000009', { config: changed })
    expect(standin.calls.map((c) => c.operationId).slice(3)).toEqual(['SessionsController_get', 'SessionsController_update'])
    expect(standin.sessions.get('966500000009')?.config).toEqual(changed)
    expect(standin.errors).toEqual([])
  })

  test('upsertSession with a config function: it sees the existing config (undefined for a new session)', async () => {
    const seen: unknown[] = []
    const withDebug = (existing: { debug?: boolean } | undefined) => {
      seen.push(existing)
      return { ...existing, debug: true }
    }
    await client.upsertSession('966500000008', { config: withDebug })
    expect(standin.sessions.get('966500000008')?.config).toEqual({ debug: true })
    standin.sessions.set('966500000008', { status: 'STOPPED', config: { metadata: { owner: 'crm' } } })
    await client.upsertSession('966500000008', { config: withDebug })
    expect(seen).toEqual([undefined, { metadata: { owner: 'crm' } }])
    expect(standin.sessions.get('966500000008')?.config).toEqual({ metadata: { owner: 'crm' }, debug: true })
    // Applying it again changes nothing, so nothing is updated.
    const before = standin.calls.length
    await client.upsertSession('966500000008', { config: withDebug })
    expect(standin.calls.slice(before).map((c) => c.operationId)).toEqual(['SessionsController_get'])
    expect(standin.errors).toEqual([])
  })

  test('callback webhooks point back at this gateway and are valid WAHA WebhookConfig', () => {
    const webhooks = buildCallbackWebhooks({ callbackBaseUrl: 'https://gw.example/api/whatsapp/', apiKey: 'waha-cb', hmacKey: 'h' })
    expect(webhooks.map((w) => w.url)).toEqual([
      'https://gw.example/api/whatsapp/webhook/message',
      'https://gw.example/api/whatsapp/webhook/state-change',
    ])
    expect(webhooks[0]?.events).toContain('message')
    expect(webhooks[0]?.events).not.toContain('session.status')
    expect(webhooks[1]?.events).toEqual(['session.status'])
    expect(webhooks[0]?.customHeaders).toEqual([{ name: 'X-Api-Key', value: 'waha-cb' }])
    expect(webhooks[0]?.hmac).toEqual({ key: 'h' })
    const openapi = loadWahaOpenApi()
    for (const webhook of webhooks) expect(openapi.validateComponent('WebhookConfig', webhook)).toEqual([])
    // Every event we subscribe to is one WAHA publishes.
    const published = Object.keys(openapi.document.webhooks ?? {})
    for (const event of webhooks.flatMap((w) => w.events)) expect(published).toContain(event)
  })

  test('helpers: vCard and message ids of every engine shape', () => {
    const vcard = buildVcard({ fullName: 'Doe, Jane', phoneNumber: '+966 500-000-003', organization: 'ACME' })
    expect(vcard).toBe(
      'BEGIN:VCARD\nVERSION:3.0\nFN:Doe\\, Jane\nORG:ACME;\nTEL;type=CELL;type=VOICE;waid=966500000003:+966500000003\nEND:VCARD',
    )
    expect(messageIdOf({ id: 'true_x@c.us_A' })).toBe('true_x@c.us_A')
    expect(messageIdOf({ id: { _serialized: 'true_x@c.us_B' } })).toBe('true_x@c.us_B')
    expect(messageIdOf({ key: { id: 'C', fromMe: true, remoteJid: 'x@c.us' } })).toBe('true_x@c.us_C')
    expect(messageIdOf({})).toBeUndefined()
    expect(messageIdOf(null)).toBeUndefined()
  })
})

describe('the stand-in really validates', () => {
  test('a malformed raw request is caught and answered 400', async () => {
    const response = await fetch(`${standin.url}/api/sendText`, {
      method: 'POST',
      headers: { 'X-Api-Key': API_KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify({ chatId: 5, txt: 'typo' }),
    })
    expect(response.status).toBe(400)
    expect(standin.errors.join('\n')).toContain("must have required property 'text'")
    expect(standin.errors.join('\n')).toContain("must have required property 'session'")
    expect(standin.errors.join('\n')).toContain('chatId must be string')
  })

  test('each kind of mismatch is recorded', async () => {
    const get = (path: string, headers: Record<string, string> = { 'X-Api-Key': API_KEY }) => fetch(`${standin.url}${path}`, { headers })
    const cases: Array<[() => Promise<Response>, string, number]> = [
      [() => get('/api/sendTxt'), 'no such operation', 400],
      [() => get('/api/sessions/default/me', {}), 'X-Api-Key', 401],
      [() => get(`/api/${SESSION}/auth/qr`), 'required query parameter "format"', 400],
      [() => get(`/api/${SESSION}/auth/qr?format=svg`), 'must be one of', 400],
      [() => get(`/api/${SESSION}/chats?limit=ten`), 'must be a number', 400],
      [() => get(`/api/${SESSION}/chats?page=2`), 'query parameter "page" is not declared', 400],
      [() => get(`/api/contacts/profile-picture?contactId=x&session=s&refresh=yes`), 'must be true or false', 400],
      [
        () => fetch(`${standin.url}/api/sessions/${SESSION}/start`, { method: 'POST', headers: { 'X-Api-Key': API_KEY, 'Content-Type': 'application/json' }, body: '{}' }),
        'takes no request body',
        400,
      ],
      [
        () => fetch(`${standin.url}/api/sendSeen`, { method: 'POST', headers: { 'X-Api-Key': API_KEY, 'Content-Type': 'text/plain' }, body: '{"chatId":"x","session":"s"}' }),
        'Content-Type must be application/json',
        400,
      ],
      [
        () => fetch(`${standin.url}/api/sendPoll`, { method: 'POST', headers: { 'X-Api-Key': API_KEY, 'Content-Type': 'application/json' }, body: JSON.stringify({ chatId: 'x', session: 's', poll: { name: 'q', options: ['a'], multipleAnswers: 'no' } }) }),
        'multipleAnswers must be boolean',
        400,
      ],
      [() => fetch(`${standin.url}/api/reaction`, { method: 'PUT', headers: { 'X-Api-Key': API_KEY } }), 'the request body is required', 400],
    ]
    for (const [send, expected, status] of cases) {
      const before = standin.errors.length
      const response = await send()
      expect(response.status).toBe(status)
      expect(standin.errors.slice(before).join('\n')).toContain(expected)
    }
  })

  test('the client against a stand-in with another key gets 401s, recorded and mapped to UpstreamError', async () => {
    const wrongKey = new WahaClient({ baseUrl: standin.url, apiKey: 'nope', timeoutMs: 2_000 })
    const error = await wrongKey.getSession(SESSION).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UpstreamError)
    expect((error as UpstreamError).message).toContain('WAHA_API_KEY')
    expect(standin.errors).toEqual(['SessionsController_get: missing or wrong X-Api-Key'])
  })

  test("the stand-in checks its own answers against the operation's response schema", async () => {
    standin.setResponse('ProfileController_getMyProfile', { status: 200, body: { id: 42 } })
    await client.getProfile(SESSION)
    expect(standin.errors.join('\n')).toContain('ProfileController_getMyProfile response 200')
    expect(() => standin.setResponse('NoSuchOperation', { status: 200 })).toThrow()
  })
})

describe('error mapping', () => {
  const failing = async (status: number, body: unknown, call: () => Promise<unknown>) => {
    standin.setResponse('SessionsController_get', { status, body })
    standin.setResponse('ChattingController_sendText', { status, body })
    return call().catch((e: unknown) => e)
  }

  test('404 → NotFoundError, with WAHA message', async () => {
    const error = await failing(404, { statusCode: 404, message: 'Session "x" does not exist', error: 'Not Found' }, () => client.getSession('x'))
    expect(error).toBeInstanceOf(NotFoundError)
    expect((error as NotFoundError).message).toContain('Session "x" does not exist')
    expect((error as NotFoundError).details).toEqual({ operation: 'SessionsController_get', upstreamStatus: 404 })
    // The stand-in's own 404 for an unknown session maps the same way.
    standin.setResponse('SessionsController_get', undefined)
    expect(await client.getSession('unknown').catch((e: unknown) => e)).toBeInstanceOf(NotFoundError)
  })

  test('500, 502, 503 → UpstreamError', async () => {
    for (const status of [500, 502, 503]) {
      const error = await failing(status, { statusCode: status, message: 'boom' }, () => client.sendText(SESSION, { chatId: CHAT, text: 'x' }))
      expect(error).toBeInstanceOf(UpstreamError)
      expect((error as UpstreamError).statusCode).toBe(502)
      expect((error as UpstreamError).message).toContain('boom')
    }
  })

  test('400 → BadRequestError; 422 "session status is not as expected" → ClientNotReadyError; other 422 → BadRequestError', async () => {
    const bad = await failing(400, { statusCode: 400, message: ['chatId must be a string'] }, () => client.sendText(SESSION, { chatId: CHAT, text: 'x' }))
    expect(bad).toBeInstanceOf(BadRequestError)
    expect((bad as BadRequestError).message).toContain('chatId must be a string')

    const notReady = await failing(
      422,
      { error: 'Session status is not as expected. Try again later or restart the session', session: SESSION, status: 'SCAN_QR_CODE', expected: ['WORKING'] },
      () => client.sendText(SESSION, { chatId: CHAT, text: 'x' }),
    )
    expect(notReady).toBeInstanceOf(ClientNotReadyError)
    expect((notReady as ClientNotReadyError).details).toEqual({ state: 'AUTHENTICATING', status: 'SCAN_QR_CODE' })

    const other = await failing(422, { statusCode: 422, message: 'Invalid file' }, () => client.sendText(SESSION, { chatId: CHAT, text: 'x' }))
    expect(other).toBeInstanceOf(BadRequestError)
  })

  test('413 → PayloadTooLargeError, 501 → NotSupportedError, 401/403/429 → UpstreamError', () => {
    expect(mapWahaFailure('ChattingController_sendVideo', 413, 'too big')).toBeInstanceOf(PayloadTooLargeError)
    const unsupported = mapWahaFailure('ChattingController_sendPoll', 501, { message: 'Not implemented' })
    expect(unsupported).toBeInstanceOf(NotSupportedError)
    expect(unsupported.details).toEqual({ engine: 'waha', feature: 'ChattingController_sendPoll' })
    for (const status of [401, 403, 429, 409, 405]) expect(mapWahaFailure('op', status, {})).toBeInstanceOf(UpstreamError)
    // Long upstream messages are truncated.
    expect(mapWahaFailure('op', 500, { message: 'x'.repeat(1000) }).message.length).toBeLessThan(400)
  })

  test('a 2xx with invalid JSON, and a redirect, are UpstreamErrors (redirects are not followed)', async () => {
    standin.setResponse('ProfileController_getMyProfile', { status: 200, raw: '{not json', headers: { 'content-type': 'application/json' } })
    expect(await client.getProfile(SESSION).catch((e: unknown) => e)).toBeInstanceOf(UpstreamError)
    standin.setResponse('ProfileController_getMyProfile', { status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' } })
    expect(await client.getProfile(SESSION).catch((e: unknown) => e)).toBeInstanceOf(UpstreamError)
    expect(standin.calls.filter((c) => c.operationId === 'ProfileController_getMyProfile')).toHaveLength(2)
  })

  test('an unreachable server → UpstreamError', async () => {
    const closed = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') })
    const port = closed.port
    await closed.stop(true)
    const offline = new WahaClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 2_000 })
    const error = await offline.ping().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UpstreamError)
    expect((error as UpstreamError).message).toContain('unreachable')
  })

  test('a server slower than timeoutMs → UpstreamError naming the timeout', async () => {
    const slow = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: async () => {
        await Bun.sleep(1_000)
        return Response.json({ message: 'pong' })
      },
    })
    try {
      const impatient = new WahaClient({ baseUrl: `http://127.0.0.1:${slow.port}`, timeoutMs: 100 })
      const started = performance.now()
      const error = await impatient.ping().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(UpstreamError)
      expect((error as UpstreamError).message).toContain('timed out after 100 ms')
      expect(performance.now() - started).toBeLessThan(900)
    } finally {
      await slow.stop(true)
    }
  })

  test('no X-Api-Key header when none is configured; an injected fetch is used', async () => {
    const open = startWahaStandin()
    try {
      const seen: string[] = []
      const keyless = new WahaClient({
        baseUrl: `${open.url}/`,
        timeoutMs: 2_000,
        fetch: (input, init) => {
          seen.push(String(input))
          return fetch(input, init)
        },
      })
      await keyless.ping()
      expect(seen).toEqual([`${open.url}/ping`])
      expect(open.calls[0]?.headers['x-api-key']).toBeUndefined()
      expect(open.errors).toEqual([])
    } finally {
      await open.close()
    }
  })

  test('the constructor refuses a bad base URL or timeout', () => {
    expect(() => new WahaClient({ baseUrl: 'not a url', timeoutMs: 1 })).toThrow()
    expect(() => new WahaClient({ baseUrl: 'ftp://waha', timeoutMs: 1 })).toThrow()
    expect(() => new WahaClient({ baseUrl: 'http://waha', timeoutMs: 0 })).toThrow()
  })
})

describe('media download (WAHA serves /api/files/…, a route its document does not list)', () => {
  const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4])
  let files: ReturnType<typeof Bun.serve>
  const seen: Array<{ path: string; key: string | null }> = []

  beforeEach(() => {
    seen.length = 0
    files = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: (request) => {
        const url = new URL(request.url)
        seen.push({ path: url.pathname, key: request.headers.get('x-api-key') })
        if (request.headers.get('x-api-key') !== API_KEY) return Response.json({ message: 'Unauthorized' }, { status: 401 })
        if (url.pathname.endsWith('/missing.jpeg')) return Response.json({ statusCode: 404, message: 'File not found' }, { status: 404 })
        if (url.pathname.endsWith('/streamed.jpeg')) {
          // No Content-Length: the cap must hold while streaming.
          const stream = new ReadableStream<Uint8Array>({
            pull(controller) {
              controller.enqueue(new Uint8Array(1024))
            },
          })
          return new Response(stream, { headers: { 'content-type': 'image/jpeg' } })
        }
        return new Response(JPEG, { headers: { 'content-type': 'image/jpeg' } })
      },
    })
  })
  afterEach(async () => {
    await files.stop(true)
  })

  test("fetches the path of WAHA's media URL from our base URL, with the key", async () => {
    const waha = new WahaClient({ baseUrl: `http://127.0.0.1:${files.port}`, apiKey: API_KEY, timeoutMs: 2_000 })
    // WAHA names itself by WAHA_BASE_URL (often localhost:3000): only the path is used.
    const media = await waha.downloadMedia(`http://localhost:3000/api/files/${SESSION}/false_${CHAT}_AAA.jpeg`)
    expect(media.contentType).toBe('image/jpeg')
    expect([...media.bytes]).toEqual([...JPEG])
    expect(seen).toEqual([{ path: `/api/files/${SESSION}/false_${CHAT}_AAA.jpeg`, key: API_KEY }])
    // A relative URL works too.
    expect((await waha.downloadMedia(`/api/files/${SESSION}/x.jpeg`)).bytes.byteLength).toBe(JPEG.byteLength)
  })

  test('a base URL with a path prefix is honoured once', async () => {
    const prefixed = new WahaClient({ baseUrl: `http://127.0.0.1:${files.port}/waha/`, apiKey: API_KEY, timeoutMs: 2_000 })
    await prefixed.downloadMedia(`http://waha.example/waha/api/files/${SESSION}/a.jpeg`)
    await prefixed.downloadMedia(`/api/files/${SESSION}/b.jpeg`)
    expect(seen.map((s) => s.path)).toEqual([`/waha/api/files/${SESSION}/a.jpeg`, `/waha/api/files/${SESSION}/b.jpeg`])
  })

  test('refuses paths outside /api/files/, maps 404, and enforces maxBytes', async () => {
    const waha = new WahaClient({ baseUrl: `http://127.0.0.1:${files.port}`, apiKey: API_KEY, timeoutMs: 2_000 })
    for (const url of ['http://evil.example/steal', '/api/sessions', '/api/files/../sessions/x', '/api/files/%2e%2e/sessions']) {
      expect(await waha.downloadMedia(url).catch((e: unknown) => e)).toBeInstanceOf(BadRequestError)
    }
    expect(seen).toEqual([])
    expect(await waha.downloadMedia('/api/files/s/missing.jpeg').catch((e: unknown) => e)).toBeInstanceOf(NotFoundError)
    expect(await waha.downloadMedia('/api/files/s/big.jpeg', { maxBytes: 4 }).catch((e: unknown) => e)).toBeInstanceOf(PayloadTooLargeError)
    expect((await waha.downloadMedia('/api/files/s/ok.jpeg', { maxBytes: 8 })).bytes.byteLength).toBe(8)
    // An endless body without Content-Length is cut off at the cap, not read forever.
    expect(await waha.downloadMedia('/api/files/s/streamed.jpeg', { maxBytes: 64 * 1024 }).catch((e: unknown) => e)).toBeInstanceOf(
      PayloadTooLargeError,
    )
  })
})
