/**
 * An engine that reports media without its bytes (as an engine that downloads lazily
 * would): the download route asks the engine once, keeps the bytes, and serves them
 * from the store afterwards.
 */
import { afterEach, expect, test } from 'bun:test'
import { ACK, BaseEngineSession, type Capability, type MediaFile, type EngineContext, type EngineFactory, type SessionSnapshot } from '../../src/providers/engine'
import { createTestServer, waitFor, type TestServer, testEngine } from '../helpers/app'
import { A, B, jid, PNG } from '../helpers/whatsapp'

const MESSAGE_ID = `false_${jid(B)}_3EB0LAZYMEDIA`
let downloads = 0

class LazyMediaSession extends BaseEngineSession {
  readonly engine = 'lazy-media'
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>(['messages.media'])
  private status: SessionSnapshot['status'] = 'STOPPED'

  constructor(private readonly context: EngineContext) {
    super()
  }

  snapshot(): SessionSnapshot {
    return { status: this.status }
  }

  async start(): Promise<void> {
    this.status = 'WORKING'
    this.context.emit({
      type: 'message',
      message: {
        id: MESSAGE_ID,
        timestamp: 1_767_225_600,
        chatId: jid(B),
        from: jid(B),
        to: jid(A),
        fromMe: false,
        type: 'image',
        body: 'lazy',
        hasMedia: true,
        media: { mimetype: 'image/png' },
        ack: ACK.DEVICE,
      },
    })
  }

  async stop(): Promise<void> {
    this.status = 'STOPPED'
  }

  async logout(): Promise<void> {
    this.status = 'STOPPED'
  }

  override async downloadMedia(messageId: string): Promise<MediaFile | null> {
    downloads++
    return messageId === MESSAGE_ID ? { data: PNG, mimeType: 'image/png', filename: 'lazy.png' } : null
  }
}

const factory: EngineFactory = { engine: 'lazy-media', capabilities: new Set<Capability>(['messages.media']), create: (context) => new LazyMediaSession(context) }

let server: TestServer
afterEach(async () => {
  await server.close()
})

test('media the engine did not hand over is fetched from it once, then served from the store', async () => {
  server = await createTestServer({}, { addEngines: [testEngine('lazy-media', () => factory)] })
  await server.call('POST', `/${A}/start`, { body: { engine: 'lazy-media' } })
  await waitFor(async () => (await server.call<{ messages: unknown[] }>('GET', `/${A}/messages/${B}`)).body.messages?.length === 1)
  for (let i = 0; i < 2; i++) {
    const response = await server.request('GET', `/${A}/messages/${B}/${MESSAGE_ID}/media`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('image/png')
    expect(response.headers.get('content-disposition')).toBe(`inline; filename="lazy.png"; filename*=UTF-8''lazy.png`)
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(PNG)
  }
  expect(downloads).toBe(1)
})
