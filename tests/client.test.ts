/** The typed Eden client against a real server on 127.0.0.1: the README's example, compiled and run. */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { serverOptions } from '../src/app'
import { createClient } from '../src/client'
import { ADMIN_KEY, createTestServer, waitFor, type TestServer } from './helpers/app'

const A = '966500000001'
const B = '966500000002'
let server: TestServer
let listening: { stop(): Promise<void> | void; port: number }

beforeAll(async () => {
  server = await createTestServer()
  const app = server.app.listen(serverOptions({ ...server.config, port: 0, host: '127.0.0.1' }))
  listening = { port: app.server!.port!, stop: async () => void (await app.stop()) }
})
afterAll(async () => {
  await listening.stop()
  await server.close()
})

test('start, scan, send and read back through the typed client', async () => {
  const wa = createClient(`http://127.0.0.1:${listening.port}`, { apiKey: ADMIN_KEY })

  const health = await wa.api.whatsapp.health.get()
  expect(health.status).toBe(200)
  expect(health.data?.status).toBe('ok')

  for (const phoneNumber of [A, B]) {
    const started = await wa.api.whatsapp({ phoneNumber }).start.post({})
    expect(started.error).toBeNull()
    await waitFor(async () => (await wa.api.whatsapp({ phoneNumber }).state.get()).data?.status === 'SCAN_QR_CODE')
    const scanned = await wa.api.whatsapp({ phoneNumber }).sandbox.scan.post({})
    expect(scanned.data?.status).toBe('WORKING')
  }

  const sent = await wa.api.whatsapp({ phoneNumber: A })['send-text'].post({ chatId: B, text: 'typed hello' })
  expect(sent.error).toBeNull()
  expect(typeof sent.data?.messageId).toBe('string')

  await server.deps.ingest.idle()
  const sessions = await wa.api.whatsapp.sessions.get()
  expect(sessions.data?.sessions.map((s) => s.phoneNumber).sort()).toEqual([A, B])
})

test('errors come back typed, with the contract envelope', async () => {
  const anonymous = createClient(`http://127.0.0.1:${listening.port}`)
  const denied = await anonymous.api.whatsapp.sessions.get()
  expect(denied.status).toBe(401)
  expect(denied.error?.value).toMatchObject({ code: 'UNAUTHORIZED', statusCode: 401 })

  const bearer = createClient(`http://127.0.0.1:${listening.port}`, { bearer: ADMIN_KEY })
  const missing = await bearer.api.whatsapp({ phoneNumber: '966599999999' }).state.get()
  expect(missing.status).toBe(404)
  expect(missing.error?.value).toMatchObject({ code: 'NOT_FOUND' })
})
