/**
 * Two servers in one process (as tests and benchmarks make them): each server's WAHA routes
 * use its own guard and storage. A hooks object shared between apps once carried the first
 * server's guard into the second, whose account keys then hit a closed database (500).
 */
import { expect, test } from 'bun:test'
import { createTestServer } from '../../helpers/app'
import { waha } from './helpers'

async function accountKeyListsItsSession(): Promise<number> {
  const server = await createTestServer()
  try {
    await server.call('POST', '/966500000501/start', { body: { accountId: 'acme' } })
    const created = await waha(server, 'POST', '/api/keys', { body: { session: '966500000501' } })
    return (await waha(server, 'GET', '/api/sessions?all=true', { key: created.body.key })).status
  } finally {
    await server.close()
  }
}

test('each server guards its WAHA routes with its own authenticator', async () => {
  expect(await accountKeyListsItsSession()).toBe(200)
  expect(await accountKeyListsItsSession()).toBe(200)
}, 30_000)
