/** The message store as the event ingest feeds it: one SQLite file, real files under a temp DATA_DIR. */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { EventBus, type SessionEvent } from '../../src/events/bus'
import { EventIngest } from '../../src/events/ingest'
import { silentLogger } from '../../src/lib/logger'
import { MediaFiles } from '../../src/messaging/media-files'
import { MessageStore } from '../../src/messaging/message-store'
import { ACK, type MessageDTO, type EngineEvent } from '../../src/providers/engine'
import { migrate } from '../../src/storage/migrations'
import { tempDir } from '../helpers/app'
import { PNG } from '../helpers/whatsapp'

const S = '966500000001'
const CHAT = '966500000002@c.us'
let dir: string
let db: SQL
let bus: EventBus
let ingest: EventIngest
let store: MessageStore

function message(n: number, extra: Partial<MessageDTO> = {}): MessageDTO {
  return {
    id: `true_${CHAT}_KEY${n}`,
    timestamp: 1_767_225_600,
    chatId: CHAT,
    from: `${S}@c.us`,
    to: CHAT,
    fromMe: true,
    type: 'text',
    body: `message ${n}`,
    hasMedia: false,
    ack: ACK.SERVER,
    ...extra,
  }
}

async function emit(event: EngineEvent): Promise<void> {
  const sessionEvent: SessionEvent = { session: S, engine: 'simulator', receivedAt: Date.now(), event }
  bus.publish(sessionEvent)
  await ingest.idle()
}

beforeEach(async () => {
  dir = tempDir()
  db = new SQL({ adapter: 'sqlite', filename: join(dir, 'db.sqlite') })
  await migrate(db)
  bus = new EventBus()
  ingest = new EventIngest(db, silentLogger)
  ingest.attach(bus)
  store = new MessageStore(db, new MediaFiles(join(dir, 'media')), silentLogger, { publicUrl: 'http://wa.example' })
  store.attach(ingest)
})
afterEach(async () => {
  await ingest.close()
  await db.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('MessageStore', () => {
  test('messages of the same second keep their arrival order; the cursor pages through them', async () => {
    for (let n = 1; n <= 5; n++) await emit({ type: 'message', message: message(n) })
    const first = await store.history(S, CHAT, { limit: 2 })
    expect(first!.messages.map((m) => m.body)).toEqual(['message 5', 'message 4'])
    const rest = await store.history(S, CHAT, { limit: 10, before: first!.messages[1]!.id })
    expect(rest!.messages.map((m) => m.body)).toEqual(['message 3', 'message 2', 'message 1'])
    expect(rest!.hasMore).toBe(false)
    expect(await store.history(S, CHAT, { limit: 10, before: 'true_x@c.us_NOPE' })).toBeUndefined()
  })

  test('an older timestamp sorts below, whatever the arrival order', async () => {
    await emit({ type: 'message', message: message(1, { timestamp: 2000 }) })
    await emit({ type: 'message', message: message(2, { timestamp: 1000 }) })
    expect((await store.history(S, CHAT, { limit: 10 }))!.messages.map((m) => m.body)).toEqual(['message 1', 'message 2'])
  })

  test('a repeated message event neither duplicates the row nor moves its ack back', async () => {
    await emit({ type: 'message', message: message(1) })
    await emit({ type: 'message.ack', id: message(1).id, chatId: CHAT, from: `${S}@c.us`, to: CHAT, fromMe: true, ack: ACK.READ })
    await emit({ type: 'message', message: message(1, { ack: ACK.SERVER }) })
    const history = await store.history(S, CHAT, { limit: 10 })
    expect(history!.messages).toHaveLength(1)
    expect(history!.messages[0]).toMatchObject({ ack: ACK.READ, ackName: 'READ' })
  })

  test('acks only move forward, except ERROR', async () => {
    await emit({ type: 'message', message: message(1) })
    const ack = (level: (typeof ACK)[keyof typeof ACK]) => emit({ type: 'message.ack', id: message(1).id, chatId: CHAT, from: `${S}@c.us`, to: CHAT, fromMe: true, ack: level })
    await ack(ACK.READ)
    await ack(ACK.DEVICE)
    expect((await store.get(S, message(1).id))!.ack).toBe(ACK.READ)
    await ack(ACK.ERROR)
    expect((await store.get(S, message(1).id))!.ackName).toBe('ERROR')
  })

  test('edits, reactions and their removal', async () => {
    await emit({ type: 'message', message: message(1) })
    await emit({ type: 'message.edited', chatId: CHAT, editedMessageId: message(1).id, body: 'fixed', from: `${S}@c.us`, fromMe: true, timestamp: 1 })
    const reaction = (from: string, text: string) =>
      emit({ type: 'message.reaction', id: `r-${from}`, chatId: CHAT, from, fromMe: false, timestamp: 5, reaction: { text, messageId: message(1).id } })
    await reaction(CHAT, '👍')
    await reaction(CHAT, '❤️')
    await reaction('966500000003@c.us', '😂')
    let stored = await store.get(S, message(1).id)
    expect(stored).toMatchObject({ body: 'fixed', edited: true })
    expect(stored!.reactions!.map((r) => [r.from, r.emoji])).toEqual([
      [CHAT, '❤️'],
      ['966500000003@c.us', '😂'],
    ])
    await reaction(CHAT, '')
    stored = await store.get(S, message(1).id)
    expect(stored!.reactions!.map((r) => r.emoji)).toEqual(['😂'])
  })

  test('media is written under DATA_DIR/media/<phone>/<sha256>; a delete for everyone removes it once unused', async () => {
    const media = { data: PNG, mimeType: 'image/png', filename: 'a.png' }
    const image = message(1, { type: 'image', hasMedia: true, media: { mimetype: 'image/png', size: PNG.byteLength } })
    await emit({ type: 'message', message: image, media })
    await emit({ type: 'message', message: message(2, { type: 'image', hasMedia: true }), media })
    const files = readdirSync(join(dir, 'media', S))
    expect(files).toEqual([new Bun.CryptoHasher('sha256').update(PNG).digest('hex')])
    const stored = await store.media(S, image.id)
    expect(stored).toMatchObject({ size: PNG.byteLength, mimeType: 'image/png', filename: 'a.png' })
    expect(await stored!.blob.bytes()).toEqual(PNG)
    expect((await store.get(S, image.id))!.media).toMatchObject({ url: `http://wa.example/api/whatsapp/${S}/messages/${encodeURIComponent(CHAT)}/${encodeURIComponent(image.id)}/media`, size: PNG.byteLength })

    await emit({ type: 'message.revoked', chatId: CHAT, revokedMessageId: image.id, from: `${S}@c.us`, fromMe: true, timestamp: 1 })
    await Bun.sleep(10)
    expect(await store.media(S, image.id)).toBeUndefined()
    expect((await store.get(S, image.id))!).toMatchObject({ type: 'revoked', body: '', hasMedia: false })
    // Message 2 still uses the same bytes: the file stays.
    expect(existsSync(join(dir, 'media', S, files[0]!))).toBe(true)
    await emit({ type: 'message.revoked', chatId: CHAT, revokedMessageId: message(2).id, from: `${S}@c.us`, fromMe: true, timestamp: 1 })
    await Bun.sleep(10)
    expect(existsSync(join(dir, 'media', S, files[0]!))).toBe(false)
  })

  test('ensure completes a row the engine reported without bytes', async () => {
    await emit({ type: 'message', message: message(1, { type: 'image', hasMedia: true }) })
    expect(await store.media(S, message(1).id)).toBeUndefined()
    await store.ensure(S, message(1, { type: 'image', hasMedia: true }), { data: PNG, mimeType: 'image/png' })
    expect(await (await store.media(S, message(1).id))!.blob.bytes()).toEqual(PNG)
    expect((await store.history(S, CHAT, { limit: 10 }))!.messages).toHaveLength(1)
  })

  test('purge forgets a number', async () => {
    await emit({ type: 'message', message: message(1, { type: 'image', hasMedia: true }), media: { data: PNG, mimeType: 'image/png' } })
    await store.purge(S)
    expect(await store.hasChat(S, CHAT)).toBe(false)
    expect(existsSync(join(dir, 'media', S))).toBe(false)
  })
})
