/** `GET /cluster` on SQLite: the server is the only node and runs every session itself. */
import { afterEach, expect, test } from 'bun:test'
import { createTestServer, type TestServer } from '../helpers/app'
import { A, B } from '../helpers/whatsapp'

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

test('one node, self, listing the sessions whose engine runs (a stopped one is not listed)', async () => {
  server = await createTestServer({ NODE_ID: 'solo', NODE_URL: 'http://10.1.2.3:3000', NODE_CAPACITY: '5' })
  await server.link(A)
  await server.link(B)
  expect((await server.call('POST', `/${B}/stop`)).status).toBe(200)
  const view = await server.call<{ nodes: Array<Record<string, unknown>>; sessions: unknown[] }>('GET', '/cluster')
  expect(view.status).toBe(200)
  expect(view.body.nodes).toEqual([{ id: 'solo', url: 'http://10.1.2.3:3000', lastSeenAt: expect.any(String), sessions: 1, capacity: 5, live: true, self: true }])
  expect(view.body.sessions).toEqual([{ phoneNumber: A, node: 'solo' }])
  expect(server.deps.ownership.clustered).toBe(false)
  expect(await server.deps.ownership.ownerOf(A)).toEqual({ nodeId: 'solo', url: 'http://10.1.2.3:3000', epoch: 0, expired: false })
})

test('admin only: 401 without a credential, 403 for an account key', async () => {
  server = await createTestServer()
  expect((await server.call('GET', '/cluster', { key: null })).status).toBe(401)
  const created = await server.call<{ key: string }>('POST', '/api-keys', { body: { name: 'backend', accountId: 'org_a' } })
  const refused = await server.call('GET', '/cluster', { key: created.body.key })
  expect(refused.status).toBe(403)
  expect(refused.body).toMatchObject({ code: 'FORBIDDEN', statusCode: 403 })
})
