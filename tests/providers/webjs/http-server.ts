/**
 * A test server whose webjs engine drives the typed Client fake, for tests that exercise
 * webjs through HTTP; and a number linked on it by the fake phone's scan.
 */
import { expect } from 'bun:test'
import { silentLogger } from '../../../src/lib/logger'
import { createWebjsEngine } from '../../../src/providers/webjs'
import { createTestServer, waitFor, type TestServer } from '../../helpers/app'
import { testWebjsSettings } from '../harness'
import type { FakeWhatsApp } from './fake-client'
import { FAKE_RUNTIME } from './fake-client'

export function webjsTestServer(world: FakeWhatsApp, env: Record<string, string> = {}): Promise<TestServer> {
  return createTestServer(
    { WA_ENGINE: 'webjs', ...env },
    { engines: { webjs: async () => createWebjsEngine({ settings: testWebjsSettings(), logger: silentLogger, createClient: world.factory, runtime: FAKE_RUNTIME }) } },
  )
}

/** Starts `phone` on the server, lets the fake phone scan its QR and waits for WORKING. */
export async function linkOnFake(server: TestServer, world: FakeWhatsApp, phone: string): Promise<void> {
  const status = async () => (await server.call<{ status: string }>('GET', `/${phone}/state`)).body.status
  expect((await server.call('POST', `/${phone}/start`)).status).toBe(200)
  await waitFor(async () => (await status()) === 'SCAN_QR_CODE')
  world.scan(phone)
  await waitFor(async () => (await status()) === 'WORKING')
}
