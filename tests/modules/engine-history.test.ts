/**
 * History from the phone: `GET /:n/messages/:chatId` merges the engine's own history
 * (messages from before the link, or from while this server was down) with the store,
 * newest first, one cursor, no duplicates; what the engine had is stored, its media
 * fetched from the engine on first download. webjs on the typed fake Client, waha on its
 * stand-in checked against WAHA's document.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { createTestServer, waitFor, type TestServer } from '../helpers/app'
import { startWahaStandin, type WahaStandin } from '../helpers/waha-standin'
import { A, B, jid, PNG, sendText, type Msg } from '../helpers/whatsapp'
import { FakeWhatsApp } from '../providers/webjs/fake-client'
import { linkOnFake, webjsTestServer } from '../providers/webjs/http-server'

const PHONE = '15550001111'
const PEER = '15550002222'
const PEER_JID = `${PEER}@c.us`
const OLD = 1_700_000_000

let server: TestServer | undefined
let standin: WahaStandin | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  await standin?.close()
  if (standin) expect(standin.errors).toEqual([])
  standin = undefined
})

async function page(s: TestServer, phone: string, chatId: string, query = ''): Promise<{ messages: Msg[]; hasMore: boolean }> {
  const response = await s.call<{ messages: Msg[]; hasMore: boolean }>('GET', `/${phone}/messages/${chatId}${query}`)
  if (response.status !== 200) throw new Error(`history: ${response.status} ${JSON.stringify(response.body)}`)
  return response.body
}

describe('simulator: the phone keeps its chats when a session is deleted and linked again', () => {
  test('a number linked anew sees the messages its phone had, although this server forgot them', async () => {
    const s = await createTestServer()
    server = s
    await s.link(A)
    await s.link(B)
    await sendText(s, B, A, 'before the new link')
    await sendText(s, A, B, 'my answer')
    await s.deps.ingest.idle()
    expect((await s.call('POST', `/${A}/logout`)).status).toBe(200)
    expect((await s.call('DELETE', `/${A}`)).status).toBe(200)
    // The server forgot everything of A…
    expect((await s.deps.messaging.store.history(A, jid(B), { limit: 10 }))?.messages).toEqual([])
    await s.link(A)
    // …the phone did not: the simulated phone's history comes back through the route, and is kept.
    const merged = await page(s, A, jid(B))
    expect(merged.messages.map((m) => [m.body, m.fromMe])).toEqual([['my answer', true], ['before the new link', false]])
    expect((await s.deps.messaging.store.history(A, jid(B), { limit: 10 }))?.messages.map((m) => m.body)).toEqual(['my answer', 'before the new link'])
    await sendText(s, B, A, 'after')
    await s.deps.ingest.idle()
    expect((await page(s, A, jid(B))).messages.map((m) => m.body)).toEqual(['after', 'my answer', 'before the new link'])
  })
})

describe('webjs: chat.fetchMessages merged with the store', () => {
  async function linkedWebjs(world: FakeWhatsApp): Promise<TestServer> {
    server = await webjsTestServer(world)
    await linkOnFake(server, world, PHONE)
    return server
  }

  /** Messages the phone had before this server was linked: #0 … #5, #3 an image. */
  function phoneHistory(world: FakeWhatsApp): void {
    const chat = world.chat(PEER_JID)
    for (let i = 0; i < 6; i++) {
      chat.messages.push({
        id: { fromMe: i % 2 === 1, remote: PEER_JID, id: `OLD${i}`, _serialized: `${i % 2 === 1}_${PEER_JID}_OLD${i}` },
        chatId: PEER_JID,
        from: i % 2 === 1 ? `${PHONE}@c.us` : PEER_JID,
        to: i % 2 === 1 ? PEER_JID : `${PHONE}@c.us`,
        type: i === 3 ? 'image' : i === 2 ? 'ptt' : 'chat',
        body: `#${i}`,
        timestamp: OLD + i * 60,
        ack: 3,
        ...(i === 3 && { media: { data: PNG, mimetype: 'image/png', filename: 'old.png' } }),
        ...(i === 2 && { durationSeconds: 7 }),
      })
    }
  }

  test('messages from before the link appear, newest first, paged by one cursor, without duplicates', async () => {
    const world = new FakeWhatsApp()
    phoneHistory(world)
    const s = await linkedWebjs(world)
    // One message this server saw itself (sent through the API): in the store and on the phone.
    const sent = await s.call<{ messageId: string }>('POST', `/${PHONE}/send-text`, { body: { chatId: PEER_JID, text: 'new' } })
    expect(sent.status).toBe(200)

    const first = await page(s, PHONE, PEER_JID, '?limit=3')
    expect(first.messages.map((m) => m.body)).toEqual(['new', '#5', '#4'])
    expect(first.hasMore).toBe(true)
    expect(first.messages[1]).toMatchObject({ id: `true_${PEER_JID}_OLD5`, fromMe: true, timestamp: OLD + 300, ackName: 'READ' })
    const second = await page(s, PHONE, PEER_JID, `?limit=3&before=${encodeURIComponent(first.messages.at(-1)!.id)}`)
    expect(second.messages.map((m) => m.body)).toEqual(['#3', '#2', '#1'])
    expect(second.hasMore).toBe(true)
    const third = await page(s, PHONE, PEER_JID, `?limit=3&before=${encodeURIComponent(second.messages.at(-1)!.id)}`)
    expect(third.messages.map((m) => m.body)).toEqual(['#0'])
    expect(third.hasMore).toBe(false)
    // whatsapp-web.js was asked with the page's limit (and a window reaching the cursor).
    expect(world.callsOf('fetchMessages').length).toBeGreaterThanOrEqual(3)

    // Asked again, the same: the fetched messages were stored once.
    const everything = await page(s, PHONE, PEER_JID, '?limit=50')
    expect(everything.messages.map((m) => m.body)).toEqual(['new', '#5', '#4', '#3', '#2', '#1', '#0'])
    expect(new Set(everything.messages.map((m) => m.id)).size).toBe(7)
    expect(everything.hasMore).toBe(false)

    // An old voice note says how long it is (WhatsApp Web's `duration`).
    expect(everything.messages.find((m) => m.body === '#2')).toMatchObject({ type: 'voice', durationSeconds: 7 })
    // The old image is listed with its media link; its bytes come from WhatsApp Web on the first download, then from the store.
    const image = everything.messages.find((m) => m.body === '#3')!
    expect(image).toMatchObject({ type: 'image', hasMedia: true, media: { mimetype: 'image/png' } })
    for (let i = 0; i < 2; i++) {
      const response = await s.request('GET', `/${PHONE}/messages/${PEER_JID}/${encodeURIComponent(image.id)}/media`)
      expect(response.status).toBe(200)
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(PNG)
    }
    expect(world.callsOf('downloadMedia')).toEqual([[image.id]])

    // Stored: it is served even after WhatsApp Web forgot it.
    world.chat(PEER_JID).messages.splice(0, 6)
    const afterForgetting = await page(s, PHONE, PEER_JID, '?limit=50')
    expect(afterForgetting.messages.map((m) => m.body)).toEqual(['new', '#5', '#4', '#3', '#2', '#1', '#0'])
  })

  test('a cursor WhatsApp Web does not know, or a chat it does not have, leaves the store to answer; unknown everywhere is a 404', async () => {
    const world = new FakeWhatsApp()
    const s = await linkedWebjs(world)
    const unknownCursor = await s.call('GET', `/${PHONE}/messages/${PEER_JID}?before=${encodeURIComponent(`false_${PEER_JID}_NOPE`)}`)
    expect(unknownCursor.status).toBe(404)
    const unknownChat = await s.call<{ code: string }>('GET', `/${PHONE}/messages/15550009999@c.us`)
    expect(unknownChat.status).toBe(404)
    expect(unknownChat.body.code).toBe('NOT_FOUND')
    const badLimit = await s.call<{ code: string }>('GET', `/${PHONE}/messages/${PEER_JID}?limit=0`)
    expect(badLimit.status).toBe(400)
  })
})

describe('waha: GET /api/{session}/chats/{chatId}/messages merged with the store', () => {
  const WAHA_PHONE = '966500000001'
  const WAHA_PEER = '966500000002@c.us'
  const KEY = 'waha-test-key-0123456789'

  function waMessage(id: string, body: string, timestamp: number, fromMe: boolean, hasMedia = false) {
    return {
      id,
      timestamp,
      from: fromMe ? `${WAHA_PHONE}@c.us` : WAHA_PEER,
      fromMe,
      source: 'app',
      to: fromMe ? WAHA_PEER : `${WAHA_PHONE}@c.us`,
      participant: '',
      body,
      hasMedia,
      ...(hasMedia && { media: { url: '', mimetype: 'image/jpeg', filename: 'photo.jpg' } }),
      mediaUrl: '',
      ack: 2,
      ackName: 'DEVICE',
      _data: {},
    }
  }

  test('what WAHA has of the chat is listed and kept, newest first, hasMore from WAHA', async () => {
    standin = startWahaStandin({ apiKey: KEY })
    const s = await createTestServer({ WAHA_URL: standin.url, WAHA_API_KEY: KEY, WAHA_POLL_MS: '20', WAHA_TIMEOUT_MS: '5000' })
    server = s
    expect((await s.call('POST', `/${WAHA_PHONE}/start`, { body: { engine: 'waha' } })).status).toBe(200)
    standin.sessions.get(WAHA_PHONE)!.status = 'WORKING'
    await waitFor(async () => (await s.call<{ status: string }>('GET', `/${WAHA_PHONE}/state`)).body.status === 'WORKING')

    const onWaha = [
      waMessage(`false_${WAHA_PEER}_W3`, 'third', OLD + 3, false),
      waMessage(`true_${WAHA_PEER}_W2`, 'second', OLD + 2, true, true),
      waMessage(`false_${WAHA_PEER}_W1`, 'first', OLD + 1, false),
    ]
    standin.setResponse('ChatsController_getChatMessages', { status: 200, body: onWaha })
    const first = await page(s, WAHA_PHONE, WAHA_PEER, '?limit=2')
    expect(first.messages.map((m) => [m.body, m.fromMe])).toEqual([['third', false], ['second', true]])
    // WAHA answered more than the page (limit + 1 asked): there is more.
    expect(first.hasMore).toBe(true)
    expect(first.messages[1]).toMatchObject({ hasMedia: true, media: { mimetype: 'image/jpeg' } })
    const asked = standin.calls.filter((call) => call.operationId === 'ChatsController_getChatMessages').at(-1)!
    expect(asked.path).toBe(`/api/${WAHA_PHONE}/chats/${encodeURIComponent(WAHA_PEER)}/messages`)
    expect(asked.query).toMatchObject({ limit: '3', downloadMedia: 'false' })

    // The next page by the cursor: WAHA is asked for what is older than it.
    const second = await page(s, WAHA_PHONE, WAHA_PEER, `?limit=2&before=${encodeURIComponent(first.messages[1]!.id)}`)
    expect(second.messages.map((m) => m.body)).toEqual(['first'])
    expect(second.hasMore).toBe(false)

    // WAHA no longer answers with them: the store has kept them.
    standin.setResponse('ChatsController_getChatMessages', { status: 200, body: [] })
    const kept = await page(s, WAHA_PHONE, WAHA_PEER, '?limit=10')
    expect(kept.messages.map((m) => m.body)).toEqual(['third', 'second', 'first'])
    expect(kept.hasMore).toBe(false)
  })
})
