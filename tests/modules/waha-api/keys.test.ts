/** WAHA's /api/keys as our account keys, and what such a key may reach through WAHA's routes. */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { createTestServer, type TestServer } from '../../helpers/app'
import { waha } from './helpers'

const MINE = '966500000401'
const THEIRS = '966500000402'
let server: TestServer

beforeAll(async () => {
  server = await createTestServer()
  for (const [phone, accountId] of [[MINE, 'acme'], [THEIRS, 'globex']] as const) {
    expect((await server.call('POST', `/${phone}/start`, { body: { accountId } })).status).toBe(200)
  }
})
afterAll(async () => {
  await server?.close()
})

test('a WAHA session key is shown once, works on its session only, is listed without its secret and can be revoked', async () => {
  const created = await waha(server, 'POST', '/api/keys', { body: { isAdmin: false, session: MINE, isActive: true } })
  expect(created.status).toBe(201)
  expect(created.body).toMatchObject({ isActive: true, isAdmin: false, session: MINE })
  const key = created.body.key as string
  expect(key.length).toBeGreaterThan(20)

  const sessions = await waha(server, 'GET', '/api/sessions?all=true', { key })
  expect(sessions.status).toBe(200)
  expect(sessions.body.map((s: { name: string }) => s.name)).toEqual([MINE])
  const mine = await waha(server, 'GET', `/api/sessions/${MINE}`, { key })
  expect(mine.status, JSON.stringify(mine.body)).toBe(200)
  const other = await waha(server, 'GET', `/api/sessions/${THEIRS}`, { key })
  expect(other.status).toBe(403)
  expect(other.body).toMatchObject({ statusCode: 403, error: 'Forbidden' })
  expect((await waha(server, 'POST', '/api/sendText', { key, body: { session: THEIRS, chatId: '966500000499', text: 'x' } })).status).toBe(403)

  const listed = await waha(server, 'GET', '/api/keys')
  const entry = listed.body.find((k: { id: string }) => k.id === created.body.id)
  expect(entry).toMatchObject({ key: '', session: MINE, isActive: true })

  expect((await waha(server, 'DELETE', `/api/keys/${created.body.id}`)).status).toBe(200)
  expect((await waha(server, 'GET', '/api/sessions', { key })).status).toBe(401)
})

test('keys this server cannot make are 422 with the reason', async () => {
  expect((await waha(server, 'POST', '/api/keys', { body: { isAdmin: true, session: null, isActive: true } })).status).toBe(422)
  expect((await waha(server, 'POST', '/api/keys', { body: { isAdmin: false, session: MINE, isActive: false } })).status).toBe(422)
  expect((await waha(server, 'PUT', '/api/keys/some-id', { body: { isAdmin: false, session: MINE, isActive: true } })).status).toBe(422)
  expect((await waha(server, 'DELETE', '/api/keys/no-such-key')).status).toBe(404)
})
