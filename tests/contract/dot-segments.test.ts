/**
 * Path traversal in ids. A client that builds `DELETE …/:phoneNumber/webhooks/${encodeURIComponent(id)}`
 * with id ".." (encodeURIComponent leaves dots alone) sends `DELETE …/:phoneNumber/`: URL
 * parsers (fetch, curl, browsers, `new Request`) resolve dot segments before the request
 * leaves. That matched `DELETE /:phoneNumber` (Elysia ignores a trailing slash) and
 * deleted the whole session with its data. The one destructive route reachable this way
 * now refuses the trailing-slash form.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { ADMIN_KEY, BASE, createTestServer, type TestServer } from '../helpers/app'

const PHONE = '966500000001'
let server: TestServer

beforeAll(async () => {
  server = await createTestServer()
  await server.link(PHONE)
})
afterAll(async () => {
  await server.close()
})

test('DELETE …/webhooks/.. does not delete the session', async () => {
  for (const id of ['..', '%2e%2e', '.%2E']) {
    const request = new Request(`${BASE}/${PHONE}/webhooks/${id}`, { method: 'DELETE', headers: { 'x-api-key': ADMIN_KEY } })
    expect(new URL(request.url).pathname).toBe(`/api/whatsapp/${PHONE}/`)
    const response = await server.app.handle(request)
    expect(response.status, id).toBe(404)
    expect(await response.json()).toMatchObject({ code: 'NOT_FOUND', statusCode: 404 })
    expect((await server.call<{ status: string }>('GET', `/${PHONE}/state`)).body.status).toBe('WORKING')
  }
})

test('DELETE /:phoneNumber itself still deletes', async () => {
  const deleted = await server.call('DELETE', `/${PHONE}`)
  expect(deleted.status).toBe(200)
  expect((await server.call('GET', `/${PHONE}/state`)).status).toBe(404)
})
