/**
 * §3/§4: 409 CLIENT_NOT_READY means "the session is not CONNECTED". Asking a WORKING
 * session for a pairing code (or having the simulated phone scan it) answered exactly
 * that — "Session is not connected (state CONNECTED, status WORKING)" — which contradicts
 * itself. Like `GET /qr` when no QR is pending, these are a 409 CONFLICT that says no
 * link is pending and why.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { createTestServer, waitFor, type TestServer } from '../helpers/app'

const PHONE = '966500000001'
let server: TestServer

beforeEach(async () => {
  server = await createTestServer()
})
afterEach(async () => {
  await server.close()
})

interface Envelope {
  error: string
  code: string
  statusCode: number
  details: { state: string; status: string }
}

async function expectNoLinkPending(method: string, path: string, status: string) {
  const response = await server.call<Envelope>(method, path)
  expect(response.status, path).toBe(409)
  expect(response.body.code, path).toBe('CONFLICT')
  expect(response.body.error, path).not.toContain('not connected')
  expect(response.body.error, path).toContain(status)
  expect(response.body.details.status, path).toBe(status)
}

describe('link requests when no link is pending', () => {
  test('a WORKING session: pairing code, scan and QR all say it is linked already', async () => {
    await server.link(PHONE)
    await expectNoLinkPending('POST', `/${PHONE}/pairing-code`, 'WORKING')
    await expectNoLinkPending('POST', `/${PHONE}/sandbox/scan`, 'WORKING')
    await expectNoLinkPending('GET', `/${PHONE}/qr`, 'WORKING')
  })

  test('a STOPPED session: the same answer, naming STOPPED', async () => {
    await server.link(PHONE)
    expect((await server.call('POST', `/${PHONE}/stop`)).status).toBe(200)
    await expectNoLinkPending('POST', `/${PHONE}/pairing-code`, 'STOPPED')
    await expectNoLinkPending('GET', `/${PHONE}/qr`, 'STOPPED')
  })

  test('while the QR is pending, the pairing code and the scan work', async () => {
    await server.call('POST', `/${PHONE}/start`)
    await waitFor(async () => (await server.call<{ status: string }>('GET', `/${PHONE}/state`)).body.status === 'SCAN_QR_CODE')
    const code = await server.call<{ code: string }>('POST', `/${PHONE}/pairing-code`)
    expect(code.status).toBe(200)
    expect(code.body.code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/)
    expect((await server.call('POST', `/${PHONE}/sandbox/scan`)).body).toMatchObject({ status: 'WORKING' })
  })

  test('sends on a session that is not connected keep CLIENT_NOT_READY with the state', async () => {
    await server.call('POST', `/${PHONE}/start`)
    await waitFor(async () => (await server.call<{ status: string }>('GET', `/${PHONE}/state`)).body.status === 'SCAN_QR_CODE')
    const send = await server.call<Envelope>('POST', `/${PHONE}/send-text`, { body: { chatId: '966500000002', text: 'x' } })
    expect(send.status).toBe(409)
    expect(send.body).toMatchObject({ code: 'CLIENT_NOT_READY', details: { state: 'AUTHENTICATING', status: 'SCAN_QR_CODE' } })
  })
})
