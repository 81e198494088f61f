/** POST /:phoneNumber/sandbox/scan right after start: the phone waits for the QR instead of answering 409. */
import { afterEach, describe, expect, test } from 'bun:test'
import { createTestServer, type TestServer } from '../helpers/app'

const PHONE = '966500000001'
let server: TestServer | undefined

afterEach(async () => {
  await server?.close()
  server = undefined
})

describe('scan right after start', () => {
  test('while STARTING, the scan waits for the QR and links (no 409)', async () => {
    server = await createTestServer({ SIMULATOR_CONNECT_DELAY_MS: '300' })
    expect((await server.call('POST', `/${PHONE}/start`)).status).toBe(200)
    expect((await server.call<{ status: string }>('GET', `/${PHONE}/state`)).body.status).toBe('STARTING')
    const scanned = await server.call('POST', `/${PHONE}/sandbox/scan`)
    expect(scanned.status).toBe(200)
    expect(scanned.body).toMatchObject({ success: true, state: 'CONNECTED', status: 'WORKING' })
  })

  test('with no link pending (stopped, or already linked) it is still a 409, at once', async () => {
    server = await createTestServer()
    await server.link(PHONE)
    expect((await server.call('POST', `/${PHONE}/stop`)).status).toBe(200)
    const stopped = await server.call<{ code: string }>('POST', `/${PHONE}/sandbox/scan`)
    expect(stopped.status).toBe(409)
    expect((await server.call('POST', `/${PHONE}/start`)).status).toBe(200)
    const again = await server.call<{ code: string; details: { status: string } }>('POST', `/${PHONE}/sandbox/scan`)
    expect(again.status).toBe(409)
    expect(again.body.details).toMatchObject({ status: 'WORKING' })
  })
})
