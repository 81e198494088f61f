import { describe, expect, test } from 'bun:test'
import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { Elysia } from 'elysia'

import {
  WAHA_MESSAGE_WEBHOOK_EVENTS,
  WAHA_SESSION_STATUSES,
  WAHA_STATE_WEBHOOK_EVENTS,
  WAHAWebhookCallReceived,
  WAHAWebhookPollVote,
  WAHAWebhookLabelUpsert,
  WAHAWebhookLabelDeleted,
  WAHAWebhookLabelChatAdded,
  WAHAWebhookLabelChatDeleted,
  WAHAWebhookMessage,
  WAHAWebhookMessageAck,
  WAHAWebhookMessageAny,
  WAHAWebhookMessageEdited,
  WAHAWebhookMessageReaction,
  WAHAWebhookMessageRevoked,
  WAHAWebhookPresenceUpdate,
  WAHAWebhookSessionStatus,
  WAHAWebhookStateChange,
  WahaMessageWebhookBody,
  WahaStateChangeWebhookBody,
  WebhookGroupV2Join,
  WebhookGroupV2Leave,
  WebhookGroupV2Participants,
  WebhookGroupV2Update,
  wahaStatusToState,
  type WahaMessageWebhookBody as MessageBody,
} from '../../../src/providers/waha/model'
import { loadWahaOpenApi, type JsonSchema } from '../../helpers/waha-openapi'

const openapi = loadWahaOpenApi()

/** Our schema for each WAHA webhook event we accept, by the document's event name. */
const OURS: Record<string, TSchema> = {
  'session.status': WAHAWebhookSessionStatus,
  message: WAHAWebhookMessage,
  'message.any': WAHAWebhookMessageAny,
  'message.ack': WAHAWebhookMessageAck,
  'message.reaction': WAHAWebhookMessageReaction,
  'message.revoked': WAHAWebhookMessageRevoked,
  'message.edited': WAHAWebhookMessageEdited,
  'group.v2.join': WebhookGroupV2Join,
  'group.v2.leave': WebhookGroupV2Leave,
  'group.v2.participants': WebhookGroupV2Participants,
  'group.v2.update': WebhookGroupV2Update,
  'presence.update': WAHAWebhookPresenceUpdate,
  'call.received': WAHAWebhookCallReceived,
  'poll.vote': WAHAWebhookPollVote,
  'label.upsert': WAHAWebhookLabelUpsert,
  'label.deleted': WAHAWebhookLabelDeleted,
  'label.chat.added': WAHAWebhookLabelChatAdded,
  'label.chat.deleted': WAHAWebhookLabelChatDeleted,
  'state.change': WAHAWebhookStateChange,
}

function publishedSchema(event: string): JsonSchema {
  const schema = openapi.document.webhooks?.[event]?.post?.requestBody?.content['application/json']?.schema
  if (!schema) throw new Error(`The WAHA document publishes no webhook "${event}"`)
  return schema
}

function errorsOf(schema: TSchema, value: unknown): string[] {
  return [...Value.Errors(schema, value)].map((error) => `${error.path} ${error.message}`)
}

/** A realistic WEBJS `message` callback, as WAHA sends it (no `source`/`participant`/`mediaUrl` on an incoming 1:1 text). */
function incomingMessage(): Record<string, unknown> {
  return {
    id: 'evt_01jq8z6ak5c7p0q4v7rz3y2x1w',
    timestamp: 1767225600123,
    session: '966500000001',
    metadata: { 'account.id': 'acc_1' },
    engine: 'WEBJS',
    event: 'message',
    payload: {
      id: 'false_966500000002@c.us_3EB0C767D26A1D2B8F',
      timestamp: 1767225600,
      from: '966500000002@c.us',
      fromMe: false,
      to: '966500000001@c.us',
      body: 'Hello',
      hasMedia: false,
      media: null,
      ack: 1,
      ackName: 'SERVER',
      replyTo: null,
      _data: { notifyName: 'Friend', type: 'chat' },
    },
    me: { id: '966500000001@c.us', pushName: 'Me' },
    environment: { version: '2026.7.1', engine: 'WEBJS', tier: 'CORE', browser: '/usr/bin/chromium', platform: 'linux/x64', worker: { id: null } },
  }
}

describe('inbound WAHA envelopes vs the published schemas', () => {
  test('we cover the contract events, and WAHA publishes every one of them', () => {
    const published = Object.keys(openapi.document.webhooks ?? {})
    for (const event of [...WAHA_MESSAGE_WEBHOOK_EVENTS, ...WAHA_STATE_WEBHOOK_EVENTS, 'state.change']) {
      expect(published).toContain(event)
      expect(OURS[event]).toBeDefined()
    }
  })

  for (const [event, ours] of Object.entries(OURS)) {
    test(`${event}: samples built from the published schema pass ours (full, and required fields only)`, () => {
      for (const requiredOnly of [false, true]) {
        const sample = openapi.sample(publishedSchema(event), { requiredOnly })
        // The sample really is a valid instance of WAHA's document…
        expect(openapi.validate(publishedSchema(event), sample, event)).toEqual([])
        // …and our schema accepts it: we are never stricter than the document.
        expect(errorsOf(ours, sample)).toEqual([])
        const route = event === 'session.status' || event === 'state.change' ? WahaStateChangeWebhookBody : WahaMessageWebhookBody
        const other = route === WahaStateChangeWebhookBody ? WahaMessageWebhookBody : WahaStateChangeWebhookBody
        expect(Value.Check(route, sample)).toBe(true)
        expect(Value.Check(other, sample)).toBe(false)
      }
    })
  }

  test('a realistic incoming message passes ours; the document would reject it only for fields WAHA omits in practice', () => {
    const message = incomingMessage()
    expect(errorsOf(WAHAWebhookMessage, message)).toEqual([])
    const documentErrors = openapi.validateComponent('WAHAWebhookMessage', message)
    // Exactly the deliberate deviations listed in model.ts.
    expect(documentErrors.sort()).toEqual(
      [
        "WAHAWebhookMessage/payload must have required property 'source'",
        "WAHAWebhookMessage/payload must have required property 'participant'",
        "WAHAWebhookMessage/payload must have required property 'mediaUrl'",
        'WAHAWebhookMessage/payload/media must be object',
        'WAHAWebhookMessage/payload/replyTo must be object',
      ].sort(),
    )
  })

  test('tolerates extra and future fields, at every level', () => {
    const message = incomingMessage()
    message.newTopLevelField = { anything: true }
    ;(message.payload as Record<string, unknown>).newPayloadField = [1, 2, 3]
    ;(message.me as Record<string, unknown>).newMeField = 'x'
    message.engine = 'NEWENGINE'
    expect(errorsOf(WahaMessageWebhookBody, message)).toEqual([])
  })

  test('a media message from NOWEB (null body, numeric-less ack) and a group message', () => {
    const media = incomingMessage()
    media.engine = 'NOWEB'
    media.payload = {
      id: 'false_120363000000000001@g.us_3A0B_966500000003@c.us',
      timestamp: 1767225601,
      from: '120363000000000001@g.us',
      fromMe: false,
      to: '966500000001@c.us',
      participant: '966500000003@c.us',
      body: null,
      hasMedia: true,
      media: { url: 'http://waha:3000/api/files/966500000001/3A0B.jpeg', mimetype: 'image/jpeg', filename: null, error: null },
      location: { latitude: 24.7, longitude: 46.6, live: false },
    }
    expect(errorsOf(WAHAWebhookMessage, media)).toEqual([])
  })

  test('session.status from an older WAHA (no statuses, no environment, no me) is accepted', () => {
    const status = {
      id: 'evt_01jq8z6ak5c7p0q4v7rz3y2x1x',
      timestamp: 1767225600123,
      session: '966500000001',
      engine: 'WEBJS',
      event: 'session.status',
      payload: { name: '966500000001', status: 'SCAN_QR_CODE' },
    }
    expect(errorsOf(WahaStateChangeWebhookBody, status)).toEqual([])
  })
})

describe('malformed envelopes fail', () => {
  const cases: Array<[string, (m: Record<string, unknown>) => void]> = [
    ['no event', (m) => delete m.event],
    ['an event we do not take on this route', (m) => (m.event = 'poll.vote')],
    ['session.status sent to the message route', (m) => (m.event = 'session.status')],
    ['no session', (m) => delete m.session],
    ['an empty session', (m) => (m.session = '')],
    ['no envelope id', (m) => delete m.id],
    ['a string timestamp', (m) => (m.timestamp = '1767225600123')],
    ['no payload', (m) => delete m.payload],
    ['no engine', (m) => delete m.engine],
    ['payload without id', (m) => delete (m.payload as Record<string, unknown>).id],
    ['payload without from', (m) => delete (m.payload as Record<string, unknown>).from],
    ['payload.fromMe as a string', (m) => ((m.payload as Record<string, unknown>).fromMe = 'false')],
    ['payload.hasMedia missing', (m) => delete (m.payload as Record<string, unknown>).hasMedia],
    ['payload.ack out of range', (m) => ((m.payload as Record<string, unknown>).ack = 7)],
    ['payload.body a number', (m) => ((m.payload as Record<string, unknown>).body = 42)],
    ['me without id', (m) => (m.me = { pushName: 'Me' })],
    ['not an object at all', (m) => Object.keys(m).forEach((key) => delete m[key])],
  ]
  for (const [name, mutate] of cases) {
    test(name, () => {
      const message = incomingMessage()
      mutate(message)
      expect(Value.Check(WahaMessageWebhookBody, message)).toBe(false)
    })
  }

  test('a session status WAHA does not have, a missing name, a state-change without payload', () => {
    const status = (payload: unknown, event = 'session.status') => ({
      id: 'evt_1',
      timestamp: 1,
      session: 's',
      engine: 'WEBJS',
      event,
      payload,
    })
    expect(Value.Check(WahaStateChangeWebhookBody, status({ name: 's', status: 'WORKING' }))).toBe(true)
    expect(Value.Check(WahaStateChangeWebhookBody, status({ name: 's', status: 'CONNECTED' }))).toBe(false)
    expect(Value.Check(WahaStateChangeWebhookBody, status({ status: 'WORKING' }))).toBe(false)
    expect(Value.Check(WahaStateChangeWebhookBody, status({ name: 's', status: 'WORKING' }, 'message'))).toBe(false)
    expect(Value.Check(WahaStateChangeWebhookBody, status({ state: 'CONNECTED' }, 'state.change'))).toBe(true)
    expect(Value.Check(WahaStateChangeWebhookBody, status(undefined, 'state.change'))).toBe(false)
  })

  test('group participant events need a known role and type; reactions need the reacted message id', () => {
    const base = { id: 'evt_1', timestamp: 1, session: 's', engine: 'GOWS' }
    const participants = (type: string, role: string) => ({
      ...base,
      event: 'group.v2.participants',
      payload: { type, timestamp: 1, group: { id: 'g@g.us' }, participants: [{ id: 'p@c.us', role }], _data: {} },
    })
    expect(Value.Check(WahaMessageWebhookBody, participants('promote', 'admin'))).toBe(true)
    expect(Value.Check(WahaMessageWebhookBody, participants('promote', 'owner'))).toBe(false)
    expect(Value.Check(WahaMessageWebhookBody, participants('kick', 'admin'))).toBe(false)
    const reaction = (reactionBody: unknown) => ({
      ...base,
      event: 'message.reaction',
      payload: { id: 'r1', timestamp: 1, from: 'a@c.us', fromMe: false, to: 'b@c.us', reaction: reactionBody },
    })
    expect(Value.Check(WahaMessageWebhookBody, reaction({ text: '👍', messageId: 'm1' }))).toBe(true)
    expect(Value.Check(WahaMessageWebhookBody, reaction({ text: '' , messageId: 'm1' }))).toBe(true)
    expect(Value.Check(WahaMessageWebhookBody, reaction({ text: '👍' }))).toBe(false)
  })
})

describe('as Elysia route bodies', () => {
  const app = new Elysia()
    .post('/webhook/message', ({ body }) => ({ event: body.event, body }), { body: WahaMessageWebhookBody })
    .post('/webhook/state-change', ({ body }) => ({ event: body.event }), { body: WahaStateChangeWebhookBody })
  const post = (path: string, body: unknown) =>
    app.handle(new Request(`http://localhost${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }))

  test('a valid envelope is accepted and its extra fields reach the handler', async () => {
    const message = incomingMessage()
    ;(message.payload as Record<string, unknown>).futureField = 'kept'
    const response = await post('/webhook/message', message)
    expect(response.status).toBe(200)
    const echoed = (await response.json()) as { event: string; body: MessageBody & { payload: { futureField?: string } } }
    expect(echoed.event).toBe('message')
    expect(echoed.body.payload.futureField).toBe('kept')
  })

  test('a malformed envelope is refused before the handler runs', async () => {
    const message = incomingMessage()
    delete (message.payload as Record<string, unknown>).fromMe
    expect((await post('/webhook/message', message)).status).toBe(422)
    const status = await post('/webhook/state-change', {
      id: 'e',
      timestamp: 1,
      session: 's',
      engine: 'WEBJS',
      event: 'session.status',
      payload: { name: 's', status: 'WORKING' },
    })
    expect(status.status).toBe(200)
  })
})

test('WAHA statuses map onto the contract states (API.md §4)', () => {
  const mapped = Object.fromEntries(WAHA_SESSION_STATUSES.map((status) => [status, wahaStatusToState(status)]))
  expect(mapped).toEqual({
    STOPPED: 'DISCONNECTED',
    STARTING: 'AUTHENTICATING',
    SCAN_QR_CODE: 'AUTHENTICATING',
    PASSKEY_REQUIRED: 'AUTHENTICATING',
    PASSKEY_CONFIRMATION_REQUIRED: 'AUTHENTICATING',
    WORKING: 'CONNECTED',
    FAILED: 'DISCONNECTED',
  })
  // The document's status enum is exactly ours.
  const documented = (openapi.document.components.schemas.WASessionStatusBody?.properties as Record<string, JsonSchema>).status?.enum
  expect(documented).toEqual([...WAHA_SESSION_STATUSES])
})
