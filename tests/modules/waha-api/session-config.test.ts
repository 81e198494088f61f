/** A WAHA session's config: kept as given, its webhooks become ours (source `waha`) and are replaced as a whole. */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { createTestServer, type TestServer } from '../../helpers/app'
import { waha } from './helpers'

const PHONE = '966500000601'
let server: TestServer

beforeAll(async () => {
  server = await createTestServer({ OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32' })
})
afterAll(async () => {
  await server?.close()
})

const hooks = async () =>
  ((await server.call<{ webhooks: Array<{ url: string; source: string; events: string[]; headers: Record<string, string>; wahaHmac: boolean }> }>('GET', `/${PHONE}/webhooks`)).body.webhooks)

test('config.webhooks become durable webhooks, PUT replaces them, a bad URL changes nothing, delete removes them', async () => {
  const config = { metadata: { tenant: 'acme' }, webhooks: [{ url: 'http://127.0.0.1:9/one', events: ['message'], hmac: { key: 'k1' }, customHeaders: [{ name: 'X-Tenant', value: 'acme' }] }] }
  const created = await waha(server, 'POST', '/api/sessions', { body: { name: PHONE, start: false, config } })
  expect(created.status).toBe(201)
  expect(created.body).toEqual({ name: PHONE, status: 'STOPPED', config })
  expect(await hooks()).toMatchObject([{ url: 'http://127.0.0.1:9/one', source: 'waha', events: ['message'], headers: { 'X-Tenant': 'acme' }, wahaHmac: true }])

  const replaced = await waha(server, 'PUT', `/api/sessions/${PHONE}`, { body: { config: { webhooks: [{ url: 'http://127.0.0.1:9/two', events: ['session.status'] }] } } })
  expect(replaced.status).toBe(200)
  expect((await hooks()).map((hook) => hook.url)).toEqual(['http://127.0.0.1:9/two'])

  const bad = await waha(server, 'PUT', `/api/sessions/${PHONE}`, { body: { config: { webhooks: [{ url: 'ftp://example.com/x', events: ['message'] }] } } })
  expect(bad.status).toBe(400)
  expect((await hooks()).map((hook) => hook.url)).toEqual(['http://127.0.0.1:9/two'])
  expect((await waha(server, 'GET', `/api/sessions/${PHONE}`)).body.config.webhooks[0].url).toBe('http://127.0.0.1:9/two')

  // A webhook made through our own API stays when the WAHA config changes.
  expect((await server.call('POST', `/${PHONE}/webhooks`, { body: { url: 'http://127.0.0.1:9/ours', events: ['message'] } })).status).toBe(201)
  await waha(server, 'PUT', `/api/sessions/${PHONE}`, { body: { config: {} } })
  expect((await hooks()).map((hook) => [hook.url, hook.source])).toEqual([['http://127.0.0.1:9/ours', 'api']])

  expect((await waha(server, 'DELETE', `/api/sessions/${PHONE}`)).status).toBe(200)
  expect((await waha(server, 'GET', `/api/sessions/${PHONE}`)).status).toBe(404)
})
