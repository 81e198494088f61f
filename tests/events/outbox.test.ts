import { afterEach, beforeEach, expect, test } from 'bun:test'
import type { EngineEvent } from '../../src/providers/engine'
import { createTestServer, waitFor, type TestServer } from '../helpers/app'
import { startReceiver, type Receiver } from '../helpers/receiver'

const PHONE = '966500000001'
let server: TestServer
let receiver: Receiver

beforeEach(async () => {
  receiver = startReceiver()
  server = await createTestServer({ OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32', WEBHOOK_RETRY_BASE_MS: '20', WEBHOOK_RETRY_MAX_MS: '100' })
  await server.call('POST', `/${PHONE}/start`)
  // The start's own status events (STARTING, then SCAN_QR_CODE a moment later) are in before a test counts.
  await waitFor(async () => (await server.call<{ status: string }>('GET', `/${PHONE}/state`)).body.status === 'SCAN_QR_CODE')
  await server.deps.ingest.idle()
})
afterEach(async () => {
  await server.close()
  await receiver.close()
})

function message(id: string, body = 'x'): EngineEvent {
  return { type: 'message', message: { id, timestamp: 1, chatId: 'a@c.us', from: 'a@c.us', to: `${PHONE}@c.us`, fromMe: false, type: 'text', body, hasMedia: false, ack: 2 } }
}

function publish(event: EngineEvent): void {
  server.deps.bus.publish({ session: PHONE, engine: 'simulator', receivedAt: Date.now(), event })
}

async function count(table: string): Promise<number> {
  const rows: Array<{ n: number }> = await server.deps.storage.db.unsafe(`SELECT COUNT(*) AS n FROM ${table}`)
  return Number(rows[0]!.n)
}

test('the outbox shares the ingest transaction: a failing hook rolls the envelopes back and nothing is sent', async () => {
  await server.call('POST', `/${PHONE}/webhooks`, { body: { url: receiver.url, events: ['message', 'message.any'] } })
  server.deps.ingest.addHook(async (_tx, event) => {
    if (event.event.type === 'message' && event.event.message.body === 'poison') throw new Error('message store failed')
  })
  await server.deps.ingest.idle()
  const before = await count('outbox')
  publish(message('m-bad', 'poison'))
  publish(message('m-good'))
  await server.deps.ingest.idle()
  const rows = await server.deps.events.outbox.replay(PHONE, 0, 100)
  expect(rows.filter((r) => r.event.startsWith('message')).map((r) => JSON.parse(r.body).payload.id)).toEqual(['m-good', 'm-good'])
  expect(await count('outbox')).toBeGreaterThanOrEqual(before + 2)
  await waitFor(() => receiver.received.length === 2)
  await Bun.sleep(50)
  expect(receiver.received.map((r) => r.json.payload.id)).toEqual(['m-good', 'm-good'])
})

test('retention prunes finished envelopes and their deliveries, and keeps anything still pending', async () => {
  const ok = await server.call<{ id: string }>('POST', `/${PHONE}/webhooks`, { body: { url: receiver.url, events: ['message'] } })
  await receiver.stop()
  publish(message('m1'))
  publish(message('m2'))
  await server.deps.ingest.idle()
  // Pending while the receiver is down: nothing of these may go.
  expect(await server.deps.events.outbox.prune(Date.now() + 1)).toBeGreaterThan(0) // the events nobody waits for (message.any, status)
  const pending = await server.deps.events.outbox.replay(PHONE, 0, 100)
  expect(pending.map((e) => e.event)).toEqual(['message', 'message'])

  receiver.restart()
  await waitFor(async () => {
    const log = await server.call<{ deliveries: Array<{ status: string }> }>('GET', `/${PHONE}/webhooks/${ok.body.id}/deliveries`)
    return log.body.deliveries.length === 2 && log.body.deliveries.every((d) => d.status === 'delivered')
  }, 5000)
  // Not old enough yet: kept.
  expect(await server.deps.events.outbox.prune(Date.now() - 60_000)).toBe(0)
  expect(await server.deps.events.outbox.prune(Date.now() + 1)).toBeGreaterThanOrEqual(2)
  expect(await count('outbox')).toBe(0)
  expect(await count('webhook_deliveries')).toBe(0)
})

test('after retention pruned every envelope, a restart continues the sequence instead of starting over at 1', async () => {
  publish(message('m1'))
  await server.deps.ingest.idle()
  const lastSeq = server.deps.events.outbox.lastSeq
  expect(lastSeq).toBeGreaterThan(1)
  expect(await server.deps.events.outbox.prune(Date.now() + 1)).toBeGreaterThan(0)
  expect(await count('outbox')).toBe(0)
  await server.close({ keepData: true })

  server = await createTestServer({}, {}, server.dataDir)
  expect(server.deps.events.outbox.lastSeq).toBe(lastSeq)
  publish(message('m2'))
  await server.deps.ingest.idle()
  // The restored session may announce its status first: the sequence goes on right after lastSeq either way.
  const replayed = await server.deps.events.outbox.replay(PHONE, lastSeq, 10)
  expect(replayed[0]!.seq).toBe(lastSeq + 1)
  expect(replayed.map((envelope) => envelope.event)).toContain('message')
})

test('deleting a session keeps the sequence position too', async () => {
  publish(message('m1'))
  await server.deps.ingest.idle()
  const lastSeq = server.deps.events.outbox.lastSeq
  expect((await server.call('DELETE', `/${PHONE}`)).status).toBe(200)
  expect(await count('outbox')).toBe(0)
  await server.close({ keepData: true })
  server = await createTestServer({}, {}, server.dataDir)
  expect(server.deps.events.outbox.lastSeq).toBe(lastSeq)
})
