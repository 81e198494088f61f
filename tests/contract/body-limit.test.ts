/**
 * Contract §3: 413 PAYLOAD_TOO_LARGE, in the error envelope, for a body over the
 * configured limit (MAX_BODY_BYTES). A client that streams its body (chunked transfer
 * encoding, no Content-Length) was not measured at all below Bun's backstop (the body
 * was read and acted on), and above it got Bun's bare 413 without an envelope.
 * These run a real listening server with the production listen options.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createApp, serverOptions } from '../../src/app'
import { ADMIN_KEY, createTestServer, type TestServer } from '../helpers/app'

const PHONE = '966500000001'
const LIMIT = 4096
let server: TestServer
let listening: ReturnType<ReturnType<typeof createApp>['listen']>
let base: string

beforeAll(async () => {
  server = await createTestServer({ MAX_BODY_BYTES: String(LIMIT) })
  await server.link(PHONE)
  listening = createApp(server.deps).listen({ ...serverOptions(server.config), port: 0, hostname: '127.0.0.1' })
  base = `http://127.0.0.1:${listening.server!.port}/api/whatsapp`
})
afterAll(async () => {
  await listening.stop(true)
  await server.close()
})

/** A body sent as a stream: chunked, without Content-Length. */
function streamed(text: string, chunkSize = 64 * 1024): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text)
  let offset = 0
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close()
      controller.enqueue(bytes.subarray(offset, offset + chunkSize))
      offset += chunkSize
    },
  })
}

async function post(path: string, body: BodyInit, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json', ...headers },
    body,
    // @ts-expect-error Bun's fetch needs no duplex, the DOM type asks for it with a stream
    duplex: 'half',
  })
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, text, json: json as Record<string, unknown> | undefined, headers: response.headers }
}

function textBody(size: number): string {
  return JSON.stringify({ chatId: '966500000002', text: 'a'.repeat(size) })
}

describe('MAX_BODY_BYTES', () => {
  test('a declared Content-Length over the limit: 413 envelope', async () => {
    const result = await post(`/${PHONE}/send-text`, textBody(LIMIT * 2))
    expect(result.status).toBe(413)
    expect(result.json).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', statusCode: 413 })
  })

  test('a streamed body a little over the limit: 413 envelope, nothing sent', async () => {
    const result = await post(`/${PHONE}/send-text`, streamed(textBody(LIMIT * 2)))
    expect(result.status).toBe(413)
    expect(result.json).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', statusCode: 413 })
    const history = await server.call<{ messages: unknown[] }>('GET', `/${PHONE}/messages/966500000002`)
    expect(history.status === 404 || history.body.messages.length === 0).toBe(true)
  })

  test('a streamed body far over the limit (past any backstop): still the 413 envelope', async () => {
    const result = await post(`/${PHONE}/send-text`, streamed(textBody(3 * 1024 * 1024)))
    expect(result.status).toBe(413)
    expect(result.json).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', statusCode: 413 })
  })

  test('a streamed body within the limit is read and used', async () => {
    const result = await post(`/${PHONE}/send-text`, streamed(JSON.stringify({ chatId: '966500000002', text: 'streamed hello' }), 7))
    expect(result.status).toBe(200)
    expect(result.json).toMatchObject({ messageId: expect.any(String) })
  })

  test('malformed JSON, streamed or not, is still 400', async () => {
    for (const body of ['{"chatId":', streamed('{"chatId":')]) {
      const result = await post(`/${PHONE}/send-text`, body)
      expect(result.status).toBe(400)
      expect(result.json).toMatchObject({ code: 'BAD_REQUEST', error: 'Malformed request body: expected valid JSON' })
    }
  })
})

describe('body types', () => {
  test('JSON sent without a Content-Type (a common curl mistake) is read as JSON', async () => {
    const response = await fetch(`${base}/${PHONE}/send-text`, {
      method: 'POST',
      headers: { 'x-api-key': ADMIN_KEY },
      body: new Blob([JSON.stringify({ chatId: '966500000002', text: 'no content type' })]),
    })
    expect(response.headers.get('content-type') ?? '').not.toContain('text/plain')
    expect(response.status).toBe(200)
  })

  test('URL-encoded and multipart forms still work for text fields', async () => {
    const form = await post(`/${PHONE}/send-text`, 'chatId=966500000002&text=from+a+form', { 'content-type': 'application/x-www-form-urlencoded' })
    expect(form.status).toBe(200)
    const data = new FormData()
    data.set('chatId', '966500000002')
    data.set('text', 'from multipart')
    const response = await fetch(`${base}/${PHONE}/send-text`, { method: 'POST', headers: { 'x-api-key': ADMIN_KEY }, body: data })
    expect(response.status).toBe(200)
  })

  test('text/plain is not JSON: 400 naming the missing fields', async () => {
    const result = await post(`/${PHONE}/send-text`, '{"chatId":"966500000002","text":"x"}', { 'content-type': 'text/plain' })
    expect(result.status).toBe(400)
    expect(result.json).toMatchObject({ code: 'BAD_REQUEST' })
  })
})
