/**
 * Adding an engine is one definition (in a real engine, its folder's `definition.ts`) and
 * one registry line: here a test-only engine, defined and registered from this file with no
 * edit anywhere else, reads its own settings, runs a session through the HTTP API, names
 * itself in event envelopes and receives its own HTTP callbacks.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { Type } from '@sinclair/typebox'
import { ConfigError, loadConfig } from '../../src/config'
import {
  ACK,
  BaseEngineSession,
  defineEngine,
  type Capability,
  type EngineContext,
  type EngineEvent,
  type MessageDTO,
  type SendRequest,
  type SessionSnapshot,
} from '../../src/providers/engine'
import { ENGINES, EngineRegistry } from '../../src/providers/registry'
import { silentLogger } from '../../src/lib/logger'
import { createTestServer, tempDir, testEnv, waitFor, type TestServer } from '../helpers/app'
import { SseReader } from '../helpers/sse'

const PHONE = '15550003333'
const PEER = '15550004444'

interface EchoSettings {
  greeting: string
}

/** Links at once, greets with its setting, and answers every text with the same text. */
class EchoSession extends BaseEngineSession {
  readonly engine = 'echo'
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>(['send.text'])
  private status: SessionSnapshot['status'] = 'STOPPED'
  private sent = 0

  constructor(
    private readonly context: EngineContext,
    private readonly settings: EchoSettings,
  ) {
    super()
  }

  snapshot(): SessionSnapshot {
    return { status: this.status, ...(this.status === 'WORKING' && { me: { id: `${this.context.phoneNumber}@c.us`, pushName: this.settings.greeting } }) }
  }

  async start(): Promise<void> {
    this.status = 'WORKING'
    this.context.emit({ type: 'session.status', status: 'WORKING', me: { id: `${this.context.phoneNumber}@c.us`, pushName: this.settings.greeting } })
  }

  async stop(): Promise<void> {
    this.status = 'STOPPED'
  }

  async logout(): Promise<void> {
    this.status = 'STOPPED'
  }

  override async send(request: SendRequest): Promise<MessageDTO> {
    if (request.content.type !== 'text') return this.unsupported(request.content.type)
    const message: MessageDTO = {
      id: `true_${request.chatId}_ECHO${++this.sent}`,
      timestamp: Math.floor(Date.now() / 1000),
      chatId: request.chatId,
      from: `${this.context.phoneNumber}@c.us`,
      to: request.chatId,
      fromMe: true,
      type: 'text',
      body: request.content.text,
      hasMedia: false,
      ack: ACK.SERVER,
    }
    this.context.emit({ type: 'message', message })
    return message
  }

  async acceptExternalEvents(events: EngineEvent[]): Promise<void> {
    for (const event of events) this.context.emit(event)
  }
}

const EchoCallback = Type.Object({ session: Type.String(), deliveryId: Type.String(), from: Type.String(), text: Type.String({ minLength: 1 }) })

const echoEngine = defineEngine({
  name: 'echo',
  envelopeName: 'ECHO',
  settings: (read): EchoSettings => {
    const greeting = read.string('ECHO_GREETING') ?? 'Echo'
    if (greeting.length > 20) read.problems.push('ECHO_GREETING must be at most 20 characters')
    return { greeting }
  },
  load: async (settings) => ({
    engine: 'echo',
    capabilities: new Set<Capability>(['send.text']),
    create: (context: EngineContext) => new EchoSession(context, settings),
  }),
  callbacks: {
    schemas: { message: EchoCallback, 'state-change': EchoCallback },
    decoder: async () => ({
      decode: (_kind, body) => {
        const callback = body as typeof EchoCallback.static
        const message: MessageDTO = {
          id: `false_${callback.from}_${callback.deliveryId}`,
          timestamp: Math.floor(Date.now() / 1000),
          chatId: callback.from,
          from: callback.from,
          to: `${callback.session}@c.us`,
          fromMe: false,
          type: 'text',
          body: callback.text,
          hasMedia: false,
          ack: ACK.DEVICE,
        }
        return { session: callback.session, deliveryId: callback.deliveryId, events: [{ type: 'message', message }] }
      },
    }),
  },
})

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe('a test-only engine plugged in from the test', () => {
  test('its settings section is read and checked with every other setting', () => {
    const config = loadConfig(testEnv(tempDir(), { ECHO_GREETING: 'Hello there' }), [...ENGINES, echoEngine])
    expect((config as unknown as { echo: EchoSettings }).echo).toEqual({ greeting: 'Hello there' })
    expect(() => loadConfig(testEnv(tempDir(), { ECHO_GREETING: 'x'.repeat(21), PORT: 'x' }), [...ENGINES, echoEngine])).toThrow(ConfigError)
    try {
      loadConfig(testEnv(tempDir(), { ECHO_GREETING: 'x'.repeat(21), PORT: 'x' }), [...ENGINES, echoEngine])
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([expect.stringContaining('PORT'), 'ECHO_GREETING must be at most 20 characters'])
    }
    // It can be the default engine; without it registered, its name is refused.
    expect(loadConfig(testEnv(tempDir(), { WA_ENGINE: 'echo' }), [...ENGINES, echoEngine]).defaultEngine).toBe('echo')
    expect(() => loadConfig(testEnv(tempDir(), { WA_ENGINE: 'echo' }))).toThrow('WA_ENGINE must be one of webjs, simulator, waha (got "echo")')
  })

  test('serves a session through HTTP: start, state, health, send, and envelopes named after it', async () => {
    server = await createTestServer({ ECHO_GREETING: 'Echo desk' }, { addEngines: [echoEngine] })
    expect((await server.call<{ engines: string[] }>('GET', '/health', { key: null })).body.engines).toContain('echo')
    const started = await server.call('POST', `/${PHONE}/start`, { body: { engine: 'echo' } })
    expect(started.status).toBe(200)
    await waitFor(async () => (await server!.call<{ status: string }>('GET', `/${PHONE}/state`)).body.status === 'WORKING')
    const state = await server.call('GET', `/${PHONE}/state`)
    expect(state.body).toMatchObject({ state: 'CONNECTED', status: 'WORKING', engine: 'echo', capabilities: ['send.text'], me: { pushName: 'Echo desk' } })

    const response = await server.request('GET', `/${PHONE}/events`)
    expect(response.status).toBe(200)
    const reader = new SseReader(response)
    try {
      const sent = await server.call<{ messageId: string }>('POST', `/${PHONE}/send-text`, { body: { chatId: `${PEER}@c.us`, text: 'ping' } })
      expect(sent.status).toBe(200)
      await waitFor(() => reader.events.some((e) => e.event === 'message.any'))
      expect(reader.events.find((e) => e.event === 'message.any')!.data).toMatchObject({ engine: 'ECHO', session: PHONE, payload: { id: sent.body.messageId, body: 'ping', fromMe: true } })

      // What it lacks answers 501 before the engine is touched.
      const image = await server.call('POST', `/${PHONE}/send-image`, { body: { chatId: `${PEER}@c.us`, imageUrl: 'data:image/png;base64,iVBORw0KGgo=' } })
      expect(image.status).toBe(501)
      expect(image.body).toMatchObject({ code: 'NOT_SUPPORTED', details: { engine: 'echo', feature: 'send.image' } })

      // Its own callbacks, validated by its own schema and read by its own decoder.
      const callback = { session: PHONE, deliveryId: 'D1', from: `${PEER}@c.us`, text: 'from outside' }
      const accepted = await server.call('POST', '/webhook/message', { body: callback })
      expect(accepted).toMatchObject({ status: 200, body: { success: true, published: 1, duplicate: false } })
      await waitFor(() => reader.events.some((e) => e.event === 'message'))
      expect(reader.events.find((e) => e.event === 'message')!.data).toMatchObject({ engine: 'ECHO', payload: { body: 'from outside', fromMe: false } })
      expect((await server.call('POST', '/webhook/message', { body: callback })).body).toMatchObject({ published: 0, duplicate: true })
      expect((await server.call('POST', '/webhook/message', { body: { ...callback, text: '' } })).status).toBe(400)
    } finally {
      await reader.close()
    }
  })

  test('a callback for a session on an engine without callbacks answers 409', async () => {
    server = await createTestServer({}, { addEngines: [echoEngine] })
    await server.call('POST', `/${PHONE}/start`, { body: { engine: 'simulator' } })
    const refused = await server.call('POST', '/webhook/message', { body: { session: PHONE, deliveryId: 'D1', from: `${PEER}@c.us`, text: 'hi' } })
    expect(refused).toMatchObject({ status: 409, body: { code: 'CONFLICT', details: { engine: 'simulator' } } })
  })
})

describe('the registry', () => {
  const registry = (definitions = ENGINES) =>
    new EngineRegistry({ definitions, settingsOf: (engine) => loadConfig({ WAHA_URL: 'http://waha:3000', WAHA_API_KEY: 'k' }, definitions)[engine as 'waha'], host: { logger: silentLogger, publicApiUrl: 'http://x/api/whatsapp' } })

  test('knows every engine, offers the configured ones, and names their envelopes', () => {
    expect(registry().names).toEqual(['webjs', 'simulator', 'waha'])
    expect(ENGINES.map((engine) => engine.envelopeName)).toEqual(['WEBJS', 'SIMULATOR', 'WAHA'])
    const withoutWaha = new EngineRegistry({ definitions: ENGINES, settingsOf: (engine) => loadConfig({})[engine as 'waha'], host: { logger: silentLogger, publicApiUrl: 'http://x' } })
    expect(withoutWaha.engines).toEqual(['webjs', 'simulator'])
    expect(registry().engines).toEqual(['webjs', 'simulator', 'waha'])
  })

  test('refuses two engines of one name, and an engine named after a core setting', () => {
    expect(() => registry([...ENGINES, { ...echoEngine, name: 'simulator' }] as never)).toThrow('Two engines are named simulator')
    expect(() => loadConfig({}, [...ENGINES, { ...echoEngine, name: 'port' }])).toThrow('cannot be named port')
  })

  test('only engines that receive callbacks have a decoder', async () => {
    expect(await registry().callbackDecoder('simulator')).toBeUndefined()
    expect(await registry().callbackDecoder('waha')).toBeDefined()
    expect(registry().callbackSchemas('message')).toHaveLength(1)
  })
})
