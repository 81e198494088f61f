/**
 * Contract §7: "A message payload has at least `id, timestamp, from, fromMe, to, body,
 * hasMedia, ack, replyTo?` and, with media, `media: {url, mimetype, filename}` where `url`
 * is this server's download route." Checked on both places a client reads messages: the
 * `message` event and the history of §6 (which left `filename` out when there was none,
 * while the event said `null`). Both also agree on `replyTo: {id}` (WAHA's shape; history
 * said a bare string) and on an absolute `media.url` under PUBLIC_URL (history said a path).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestServer, waitFor, type TestServer } from '../helpers/app'
import { SseReader } from '../helpers/sse'

const A = '966500000001'
const B = '966500000002'
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='
let server: TestServer
let events: SseReader
let eventsOfA: SseReader
const sent: Record<string, string> = {}

beforeAll(async () => {
  server = await createTestServer()
  await server.link(A)
  await server.link(B)
  events = new SseReader(await server.request('GET', `/${B}/events?events=message`))
  eventsOfA = new SseReader(await server.request('GET', `/${A}/events?events=message`))
  const send = async (path: string, body: Record<string, unknown>) => {
    const result = await server.call<{ messageId: string }>('POST', `/${A}/${path}`, { body: { chatId: B, ...body } })
    expect(result.status).toBe(200)
    return result.body.messageId
  }
  sent.text = await send('send-text', { text: 'plain text' })
  sent.image = await send('send-image', { imageUrl: PNG, mimeType: 'image/png' })
  sent.file = await send('send-file', { fileUrl: Buffer.from('hello').toString('base64'), mimeType: 'text/plain', filename: 'hello.txt' })
  const received = `false_${A}@c.us_${sent.text.split('_').at(-1)}`
  sent.reply = (await server.call<{ messageId: string }>('POST', `/${B}/send-text`, { body: { chatId: A, text: 'a reply', quotedMsgId: received } })).body.messageId
  await waitFor(() => events.events.length >= 3 && eventsOfA.events.length >= 1)
})
afterAll(async () => {
  await events.close()
  await eventsOfA.close()
  await server.close()
})

type Message = Record<string, unknown> & { media?: Record<string, unknown> }

function checkPayload(message: Message, where: string) {
  for (const field of ['id', 'timestamp', 'from', 'fromMe', 'to', 'body', 'hasMedia', 'ack']) expect(message, `${where}: ${field}`).toHaveProperty(field)
  if (message.hasMedia) {
    expect(Object.keys(message.media ?? {}), where).toEqual(expect.arrayContaining(['url', 'mimetype', 'filename']))
    expect(String(message.media!.url), where).toContain(`/api/whatsapp/${B}/messages/`)
  }
}

describe('message payloads', () => {
  test('the message event', () => {
    const payloads = events.events.map((event) => event.data.payload as Message)
    expect(payloads.length).toBeGreaterThanOrEqual(3)
    for (const payload of payloads) checkPayload(payload, `event ${String(payload.id)}`)
    const image = payloads.find((payload) => payload.hasMedia && payload.type === 'image')!
    expect(image.media).toMatchObject({ mimetype: 'image/png', filename: null })
  })

  test('the history, with filename null when the media has none', async () => {
    const history = await server.call<{ messages: Message[] }>('GET', `/${B}/messages/${A}`)
    expect(history.status).toBe(200)
    for (const message of history.body.messages) checkPayload(message, `history ${String(message.id)}`)
    const image = history.body.messages.find((message) => message.type === 'image')!
    expect(image.media).toMatchObject({ mimetype: 'image/png', filename: null })
    const file = history.body.messages.find((message) => message.type === 'document')!
    expect(file.media).toMatchObject({ mimetype: 'text/plain', filename: 'hello.txt' })
    // The url is the download route, and it serves the bytes.
    const download = await server.request('GET', new URL(String(image.media!.url)).pathname.replace('/api/whatsapp', ''))
    expect(download.status).toBe(200)
    expect(Buffer.from(await download.arrayBuffer()).toString('base64')).toBe(PNG)
  })

  test('a reply names the quoted message', async () => {
    const history = await server.call<{ messages: Message[] }>('GET', `/${A}/messages/${B}`)
    const reply = history.body.messages.find((message) => message.body === 'a reply')!
    expect(reply.replyTo).toEqual({ id: sent.text })
  })

  test('history and events give the same replyTo and media.url', async () => {
    const historyOfA = (await server.call<{ messages: Message[] }>('GET', `/${A}/messages/${B}`)).body.messages
    const replyEvent = eventsOfA.events.map((event) => event.data.payload as Message).find((payload) => payload.body === 'a reply')!
    const replyInHistory = historyOfA.find((message) => message.id === replyEvent.id)!
    expect(replyEvent.replyTo).toEqual({ id: sent.text })
    expect(replyInHistory.replyTo).toEqual(replyEvent.replyTo)

    const historyOfB = (await server.call<{ messages: Message[] }>('GET', `/${B}/messages/${A}`)).body.messages
    const imageEvent = events.events.map((event) => event.data.payload as Message).find((payload) => payload.type === 'image')!
    const imageInHistory = historyOfB.find((message) => message.id === imageEvent.id)!
    expect(String(imageEvent.media!.url)).toStartWith(`${server.config.publicUrl}/api/whatsapp/${B}/messages/`)
    expect(imageInHistory.media!.url).toBe(imageEvent.media!.url)
  })
})
