/** `GET /:phoneNumber/events`: live SSE, Last-Event-ID replay, keepalives, and slow clients. */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import net from 'node:net'
import { createApp } from '../../src/app'
import { ADMIN_KEY, createTestServer, waitFor, type TestServer } from '../helpers/app'
import { SseReader } from '../helpers/sse'

const PHONE = '966500000001'
const OUTSIDER = '966511111111'
let server: TestServer
const readers: SseReader[] = []

beforeEach(async () => {
  server = await createTestServer({ SSE_KEEPALIVE_MS: '50' })
})
afterEach(async () => {
  for (const reader of readers.splice(0)) await reader.close()
  await server.close()
})

async function subscribe(query = '', headers: Record<string, string> = {}): Promise<SseReader> {
  const response = await server.request('GET', `/${PHONE}/events${query}`, { headers })
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toStartWith('text/event-stream')
  const reader = new SseReader(response)
  readers.push(reader)
  return reader
}

async function incoming(text: string): Promise<string> {
  const response = await server.call<{ messageId: string }>('POST', `/${PHONE}/sandbox/incoming`, { body: { from: OUTSIDER, text } })
  expect(response.status).toBe(200)
  return response.body.messageId
}

describe('SSE', () => {
  test('two subscribers receive the same sequence: ids increase, names and envelopes match the webhooks', async () => {
    await server.link(PHONE)
    const a = await subscribe()
    const b = await subscribe()
    const sent: string[] = []
    for (let i = 0; i < 5; i++) sent.push(await incoming(`m${i}`))
    await waitFor(() => a.events.length === 10 && b.events.length === 10)
    expect(a.events).toEqual(b.events)
    const ids = a.events.map((e) => Number(e.id))
    expect(ids).toEqual([...ids].sort((x, y) => x - y))
    expect(new Set(ids).size).toBe(ids.length)
    expect(a.events.map((e) => e.event)).toEqual(sent.flatMap(() => ['message', 'message.any']))
    for (const event of a.events) {
      expect(event.data).toMatchObject({ event: event.event, session: PHONE, engine: 'SIMULATOR' })
      expect(event.data.id).toMatch(/^evt_[0-9a-z]{26}$/)
    }
    expect(a.events.filter((e) => e.event === 'message').map((e) => e.data.payload.id)).toEqual(sent)
    expect(a.frames[0]!.retry).toBe(3000)
  })

  test('reconnecting with Last-Event-ID gets exactly the events missed, then live ones', async () => {
    await server.link(PHONE)
    const steady = await subscribe()
    const first = await subscribe()
    await incoming('before 1')
    await incoming('before 2')
    await waitFor(() => first.events.length === 4)
    const lastSeen = first.events.at(-1)!.id
    await first.close()
    await waitFor(() => server.deps.events.sse.subscriberCount(PHONE) === 1)

    await incoming('while away 1')
    await incoming('while away 2')
    await incoming('while away 3')
    await waitFor(() => steady.events.length === 10)

    const resumed = await subscribe('', { 'last-event-id': lastSeen })
    await waitFor(() => resumed.events.length === 6)
    expect(resumed.events).toEqual(steady.events.slice(4))
    await incoming('after')
    await waitFor(() => resumed.events.length === 8 && steady.events.length === 12)
    expect(resumed.events).toEqual(steady.events.slice(4))

    // The query parameter works as well (for clients that cannot set headers).
    const viaQuery = await subscribe(`?lastEventId=${lastSeen}`)
    await waitFor(() => viaQuery.events.length === 8)
    expect(viaQuery.events).toEqual(steady.events.slice(4))
  })

  test('Last-Event-ID 0 replays everything stored; without it only new events come', async () => {
    await server.link(PHONE)
    await incoming('old')
    await server.deps.ingest.idle()
    const fresh = await subscribe()
    const all = await subscribe('', { 'last-event-id': '0' })
    await waitFor(() => all.events.some((e) => e.event === 'message'))
    expect(all.events[0]!.event).toBe('session.status')
    await Bun.sleep(50)
    expect(fresh.events).toEqual([])
  })

  test('keepalive comments flow while nothing happens', async () => {
    await server.call('POST', `/${PHONE}/start`)
    const reader = await subscribe()
    await waitFor(() => reader.comments.filter((c) => c === 'keepalive').length >= 2)
    expect(reader.comments[0]).toBe('connected')
  })

  test('the events filter keeps only the named events', async () => {
    await server.link(PHONE)
    const reader = await subscribe('?events=message')
    await incoming('x')
    await incoming('y')
    await waitFor(() => reader.events.length === 2)
    await Bun.sleep(30)
    expect(reader.events.map((e) => e.event)).toEqual(['message', 'message'])
  })

  test('a deleted session closes its streams', async () => {
    await server.link(PHONE)
    const reader = await subscribe()
    expect((await server.call('DELETE', `/${PHONE}`)).status).toBe(200)
    await waitFor(() => reader.ended)
  })

  test('404 for an unknown session; 400 for a bad Last-Event-ID or filter; 401 without a key', async () => {
    expect((await server.call('GET', `/${PHONE}/events`)).status).toBe(404)
    await server.call('POST', `/${PHONE}/start`)
    const badHeader = await server.call('GET', `/${PHONE}/events`, { headers: { 'last-event-id': 'abc' } })
    expect(badHeader.status).toBe(400)
    expect(badHeader.body).toMatchObject({ code: 'BAD_REQUEST' })
    expect((await server.call('GET', `/${PHONE}/events?lastEventId=-1`)).status).toBe(400)
    expect((await server.call('GET', `/${PHONE}/events?events=message,nonsense`)).status).toBe(400)
    expect((await server.call('GET', `/${PHONE}/events`, { key: null })).status).toBe(401)
    expect((await server.call('GET', '/12/events')).status).toBe(400)
  })
})

describe('SSE over a real socket', () => {
  test('a client that stops reading is dropped; the others get every event; it resumes without a gap', async () => {
    await server.close()
    server = await createTestServer({ SSE_MAX_BUFFER_BYTES: '262144', SSE_KEEPALIVE_MS: '60000' })
    const app = createApp(server.deps).listen({ port: 0, hostname: '127.0.0.1' })
    try {
      await server.link(PHONE)
      const port = app.server!.port!
      // The slow client: sends the request, reads the first bytes, then stops reading.
      const slow = net.connect(port, '127.0.0.1', () =>
        slow.write(`GET /api/whatsapp/${PHONE}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Api-Key: ${ADMIN_KEY}\r\n\r\n`),
      )
      let slowText = ''
      slow.on('data', (chunk: Buffer) => {
        if (slowText === '') slow.pause()
        slowText += chunk.toString('latin1')
      })
      slow.on('error', () => undefined)
      const fast = new SseReader(await fetch(`http://127.0.0.1:${port}/api/whatsapp/${PHONE}/events`, { headers: { 'x-api-key': ADMIN_KEY } }))
      readers.push(fast)
      await waitFor(() => server.deps.events.sse.subscriberCount(PHONE) === 2)

      // ~8 MB of events, paced to what a reading client takes: far more than the socket buffers and the 256 KiB allowance hold.
      const text = 'x'.repeat(60_000)
      const count = 70
      for (let i = 0; i < count; i++) {
        server.deps.bus.publish({
          session: PHONE,
          engine: 'simulator',
          receivedAt: Date.now(),
          event: { type: 'message', message: { id: `big${i}`, timestamp: 1, chatId: `${OUTSIDER}@c.us`, from: `${OUTSIDER}@c.us`, to: `${PHONE}@c.us`, fromMe: false, type: 'text', body: text, hasMedia: false, ack: 2 } },
        })
        await waitFor(() => fast.events.length === (i + 1) * 2, 5000)
      }
      await waitFor(() => fast.events.length === count * 2, 15_000)
      expect(fast.events.filter((e) => e.event === 'message').map((e) => e.data.payload.id)).toEqual(Array.from({ length: count }, (_, i) => `big${i}`))
      await waitFor(() => server.deps.events.sse.subscriberCount(PHONE) === 1)
      expect(server.deps.events.sse.dropped).toBe(1)
      // When it reads again it gets what was already queued, then the end of the stream (chunked terminator),
      // and resumes with Last-Event-ID = the last id it saw.
      slow.resume()
      await waitFor(() => slowText.endsWith('\r\n0\r\n\r\n'), 10_000)
      slow.destroy()
      const lastId = [...slowText.matchAll(/^id: (\d+)$/gm)].at(-1)![1]!
      expect(Number(lastId)).toBeLessThan(Number(fast.events.at(-1)!.id))
      const resumed = new SseReader(await fetch(`http://127.0.0.1:${port}/api/whatsapp/${PHONE}/events`, { headers: { 'x-api-key': ADMIN_KEY, 'last-event-id': lastId } }))
      readers.push(resumed)
      const missed = fast.events.filter((e) => Number(e.id) > Number(lastId))
      await waitFor(() => resumed.events.length === missed.length, 10_000)
      expect(resumed.events.map((e) => e.id)).toEqual(missed.map((e) => e.id))
    } finally {
      await app.stop(true)
    }
  })
})
