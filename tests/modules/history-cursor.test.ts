/** History pages by cursor: `page` is refused with a 400 that names `before`, instead of being ignored. */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { createTestServer, type TestServer } from '../helpers/app'

const A = '966500000001'
const B = '966500000002'
let server: TestServer

beforeAll(async () => {
  server = await createTestServer()
  await server.link(A)
  await server.link(B)
  for (const text of ['one', 'two', 'three']) {
    expect((await server.call('POST', `/${A}/send-text`, { body: { chatId: B, text } })).status).toBe(200)
  }
  await server.deps.ingest.idle()
})
afterAll(async () => {
  await server.close()
})

test('page=2 is a 400 naming before as the cursor', async () => {
  const refused = await server.call<{ code: string; error: string; details: { field: string } }>('GET', `/${A}/messages/${B}@c.us?limit=1&page=2`)
  expect(refused.status).toBe(400)
  expect(refused.body.code).toBe('BAD_REQUEST')
  expect(refused.body.error).toContain('before')
  expect(refused.body.details).toMatchObject({ field: 'page' })
})

test('before pages through the history', async () => {
  const first = await server.call<{ messages: Array<{ id: string; body: string }>; hasMore: boolean }>('GET', `/${A}/messages/${B}@c.us?limit=2`)
  expect(first.body.messages.map((m) => m.body)).toEqual(['three', 'two'])
  expect(first.body.hasMore).toBe(true)
  const next = await server.call<{ messages: Array<{ body: string }>; hasMore: boolean }>('GET', `/${A}/messages/${B}@c.us?limit=2&before=${encodeURIComponent(first.body.messages.at(-1)!.id)}`)
  expect(next.body.messages.map((m) => m.body)).toEqual(['one'])
  expect(next.body.hasMore).toBe(false)
})
