/** WAHA's error bodies where WAHA clients read them, on the failure paths of WAHA's routes. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestServer, type TestServer } from '../../helpers/app'
import { waha } from './helpers'

const A = '966500000201'
let server: TestServer

beforeAll(async () => {
  server = await createTestServer({ WAHA_DEFAULT_SESSION: A })
})
afterAll(async () => {
  await server?.close()
})

describe('WAHA errors', () => {
  test('an unknown session is WAHA\'s 404 naming it, for path, body and query sessions', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/sessions/966500000299', undefined],
      ['POST', '/api/sendText', { session: '966500000299', chatId: '966500000202@c.us', text: 'hi' }],
      ['GET', '/api/contacts/all?session=966500000299', undefined],
      ['GET', '/api/966500000299/chats', undefined],
    ] as const) {
      const response = await waha(server, method, path, body ? { body } : {})
      expect(response.status, path).toBe(404)
      expect(response.body).toEqual({
        statusCode: 404,
        message: "We didn't find a session with name '966500000299'.\nPlease start it first by using POST /api/sessions/966500000299/start request",
        error: 'Not Found',
      })
    }
    // A name that is not a phone number can name no session here.
    expect((await waha(server, 'GET', '/api/sessions/my-bot')).body.message).toStartWith("We didn't find a session with name 'my-bot'")
  })

  test('a session that is not WORKING is 422 with its status and the expected one', async () => {
    expect((await waha(server, 'POST', '/api/sessions', { body: { name: 'default', start: false } })).status).toBe(201)
    const stopped = await waha(server, 'POST', '/api/sendText', { body: { chatId: '966500000202@c.us', text: 'hi' } })
    expect(stopped.status).toBe(422)
    expect(stopped.body).toEqual({ error: 'Session status is not as expected. Try again later or restart the session', session: 'default', status: 'STOPPED', expected: ['WORKING'] })
    const qr = await waha(server, 'GET', `/api/${A}/auth/qr`)
    expect(qr.status).toBe(422)
    expect(qr.body).toMatchObject({ status: 'STOPPED', expected: ['SCAN_QR_CODE'] })
  })

  test('a wrong or missing key is 401, whatever the route', async () => {
    for (const key of ['wrong-key', null]) {
      for (const path of ['/api/sessions', `/api/${A}/chats`, '/api/server/version']) {
        const response = await waha(server, 'GET', path, { key })
        expect(response.status).toBe(401)
        expect(response.body).toEqual({ statusCode: 401, message: 'Unauthorized' })
      }
    }
    // /ping and /health are public, as in WAHA.
    expect((await waha(server, 'GET', '/ping', { key: null })).body).toEqual({ message: 'pong' })
    expect((await waha(server, 'GET', '/health', { key: null })).status).toBe(200)
  })

  test('an invalid body is 400 with the issues as a list, never echoing the body', async () => {
    const response = await waha(server, 'POST', '/api/sendText', { body: { session: A, chatId: 42, secret: 'do-not-echo' } })
    expect(response.status).toBe(400)
    expect(response.body.error).toBe('Bad Request')
    expect(Array.isArray(response.body.message)).toBe(true)
    expect(JSON.stringify(response.body)).not.toContain('do-not-echo')
    const malformed = await server.app.handle(new Request('http://localhost/api/sendText', { method: 'POST', headers: { 'x-api-key': 'test-admin-key-0123456789abcdef', 'content-type': 'application/json' }, body: '{"chatId":' }))
    expect(malformed.status).toBe(400)
    expect(((await malformed.json()) as { statusCode: number }).statusCode).toBe(400)
  })

  test('an operation the engine does not implement is WAHA\'s 422 naming the engine', async () => {
    const response = await waha(server, 'GET', `/api/${A}/channels/search/views`)
    expect(response.status).toBe(422)
    expect(response.body.error).toBe('Unprocessable Entity')
    expect(response.body.message).toContain("'SIMULATOR' engine")
    expect(JSON.stringify(response.body)).not.toMatch(/at .*\.ts:\d+/)
  })

  test('an existing session cannot be created again: 422', async () => {
    const response = await waha(server, 'POST', '/api/sessions', { body: { name: A } })
    expect(response.status).toBe(422)
  })

  test('our own API keeps its own error envelope', async () => {
    const ours = await server.call('GET', '/966500000299/state')
    expect(ours.status).toBe(404)
    expect(ours.body).toMatchObject({ code: 'NOT_FOUND', statusCode: 404 })
  })
})

test('WAHA_COMPAT=false: no WAHA route, our envelope', async () => {
  const off = await createTestServer({ WAHA_COMPAT: 'false' })
  try {
    const response = await waha(off, 'GET', '/api/sessions')
    expect(response.status).toBe(404)
    expect(response.body.code).toBe('NOT_FOUND')
  } finally {
    await off.close()
  }
})
