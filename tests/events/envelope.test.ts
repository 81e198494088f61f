import { describe, expect, test } from 'bun:test'
import { Value } from '@sinclair/typebox/value'
import { loadConfig } from '../../src/config'
import type { SessionEvent } from '../../src/events/bus'
import { matchesFilter, StatusHistory, toEnvelopes } from '../../src/events/envelope'
import { ENGINES } from '../../src/providers/registry'
import type { MessageDTO, EngineEvent } from '../../src/providers/engine'
import { WAHAWebhookMessage, WAHAWebhookMessageAck, WAHAWebhookMessageAny, WAHAWebhookSessionStatus, WahaMessageWebhookBody } from '../../src/providers/waha/model'
import { tempDir, testEnv } from '../helpers/app'

const SESSION = '966500000001'
const ME = { id: `${SESSION}@c.us`, pushName: 'Support desk' }
const options = { publicUrl: 'https://gw.example.com' }

function source(event: EngineEvent, receivedAt = 1_767_225_600_000): SessionEvent {
  return { session: SESSION, engine: 'webjs', me: ME, receivedAt, event }
}

const message: MessageDTO = {
  id: 'false_966511111111@c.us_3EB0ABCDEF',
  timestamp: 1_767_225_600,
  chatId: '966511111111@c.us',
  from: '966511111111@c.us',
  to: `${SESSION}@c.us`,
  fromMe: false,
  type: 'text',
  body: 'Hello',
  hasMedia: false,
  ack: 2,
}

describe('envelopes', () => {
  test('a received message becomes message and message.any, WAHA-shaped', () => {
    const envelopes = toEnvelopes(source({ type: 'message', message }), options, new StatusHistory())
    expect(envelopes.map((e) => e.event)).toEqual(['message', 'message.any'])
    const [first, second] = envelopes
    expect(first).toMatchObject({ timestamp: 1_767_225_600_000, session: SESSION, me: ME, engine: 'WEBJS' })
    expect(first!.payload).toEqual({
      id: message.id,
      timestamp: message.timestamp,
      from: message.from,
      fromMe: false,
      to: message.to,
      chatId: message.chatId,
      type: 'text',
      body: 'Hello',
      hasMedia: false,
      ack: 2,
      ackName: 'DEVICE',
    })
    expect(second!.payload).toEqual(first!.payload)
    expect(first!.id).toMatch(/^evt_[0-9a-z]{26}$/)
    expect(first!.id).not.toBe(second!.id)
    // A consumer reading WAHA's envelope (our tolerant copy of WAHA's published schema) reads ours.
    expect(Value.Check(WAHAWebhookMessage, first)).toBe(true)
    expect(Value.Check(WAHAWebhookMessageAny, second)).toBe(true)
    expect(Value.Check(WahaMessageWebhookBody, first)).toBe(true)
  })

  test('a sent message is only message.any', () => {
    const sent = { ...message, fromMe: true, from: `${SESSION}@c.us`, to: message.chatId, ack: 1 as const }
    expect(toEnvelopes(source({ type: 'message', message: sent }), options, new StatusHistory()).map((e) => e.event)).toEqual(['message.any'])
  })

  test('media points at this server’s download route; replyTo is an object with the id', () => {
    const withMedia: MessageDTO = { ...message, type: 'image', hasMedia: true, media: { mimetype: 'image/jpeg', size: 1234 }, replyTo: 'true_966511111111@c.us_3EB0QUOTED' }
    const [envelope] = toEnvelopes(source({ type: 'message', message: withMedia }), options, new StatusHistory())
    expect(envelope!.payload.media).toEqual({
      url: `https://gw.example.com/api/whatsapp/${SESSION}/messages/966511111111%40c.us/false_966511111111%40c.us_3EB0ABCDEF/media`,
      mimetype: 'image/jpeg',
      filename: null,
      size: 1234,
    })
    expect(envelope!.payload.replyTo).toEqual({ id: 'true_966511111111@c.us_3EB0QUOTED' })
    expect(Value.Check(WAHAWebhookMessage, envelope)).toBe(true)
  })

  test('internal events publish nothing', () => {
    expect(toEnvelopes(source({ type: 'qr', value: '2@abc' }), options, new StatusHistory())).toEqual([])
    expect(toEnvelopes(source({ type: 'engine.crashed', reason: 'boom' }), options, new StatusHistory())).toEqual([])
  })

  test('session.status carries name, status, recent statuses, me and reason', () => {
    const history = new StatusHistory(3)
    toEnvelopes(source({ type: 'session.status', status: 'STARTING' }, 1), options, history)
    toEnvelopes(source({ type: 'session.status', status: 'SCAN_QR_CODE' }, 2), options, history)
    toEnvelopes(source({ type: 'session.status', status: 'WORKING', me: ME }, 3), options, history)
    const [envelope] = toEnvelopes(source({ type: 'session.status', status: 'FAILED', reason: 'browser died' }, 4), options, history)
    expect(envelope!.event).toBe('session.status')
    expect(envelope!.payload).toEqual({
      name: SESSION,
      status: 'FAILED',
      statuses: [
        { status: 'SCAN_QR_CODE', timestamp: 2 },
        { status: 'WORKING', timestamp: 3 },
        { status: 'FAILED', timestamp: 4 },
      ],
      me: ME,
      reason: 'browser died',
    })
    const working = toEnvelopes(source({ type: 'session.status', status: 'WORKING' }, 5), options, history)[0]
    expect(Value.Check(WAHAWebhookSessionStatus, working)).toBe(true)
  })

  test('every other engine event maps 1:1 to its name', () => {
    const cases: EngineEvent[] = [
      { type: 'message.ack', id: message.id, chatId: message.chatId, from: message.from, to: message.to, fromMe: false, ack: 3 },
      { type: 'message.reaction', id: 'r1', chatId: message.chatId, from: message.from, fromMe: false, timestamp: 1, reaction: { text: '👍', messageId: message.id } },
      { type: 'message.revoked', chatId: message.chatId, revokedMessageId: message.id, from: message.from, fromMe: false, timestamp: 1 },
      { type: 'message.edited', chatId: message.chatId, editedMessageId: message.id, body: 'edited', from: message.from, fromMe: false, timestamp: 1 },
      { type: 'group.v2.join', group: { id: '1203@g.us', subject: 'Team' }, timestamp: 1 },
      { type: 'group.v2.leave', group: { id: '1203@g.us' }, timestamp: 1 },
      { type: 'group.v2.participants', group: { id: '1203@g.us' }, action: 'promote', participants: ['966511111111@c.us'], timestamp: 1 },
      { type: 'group.v2.update', group: { id: '1203@g.us', subject: 'New name' }, timestamp: 1 },
      { type: 'presence.update', chatId: message.chatId, participant: message.from, state: 'typing', timestamp: 1 },
      { type: 'call.received', id: 'call1', from: message.from, isVideo: false, isGroup: false, timestamp: 1 },
    ]
    for (const event of cases) {
      const envelopes = toEnvelopes(source(event), options, new StatusHistory())
      expect(envelopes.map((e) => e.event as string)).toEqual([event.type])
    }
    const [ack] = toEnvelopes(source(cases[0]!), options, new StatusHistory())
    expect(ack!.payload).toMatchObject({ id: message.id, ack: 3, ackName: 'READ' })
    expect(Value.Check(WAHAWebhookMessageAck, ack)).toBe(true)
    const [participants] = toEnvelopes(source(cases[6]!), options, new StatusHistory())
    expect(participants!.payload).toMatchObject({ type: 'promote', participants: [{ id: '966511111111@c.us', role: 'admin' }] })
    const [presence] = toEnvelopes(source(cases[8]!), options, new StatusHistory())
    expect(presence!.payload).toEqual({ id: message.chatId, presences: [{ participant: message.from, lastKnownPresence: 'typing', lastSeen: 1 }] })
  })

  test("engine names are WAHA-style, each the registry's envelope name of its engine", () => {
    const names = new Map<string, string>(ENGINES.map((engine) => [engine.name, engine.envelopeName]))
    const named = { ...options, envelopeName: (engine: string) => names.get(engine)! }
    for (const [engine, name] of [['webjs', 'WEBJS'], ['simulator', 'SIMULATOR'], ['waha', 'WAHA']] as const) {
      const [envelope] = toEnvelopes({ ...source({ type: 'message', message }), engine }, named, new StatusHistory())
      expect(envelope!.engine).toBe(name)
    }
  })

  test('filters: names, or * for all', () => {
    expect(matchesFilter(['*'], 'message.ack')).toBe(true)
    expect(matchesFilter(['message'], 'message')).toBe(true)
    expect(matchesFilter(['message'], 'message.any')).toBe(false)
  })

  test('PUBLIC_URL defaults to the listen address', () => {
    expect(loadConfig(testEnv(tempDir(), { PORT: '8080', HOST: '0.0.0.0' })).publicUrl).toBe('http://127.0.0.1:8080')
    expect(loadConfig(testEnv(tempDir(), { PORT: '8080', HOST: '::1' })).publicUrl).toBe('http://[::1]:8080')
    expect(loadConfig(testEnv(tempDir(), { PUBLIC_URL: 'https://gw.example.com/' })).publicUrl).toBe('https://gw.example.com')
  })
})
