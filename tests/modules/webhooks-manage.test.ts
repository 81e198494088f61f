import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { generateWebhookSecret, verifyStandardWebhook } from '../../src/events/signing'
import { createTestServer, waitFor, type TestServer } from '../helpers/app'
import { startReceiver, type Receiver } from '../helpers/receiver'

const PHONE = '966500000001'
const OTHER = '966500000002'
const OUTSIDER = '966511111111'
let server: TestServer
let receiver: Receiver

interface Hook {
  id: string
  url: string
  events: string[]
  status: string
  signed: boolean
  secret?: string
  previousSecretExpiresAt: string | null
  disabledReason: string | null
  headers: Record<string, string>
}
interface Delivery {
  eventId: string
  sequence: number
  status: string
  attempts: number
  lastStatusCode: number | null
}

beforeEach(async () => {
  receiver = startReceiver()
  server = await createTestServer({ OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32', WEBHOOK_RETRY_BASE_MS: '20', WEBHOOK_RETRY_MAX_MS: '100' })
  await server.link(PHONE)
})
afterEach(async () => {
  await server.close()
  await receiver.close()
})

async function createHook(body: Record<string, unknown> = {}) {
  const created = await server.call<Hook>('POST', `/${PHONE}/webhooks`, { body: { url: `${receiver.url}/hook`, events: ['message'], ...body } })
  expect(created.status).toBe(201)
  return created.body
}

async function deliveries(id: string) {
  return (await server.call<{ deliveries: Delivery[] }>('GET', `/${PHONE}/webhooks/${id}/deliveries`)).body.deliveries
}

describe('GET one webhook', () => {
  test('shows it without the secret; 404 for unknown ids and for another session', async () => {
    const hook = await createHook({ generateSecret: true })
    const got = await server.call<Hook>('GET', `/${PHONE}/webhooks/${hook.id}`)
    expect(got.status).toBe(200)
    expect(got.body).toMatchObject({ id: hook.id, url: `${receiver.url}/hook`, signed: true, status: 'active', previousSecretExpiresAt: null })
    expect(got.body.secret).toBeUndefined()
    expect((await server.call('GET', `/${PHONE}/webhooks/wh_unknown`)).status).toBe(404)
    await server.link(OTHER)
    expect((await server.call('GET', `/${OTHER}/webhooks/${hook.id}`)).status).toBe(404)
    expect((await server.call('GET', `/not-a-number/webhooks/${hook.id}`)).status).toBe(400)
    expect((await server.call('GET', `/${PHONE}/webhooks/${hook.id}`, { key: null })).status).toBe(401)
  })
})

describe('PATCH a webhook', () => {
  test('changes url, events and headers; only what is given', async () => {
    const hook = await createHook({ headers: { 'X-Token': 'a' } })
    const patched = await server.call<Hook>('PATCH', `/${PHONE}/webhooks/${hook.id}`, { body: { url: `${receiver.url}/v2`, events: ['*'] } })
    expect(patched.status).toBe(200)
    expect(patched.body).toMatchObject({ url: `${receiver.url}/v2`, events: ['*'], headers: { 'X-Token': 'a' }, signed: false })
    await server.call('POST', `/${PHONE}/sandbox/incoming`, { body: { from: OUTSIDER, text: 'to v2' } })
    await waitFor(() => receiver.received.some((r) => r.json.event === 'message'))
    expect(receiver.received.every((r) => r.path === '/v2')).toBe(true)
    expect(receiver.received.find((r) => r.json.event === 'message')!.headers['x-token']).toBe('a')
  })

  test('secret rotation: both secrets sign during the grace period; the new one is shown once', async () => {
    const oldSecret = generateWebhookSecret()
    const hook = await createHook({ secret: oldSecret })
    const rotated = await server.call<Hook>('PATCH', `/${PHONE}/webhooks/${hook.id}`, { body: { generateSecret: true, secretGracePeriodSeconds: 3600 } })
    expect(rotated.status).toBe(200)
    const newSecret = rotated.body.secret!
    expect(newSecret).toMatch(/^whsec_/)
    expect(newSecret).not.toBe(oldSecret)
    expect(Date.parse(rotated.body.previousSecretExpiresAt!)).toBeGreaterThan(Date.now() + 3500_000)
    expect((await server.call<Hook>('GET', `/${PHONE}/webhooks/${hook.id}`)).body.secret).toBeUndefined()

    await server.call('POST', `/${PHONE}/sandbox/incoming`, { body: { from: OUTSIDER, text: 'rotating' } })
    await waitFor(() => receiver.received.length === 1)
    const hit = receiver.received[0]!
    expect(hit.headers['webhook-signature']!.split(' ')).toHaveLength(2)
    expect(verifyStandardWebhook(hit.headers, hit.body, newSecret).valid).toBe(true)
    expect(verifyStandardWebhook(hit.headers, hit.body, oldSecret).valid).toBe(true)

    // Grace 0: the old secret stops signing at once.
    const third = generateWebhookSecret()
    const again = await server.call<Hook>('PATCH', `/${PHONE}/webhooks/${hook.id}`, { body: { secret: third, secretGracePeriodSeconds: 0 } })
    expect(again.status).toBe(200)
    expect(again.body.previousSecretExpiresAt).toBeNull()
    expect(again.body.secret).toBeUndefined()
    await server.call('POST', `/${PHONE}/sandbox/incoming`, { body: { from: OUTSIDER, text: 'rotated' } })
    await waitFor(() => receiver.received.length === 2)
    const second = receiver.received[1]!
    expect(second.headers['webhook-signature']!.split(' ')).toHaveLength(1)
    expect(verifyStandardWebhook(second.headers, second.body, third).valid).toBe(true)
    expect(verifyStandardWebhook(second.headers, second.body, newSecret).valid).toBe(false)

    const unsigned = await server.call<Hook>('PATCH', `/${PHONE}/webhooks/${hook.id}`, { body: { secret: null } })
    expect(unsigned.body.signed).toBe(false)
  })

  test('400 for bad bodies; 409 for the configured default; 404 unknown', async () => {
    const hook = await createHook()
    for (const body of [
      {},
      { secret: 'not-a-secret' },
      { secret: generateWebhookSecret(), generateSecret: true },
      { secretGracePeriodSeconds: 60 },
      { secretGracePeriodSeconds: -1, generateSecret: true },
      { url: 'ftp://example.com' },
      { url: 'http://10.0.0.1/hook' },
      { events: ['not-an-event'] },
      { headers: { 'webhook-id': 'forged' } },
      { enabled: 'yes' },
    ]) {
      const response = await server.call('PATCH', `/${PHONE}/webhooks/${hook.id}`, { body })
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect(response.body).toMatchObject({ code: 'BAD_REQUEST' })
    }
    expect((await server.call('PATCH', `/${PHONE}/webhooks/wh_nope`, { body: { enabled: true } })).status).toBe(404)
  })

  test('enabled: false stops deliveries; enabled: true re-enables a webhook the receiver disabled with 410', async () => {
    receiver.respond = () => new Response('gone', { status: 410 })
    const hook = await createHook()
    await server.call('POST', `/${PHONE}/sandbox/incoming`, { body: { from: OUTSIDER, text: 'first' } })
    await waitFor(async () => (await server.call<Hook>('GET', `/${PHONE}/webhooks/${hook.id}`)).body.status === 'disabled')
    expect((await server.call<Hook>('GET', `/${PHONE}/webhooks/${hook.id}`)).body.disabledReason).toContain('410')

    receiver.respond = () => new Response('ok')
    const enabled = await server.call<Hook>('PATCH', `/${PHONE}/webhooks/${hook.id}`, { body: { enabled: true } })
    expect(enabled.status).toBe(200)
    expect(enabled.body).toMatchObject({ status: 'active', disabledReason: null })
    await server.call('POST', `/${PHONE}/sandbox/incoming`, { body: { from: OUTSIDER, text: 'second' } })
    await waitFor(() => receiver.received.some((r) => (r.json.payload as { body?: string }).body === 'second'))

    const disabled = await server.call<Hook>('PATCH', `/${PHONE}/webhooks/${hook.id}`, { body: { enabled: false } })
    expect(disabled.body.status).toBe('disabled')
    const before = receiver.received.length
    await server.call('POST', `/${PHONE}/sandbox/incoming`, { body: { from: OUTSIDER, text: 'third' } })
    await server.deps.ingest.idle()
    await Bun.sleep(80)
    expect(receiver.received.length).toBe(before)
  })
})

describe('test delivery', () => {
  test('sends a signed webhook.test envelope and reports the outcome, also for a failing receiver', async () => {
    const hook = await createHook({ generateSecret: true, headers: { 'X-Token': 't' } })
    const tested = await server.call<{ delivered: boolean; eventId: string; statusCode: number; error: string | null }>('POST', `/${PHONE}/webhooks/${hook.id}/test`)
    expect(tested.status).toBe(200)
    expect(tested.body).toMatchObject({ delivered: true, statusCode: 200, error: null })
    const hit = receiver.received.at(-1)!
    expect(hit.json).toMatchObject({ id: tested.body.eventId, event: 'webhook.test', session: PHONE, engine: 'SIMULATOR', payload: { webhookId: hook.id } })
    expect(hit.headers['x-token']).toBe('t')
    expect(verifyStandardWebhook(hit.headers, hit.body, hook.secret!).valid).toBe(true)
    // Not a session event: nothing in the delivery log.
    expect(await deliveries(hook.id)).toEqual([])

    receiver.respond = () => new Response('nope', { status: 500 })
    const failing = await server.call<{ delivered: boolean; statusCode: number; error: string }>('POST', `/${PHONE}/webhooks/${hook.id}/test`)
    expect(failing.body).toMatchObject({ delivered: false, statusCode: 500 })
    expect(failing.body.error).toContain('500')
    expect((await server.call<Hook>('GET', `/${PHONE}/webhooks/${hook.id}`)).body.status).toBe('active')
    expect((await server.call('POST', `/${PHONE}/webhooks/wh_nope/test`)).status).toBe(404)
  })
})

describe('retry one delivery', () => {
  test('a failed delivery is sent again now, with the same webhook-id; 409 for delivered, pending or a disabled webhook', async () => {
    receiver.respond = () => new Response('gone', { status: 410 })
    const hook = await createHook()
    await server.call('POST', `/${PHONE}/sandbox/incoming`, { body: { from: OUTSIDER, text: 'retry me' } })
    await waitFor(async () => (await deliveries(hook.id))[0]?.status === 'failed')
    const [failed] = await deliveries(hook.id)
    const firstId = receiver.received[0]!.headers['webhook-id']

    const whileDisabled = await server.call('POST', `/${PHONE}/webhooks/${hook.id}/deliveries/${failed!.eventId}/retry`)
    expect(whileDisabled.status).toBe(409)
    expect(JSON.stringify(whileDisabled.body)).toContain('enabled')

    receiver.respond = () => new Response('ok')
    await server.call('PATCH', `/${PHONE}/webhooks/${hook.id}`, { body: { enabled: true } })
    const retried = await server.call<Delivery>('POST', `/${PHONE}/webhooks/${hook.id}/deliveries/${failed!.eventId}/retry`)
    expect(retried.status).toBe(200)
    expect(retried.body).toMatchObject({ eventId: failed!.eventId, status: 'pending' })
    await waitFor(async () => (await deliveries(hook.id))[0]?.status === 'delivered')
    expect(receiver.received.at(-1)!.headers['webhook-id']).toBe(firstId!)
    expect((await deliveries(hook.id))[0]!.attempts).toBe(2)

    const delivered = await server.call('POST', `/${PHONE}/webhooks/${hook.id}/deliveries/${failed!.sequence}/retry`)
    expect(delivered.status).toBe(409)
    expect((await server.call('POST', `/${PHONE}/webhooks/${hook.id}/deliveries/evt_unknown/retry`)).status).toBe(404)
    expect((await server.call('POST', `/${PHONE}/webhooks/wh_nope/deliveries/1/retry`)).status).toBe(404)
  })
})

describe('the default webhook from configuration', () => {
  test('can be read and tested, not changed through the API (409)', async () => {
    const configured = await createTestServer({ OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32', WEBHOOK_URL: `${receiver.url}/default`, WEBHOOK_EVENTS: 'message' })
    try {
      await configured.link(PHONE)
      expect((await configured.call('GET', `/${PHONE}/webhooks/default`)).body).toMatchObject({ id: 'default', source: 'config' })
      const patched = await configured.call('PATCH', `/${PHONE}/webhooks/default`, { body: { enabled: false } })
      expect(patched.status).toBe(409)
      expect(patched.body).toMatchObject({ code: 'CONFLICT' })
      expect((await configured.call('POST', `/${PHONE}/webhooks/default/test`)).body).toMatchObject({ delivered: true })
    } finally {
      await configured.close()
    }
  })
})
