/**
 * §3: a client mistake is a 4xx, never a 500. A body nested thousands of levels deep made
 * the validator's error message recurse until the stack overflowed: 500 INTERNAL_ERROR.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestServer, type TestServer } from '../helpers/app'

const PHONE = '966500000001'
let server: TestServer

beforeAll(async () => {
  server = await createTestServer()
  await server.link(PHONE)
})
afterAll(async () => {
  await server.close()
})

describe('deeply nested JSON', () => {
  test('is a 400 naming the problem, at any depth', async () => {
    for (const depth of [1_000, 200_000]) {
      const rawBody = `{"chatId":"966500000002","text":"x","mentions":${'['.repeat(depth)}${']'.repeat(depth)}}`
      const result = await server.call('POST', `/${PHONE}/send-text`, { rawBody })
      expect(result.status, `depth ${depth}`).toBe(400)
      expect(result.body).toMatchObject({ code: 'BAD_REQUEST', error: expect.stringContaining('nested') })
    }
  })

  test('brackets inside strings do not count; ordinary bodies pass', async () => {
    const text = `${'['.repeat(500)} {{{ "quoted \\" [[["`
    const result = await server.call<{ messageId: string }>('POST', `/${PHONE}/send-text`, { body: { chatId: '966500000002', text } })
    expect(result.status).toBe(200)
    const history = await server.call<{ messages: Array<{ body: string }> }>('GET', `/${PHONE}/messages/966500000002?limit=1`)
    expect(history.body.messages[0]!.body).toBe(text)
  })
})
