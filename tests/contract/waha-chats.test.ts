/**
 * §6 on the waha engine, through HTTP: WhatsApp Web marks a chat the user flagged as
 * unread with `unreadCount: -1`, and WAHA's WEBJS engine passes that on. The waha mapper
 * kept the -1, which the chat list's response schema (unreadCount ≥ 0) refused: the whole
 * `GET /chats` failed. The webjs mapper already clamps it.
 */
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { createTestServer, waitFor, type TestServer } from '../helpers/app'
import { startWahaStandin, type WahaStandin } from '../helpers/waha-standin'

const PHONE = '966500000001'
const KEY = 'waha-test-key-0123456789'
let standin: WahaStandin
let server: TestServer

beforeEach(async () => {
  standin = startWahaStandin({ apiKey: KEY })
  server = await createTestServer({ WAHA_URL: standin.url, WAHA_API_KEY: KEY, WAHA_POLL_MS: '20', WAHA_TIMEOUT_MS: '5000' })
  expect((await server.call('POST', `/${PHONE}/start`, { body: { engine: 'waha' } })).status).toBe(200)
  standin.sessions.get(PHONE)!.status = 'WORKING'
  await waitFor(async () => (await server.call<{ status: string }>('GET', `/${PHONE}/state`)).body.status === 'WORKING')
})
afterEach(async () => {
  await server.close()
  await standin.close()
  expect(standin.errors).toEqual([])
})

test('a chat marked unread (unreadCount -1) is listed with unreadCount 0, fractional counts and timestamps are whole', async () => {
  standin.setResponse('ChatsController_getChats', {
    status: 200,
    body: [
      { id: { server: 'c.us', user: '966500000002', _serialized: '966500000002@c.us' }, name: 'Marked unread', isGroup: false, unreadCount: -1, timestamp: 1767225600 },
      { id: { server: 'c.us', user: '966500000003', _serialized: '966500000003@c.us' }, name: 'Odd count', isGroup: false, unreadCount: '2.5', timestamp: 1767225500.75 },
    ],
  })
  const chats = await server.call<{ chats: Array<{ id: string; unreadCount: number; timestamp: number }> }>('GET', `/${PHONE}/chats`)
  expect(chats.status).toBe(200)
  expect(chats.body.chats.map((chat) => [chat.id, chat.unreadCount, chat.timestamp])).toEqual([
    ['966500000002@c.us', 0, 1767225600],
    ['966500000003@c.us', 2, 1767225500],
  ])
})
