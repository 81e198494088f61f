/**
 * Contract §3: a 400 for invalid input must tell the caller what is wrong. Elysia's own
 * summary of a failed union is "should be one of: 'string', 'string'" (the members'
 * JSON types), which names neither the allowed values nor the wrong field: every enum
 * (`oneOf`), every typed query value, and the WAHA envelopes (a union keyed by `event`)
 * answered that way.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ADMIN_KEY, createTestServer, type TestServer } from '../helpers/app'

const PHONE = '966500000001'
const WAHA_KEY = 'waha-callback-key-0123456789'
let server: TestServer

beforeAll(async () => {
  server = await createTestServer({ WAHA_API_KEY: WAHA_KEY })
  await server.link(PHONE)
})
afterAll(async () => {
  await server.close()
})

interface Envelope {
  error: string
  code: string
  statusCode: number
  details: Array<{ path: string; message: string }>
}

async function bad(method: string, path: string, body?: unknown, key = ADMIN_KEY): Promise<Envelope> {
  const response = await server.call<Envelope>(method, path, { ...(body !== undefined && { body }), key })
  expect(response.status, `${method} ${path}`).toBe(400)
  expect(response.body.code).toBe('BAD_REQUEST')
  expect(response.body.error).not.toContain("'string', 'string'")
  expect(response.body.error).not.toContain("'object', 'object'")
  expect(response.body.error).not.toContain("'integer', 'integer'")
  expect(response.body.error).not.toContain("'boolean', 'boolean'")
  return response.body
}

describe('enums name their allowed values and the value given', () => {
  test('start engine', async () => {
    const body = await bad('POST', `/${PHONE}/start`, { engine: 'nope' })
    expect(body.error).toBe('Invalid body: engine: Expected one of "webjs", "simulator", "waha" (got "nope")')
    expect(body.details[0]).toEqual({ path: '/engine', message: 'Expected one of "webjs", "simulator", "waha" (got "nope")' })
  })

  test('presence state', async () => {
    const body = await bad('POST', `/${PHONE}/chat/966500000002/presence`, { state: 'online' })
    expect(body.error).toContain('"typing", "recording", "paused"')
    expect(body.error).toContain('state:')
  })

  test('webhook event names, inside an array', async () => {
    const body = await bad('POST', `/${PHONE}/webhooks`, { url: 'http://127.0.0.1:9/x', events: ['message', 'bogus'] })
    expect(body.error).toStartWith('Invalid body: events.1: Expected one of "*", "session.status", "message"')
    expect(body.error).toEndWith('(got "bogus")')
  })

  test('status type', async () => {
    expect((await bad('POST', `/${PHONE}/status`, { type: 'gif' })).error).toContain('"text", "image", "video"')
  })
})

describe('typed query values say which type', () => {
  test('limit must be an integer', async () => {
    for (const limit of ['abc', '1.5', '']) {
      expect((await bad('GET', `/${PHONE}/messages/966500000002?limit=${limit}`)).error).toBe('Invalid query: limit: Expected an integer')
    }
  })

  test('archived must be a boolean', async () => {
    expect((await bad('GET', `/${PHONE}/chats?archived=yes`)).error).toBe('Invalid query: archived: Expected true or false')
  })
})

describe('a WAHA envelope that fails names the field that is wrong', () => {
  test('a message envelope without its payload id points at payload.id', async () => {
    const envelope = { id: 'evt_1', timestamp: 1767225600000, session: PHONE, engine: 'WEBJS', event: 'message', payload: { timestamp: 1767225600, from: '966511111111@c.us', fromMe: false, body: 'x' } }
    const body = await bad('POST', '/webhook/message', envelope, WAHA_KEY)
    expect(body.details[0]!.path).toBe('/payload/id')
    expect(body.error).toStartWith('Invalid body: payload.id:')
  })

  test('an empty envelope points at a missing envelope field', async () => {
    const body = await bad('POST', '/webhook/state-change', {}, WAHA_KEY)
    expect(body.error).toMatch(/^Invalid body: \w+: /)
  })
})
