/**
 * Generated from WAHA's document: every operation the catalog marks `served` is called
 * with a request built from its request schema and examples (params, query, body; only
 * ids that must name real things here are filled in), and its answer must have WAHA's
 * success status and validate (ajv) against WAHA's response schema for that status and
 * content type. The catalog, the routes and the document are also kept in step.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { routePath, WAHA_OPERATIONS, type WahaOperation } from '../../../src/modules/waha-api/catalog'
import { createTestServer, type TestServer } from '../../helpers/app'
import { HTTP_METHODS, loadWahaOpenApi, type JsonSchema, type OpenApiOperation } from '../../helpers/waha-openapi'
import { PNG_BASE64 } from '../../helpers/whatsapp'
import { waha } from './helpers'
import { sampleBase64 } from '../../helpers/media'

const A = '966500000101'
const B = '966500000102'
const C = '966500000103'
const D = '966500000104'
/** Owned by an account, for WAHA's per-session keys. */
const F = '966500000107'
/** Left waiting for a scan, for the pairing operations. */
const E = '966500000106'
const jid = (phone: string) => `${phone}@c.us`

const spec = loadWahaOpenApi()

interface Context {
  messageId: string
  groupId: string
  pollId: string
  keyId: string
  /** B's channel, which A follows, mutes and unfollows; A's own channel, which A deletes. */
  channelId: string
  ownChannelId: string
  /** A call B made to A, ringing when A rejects it. */
  callId: string
  /** The group's invite code, for join-info and join. */
  inviteCode: string
  /** A Status post of A, for status/delete. */
  statusId: string
}

let server: TestServer
const context: Context = { messageId: '', groupId: '', pollId: '', keyId: '', channelId: '', ownChannelId: '', callId: '', inviteCode: '', statusId: '' }

/** Operations that end a session or its data run last, in this order, each on a session of its own. */
const DESTRUCTIVE: Record<string, string> = {
  ChatsController_deleteMessage: A,
  ChatsController_clearMessages: A,
  ChatsController_deleteChat: A,
  GroupsController_leaveGroup: A,
  ChannelsController_unfollow: A,
  LabelsController_delete: A,
  SessionsController_restart: C,
  SessionsController_stop: C,
  SessionsController_DEPRECATED_stop: C,
  SessionsController_logout: D,
  SessionsController_DEPRECATED_logout: D,
  SessionsController_delete: C,
}
// D is not in A's group: it joins it by invite.
const SESSION_OF: Record<string, string> = { AuthController_getQR: E, AuthController_requestCode: E, GroupsController_joinGroup: D }
/** Participants a group operation can act on: C joins and leaves, B (a member) is promoted and demoted. */
const PARTICIPANT_OF: Record<string, string> = {
  GroupsController_addParticipants: C,
  GroupsController_removeParticipants: C,
}

function operationOf(operation: WahaOperation): OpenApiOperation {
  const found = spec.document.paths[operation.path]?.[operation.method.toLowerCase() as 'get']
  if (!found) throw new Error(`${operation.method} ${operation.path} is not in WAHA's document`)
  return found
}

/** Values that must name something real on this server; everything else comes from WAHA's examples. */
function fill(name: string, sampled: unknown, session: string, operationId = ''): unknown {
  if (name === 'id' && operationId.startsWith('Contacts')) return jid(B)
  if (name === 'id' && operationId.startsWith('ApiKeys')) return context.keyId
  if (name === 'id' && operationId === 'ChannelsController_delete') return context.ownChannelId
  if (name === 'id' && operationId.startsWith('Channels')) return context.channelId
  if (name === 'id' && operationId === 'CallsController_rejectCall') return context.callId
  if (name === 'from' && operationId === 'CallsController_rejectCall') return jid(B)
  if (name === 'labelId') return '1'
  if (name === 'id' && operationId === 'StatusController_deleteStatus') return context.statusId
  if (name === 'id' && operationId.startsWith('Status')) return null
  if (name === 'code' && operationId.startsWith('Groups')) return context.inviteCode
  if (name === 'session' && operationId === 'ApiKeysController_create') return F
  switch (name) {
    case 'ids':
      return [jid(B)]
    case 'session':
      return session
    case 'chatId':
    case 'contactId':
      return jid(B)
    case 'phone':
      return B
    case 'messageId':
      return context.messageId
    case 'pollMessageId':
      return context.pollId
    case 'votes':
      return ['Yes']
    case 'id':
      return context.groupId
    case 'reply_to':
      return null
    case 'mentions':
      return undefined
  }
  return sampled
}

const FILES: Record<string, unknown> = {
  // Real media (made by ffmpeg): voice and video sends are checked and converted before they leave.
  ChattingController_sendVoice: { mimetype: 'audio/ogg; codecs=opus', data: sampleBase64('opus') },
  ChattingController_sendVideo: { mimetype: 'video/mp4', data: sampleBase64('mp4') },
  StatusController_sendVideoStatus: { mimetype: 'video/mp4', data: sampleBase64('mp4') },
  StatusController_sendVoiceStatus: { mimetype: 'audio/ogg; codecs=opus', data: sampleBase64('opus') },
  ChattingController_sendFile: { mimetype: 'image/png', filename: 'pixel.png', data: PNG_BASE64 },
}

function bodyFor(operation: WahaOperation, schema: JsonSchema | undefined, session: string): unknown {
  if (!schema) return undefined
  const sampled = spec.sample(schema) as Record<string, unknown>
  const body: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(sampled)) {
    const filled = fill(key, value, session, operation.operationId)
    if (filled !== undefined) body[key] = filled
  }
  if ('file' in body) body.file = FILES[operation.operationId] ?? { mimetype: 'image/png', filename: 'pixel.png', data: PNG_BASE64 }
  if ('participants' in body) body.participants = [{ id: jid(PARTICIPANT_OF[operation.operationId] ?? B) }]
  if (operation.operationId === 'ChatsController_postChatsOverview') body.filter = { ids: [jid(B)] }
  if (operation.operationId === 'PresenceController_setPresence') Object.assign(body, { presence: 'typing', chatId: jid(B) })
  if ('name' in body && operation.path.startsWith('/api/sessions')) body.name = session
  if (operation.operationId === 'SessionsController_create') body.name = '966500000105'
  if (Array.isArray((body.config as { webhooks?: unknown[] } | undefined)?.webhooks)) {
    // A receiver that exists: WAHA's example points at webhook.site.
    ;(body.config as { webhooks: Array<{ url: string }> }).webhooks.forEach((webhook) => (webhook.url = 'http://127.0.0.1:9/waha'))
  }
  if (operation.operationId === 'AuthController_requestCode') body.phoneNumber = session
  if (operation.operationId === 'ChattingController_setReaction') body.reaction = '👍'
  if (operation.operationId === 'ChattingController_sendContactVcard') body.contacts = [{ fullName: 'Jane Doe', phoneNumber: '+966500000199', organization: 'ACME', vcard: null }]
  if (operation.operationId === 'ChattingController_sendPoll') body.poll = { name: 'Lunch?', options: ['Yes', 'No'], multipleAnswers: false }
  // The label made by LabelsController_create has the example's name already.
  if (operation.operationId === 'LabelsController_update') body.name = 'Hot lead'
  return body
}

function requestFor(operation: WahaOperation, session: string): { path: string; body: unknown; headers: Record<string, string> } {
  const doc = operationOf(operation)
  let path = operation.path
  const query = new URLSearchParams()
  for (const parameter of doc.parameters ?? []) {
    const sampled = parameter.schema ? spec.sample(parameter.schema) : 'x'
    const value = fill(parameter.name, sampled, session, operation.operationId)
    if (parameter.in === 'path') path = path.replace(`{${parameter.name}}`, encodeURIComponent(String(value)))
    else if (parameter.in === 'query' && parameter.required && value !== undefined && !parameter.name.startsWith('filter.')) query.set(parameter.name, String(value))
  }
  if (operation.operationId === 'AuthController_getQR') query.set('format', 'raw')
  if (operation.operationId === 'ChattingController_sendTextGet') query.set('text', 'Hello')
  const schema = doc.requestBody?.content['application/json']?.schema
  const search = query.toString()
  return { path: search ? `${path}?${search}` : path, body: bodyFor(operation, schema, session), headers: {} }
}

function responseSchema(doc: OpenApiOperation, status: number, contentType: string): JsonSchema | undefined {
  const content = doc.responses[String(status)]?.content
  if (!content) return undefined
  const type = contentType.split(';')[0]!.trim()
  return content[type]?.schema ?? content['application/json']?.schema
}

async function link(phone: string) {
  const created = await waha(server, 'POST', '/api/sessions', { body: { name: phone } })
  if (created.status !== 201) throw new Error(`create ${phone}: ${created.status} ${JSON.stringify(created.body)}`)
  for (let i = 0; i < 200 && (await waha(server, 'GET', `/api/sessions/${phone}`)).body.status !== 'SCAN_QR_CODE'; i++) await Bun.sleep(10)
  const scanned = await server.call('POST', `/${phone}/sandbox/scan`)
  if (scanned.body.status !== 'WORKING') throw new Error(`scan ${phone}: ${JSON.stringify(scanned.body)}`)
}

beforeAll(async () => {
  server = await createTestServer({ WAHA_DEFAULT_SESSION: A, OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32' })
  for (const phone of [A, B, C, D]) await link(phone)
  await waha(server, 'POST', '/api/sessions', { body: { name: E } })
  expect((await server.call('POST', `/${F}/start`, { body: { accountId: 'acme' } })).status).toBe(200)
  const sent = await waha(server, 'POST', '/api/sendText', { body: { session: A, chatId: jid(B), text: 'Hello from A' } })
  context.messageId = sent.body.id
  await waha(server, 'POST', '/api/sendText', { body: { session: B, chatId: jid(A), text: 'Hello from B' } })
  const poll = await waha(server, 'POST', '/api/sendPoll', { body: { session: A, chatId: jid(B), poll: { name: 'Lunch?', options: ['Yes', 'No'] } } })
  context.pollId = poll.body.id
  const group = await waha(server, 'POST', `/api/${A}/groups`, { body: { name: 'Team', participants: [{ id: jid(B) }] } })
  context.groupId = group.body.id
  context.channelId = (await server.call<{ id: string }>('POST', `/${B}/channels`, { body: { name: "B's news" } })).body.id
  context.ownChannelId = (await server.call<{ id: string }>('POST', `/${A}/channels`, { body: { name: "A's news" } })).body.id
  context.callId = (await server.call<{ id: string }>('POST', `/${B}/sandbox/call`, { body: { to: A } })).body.id
  context.inviteCode = (await waha(server, 'GET', `/api/${A}/groups/${encodeURIComponent(group.body.id)}/invite-code`)).body
  const status = await waha(server, 'POST', `/api/${A}/status/text`, { body: { text: 'Open today', backgroundColor: '#38b42f', font: 0 } })
  context.statusId = status.body.id
  await server.deps.ingest.idle()
}, 60_000)

afterAll(async () => {
  await server?.close()
})

describe("WAHA's document and our catalog", () => {
  test('the catalog lists each of the 162 operations exactly once', () => {
    const documented = Object.entries(spec.document.paths).flatMap(([path, item]) =>
      HTTP_METHODS.filter((method) => item[method]).map((method) => `${method.toUpperCase()} ${path} ${item[method]!.operationId}`),
    )
    expect(documented.length).toBe(162)
    expect(WAHA_OPERATIONS.map((op) => `${op.method} ${op.path} ${op.operationId}`).sort()).toEqual(documented.sort())
    for (const op of WAHA_OPERATIONS) if (op.state !== 'served') expect(op.reason, op.operationId).toBeTruthy()
  })

  test('served and not-implemented operations are routed; not-routed ones are not', () => {
    const routes = new Set(server.app.routes.map((route) => `${route.method} ${route.path}`))
    for (const op of WAHA_OPERATIONS) {
      const key = `${op.method} ${routePath(op.path)}`
      expect(routes.has(key), `${op.state} ${key}`).toBe(op.state !== 'not-routed')
    }
  })

  test('no WAHA route is in our own OpenAPI document', async () => {
    const doc = (await server.call<{ paths: Record<string, unknown> }>('GET', '/swagger/json')).body
    const paths = Object.keys(doc.paths ?? {})
    expect(paths.length).toBeGreaterThan(10)
    expect(paths.filter((path) => !path.startsWith('/api/whatsapp'))).toEqual([])
  })
})

describe('every served operation answers as WAHA documents it', () => {
  const served = WAHA_OPERATIONS.filter((op) => op.state === 'served')
  const last = Object.keys(DESTRUCTIVE).map((id) => served.find((op) => op.operationId === id)!)
  const ordered = [...served.filter((op) => !(op.operationId in DESTRUCTIVE)), ...last]
  for (const operation of ordered) {
    test(`${operation.method} ${operation.path} (${operation.operationId})`, async () => {
      const session = DESTRUCTIVE[operation.operationId] ?? SESSION_OF[operation.operationId] ?? A
      const doc = operationOf(operation)
      const request = requestFor(operation, session)
      const response = await waha(server, operation.method, request.path, { ...(request.body !== undefined && { body: request.body }), headers: request.headers })
      expect(response.status, `${request.path} → ${JSON.stringify(response.body).slice(0, 400)}`).toBe(operation.status)
      if (operation.operationId === 'ApiKeysController_create') context.keyId = response.body.id
      const type = response.headers.get('content-type') ?? ''
      const schema = responseSchema(doc, response.status, type)
      if (schema && !type.startsWith('image/')) {
        expect(spec.validate(schema, response.body, 'response')).toEqual([])
      }
    })
  }
})
