/** Idempotency-Key on sends: a retried send returns the first result and sends nothing. */
import { afterEach, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { ConflictError } from '../../src/errors'
import { IdempotencyStore } from '../../src/messaging/idempotency'
import { migrate } from '../../src/storage/migrations'
import { createTestServer, tempDir, waitFor, type TestServer } from '../helpers/app'
import { A, B, history, jid, PNG_BASE64 } from '../helpers/whatsapp'

let server: TestServer
afterEach(async () => {
  await server?.close()
})

async function linked() {
  server = await createTestServer()
  await server.link(A)
  await server.link(B)
}

function send(body: Record<string, unknown>, key?: string, path = 'send-text', phone = A) {
  return server.call<{ messageId: string; timestamp: number }>('POST', `/${phone}/${path}`, { body, ...(key && { headers: { 'idempotency-key': key } }) })
}

/** Waits until B has received what A sent, then gives the network a moment to deliver anything extra. */
async function receivedByB(count: number) {
  await waitFor(async () => (await history(server, B, jid(A))).messages.length >= count)
  await Bun.sleep(30)
  return (await history(server, B, jid(A))).messages
}

describe('Idempotency-Key', () => {
  test('the same key twice sends once; the retry gets the first result, marked as a replay', async () => {
    await linked()
    const first = await send({ chatId: B, text: 'pay invoice 42' }, 'key-1')
    const second = await send({ chatId: B, text: 'pay invoice 42' }, 'key-1')
    expect(first.status).toBe(200)
    expect(second.status).toBe(200)
    expect(second.body).toEqual(first.body)
    expect(first.headers.get('idempotent-replayed')).toBeNull()
    expect(second.headers.get('idempotent-replayed')).toBe('true')
    expect((await receivedByB(1)).map((m) => m.body)).toEqual(['pay invoice 42'])
    expect((await history(server, A, jid(B))).messages).toHaveLength(1)
  })

  test('concurrent duplicates send once', async () => {
    await linked()
    const results = await Promise.all(Array.from({ length: 5 }, () => send({ chatId: B, imageUrl: PNG_BASE64, mimeType: 'image/png' }, 'burst', 'send-image')))
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
    expect(new Set(results.map((r) => r.body.messageId)).size).toBe(1)
    expect(results.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(4)
    expect(await receivedByB(1)).toHaveLength(1)
  })

  test('different keys, or no key, send each time', async () => {
    await linked()
    await send({ chatId: B, text: 'same text' }, 'k-a')
    await send({ chatId: B, text: 'same text' }, 'k-b')
    await send({ chatId: B, text: 'same text' })
    await send({ chatId: B, text: 'same text' })
    expect(await receivedByB(4)).toHaveLength(4)
  })

  test('a key is scoped to its number', async () => {
    await linked()
    const fromA = await send({ chatId: B, text: 'hi' }, 'shared')
    const fromB = await send({ chatId: A, text: 'hi' }, 'shared', 'send-text', B)
    expect(fromB.status).toBe(200)
    expect(fromB.headers.get('idempotent-replayed')).toBeNull()
    expect(fromB.body.messageId).not.toBe(fromA.body.messageId)
  })

  test('reusing a key for a different request is a 409, and sends nothing', async () => {
    await linked()
    await send({ chatId: B, text: 'first' }, 'reused')
    const other = await send({ chatId: B, text: 'second' }, 'reused')
    expect(other.status).toBe(409)
    expect(other.body).toMatchObject({ code: 'CONFLICT' })
    const otherRoute = await send({ chatId: B, latitude: 1, longitude: 2 }, 'reused', 'send-location')
    expect(otherRoute.status).toBe(409)
    expect((await receivedByB(1)).map((m) => m.body)).toEqual(['first'])
  })

  test('a failed send releases its key: the retry after the failure really sends', async () => {
    server = await createTestServer()
    await server.call('POST', `/${A}/start`)
    const early = await send({ chatId: B, text: 'retry me' }, 'after-failure')
    expect(early.status).toBe(409)
    await server.link(A)
    await server.link(B)
    const retried = await send({ chatId: B, text: 'retry me' }, 'after-failure')
    expect(retried.status).toBe(200)
    expect(retried.headers.get('idempotent-replayed')).toBeNull()
    expect(await receivedByB(1)).toHaveLength(1)
  })

  test('keys survive a server restart', async () => {
    const dataDir = tempDir()
    server = await createTestServer({}, {}, dataDir)
    await server.link(A)
    const first = await send({ chatId: B, text: 'once' }, 'durable')
    await server.close({ keepData: true })
    server = await createTestServer({}, {}, dataDir)
    await waitFor(async () => (await server.call('GET', `/${A}/state`)).status === 200)
    const replay = await send({ chatId: B, text: 'once' }, 'durable')
    expect(replay.status).toBe(200)
    expect(replay.body).toEqual(first.body)
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
  })

  test('forward and Status posts take a key too', async () => {
    await linked()
    const original = await send({ chatId: B, text: 'forward me' })
    const f1 = await server.call('POST', `/${A}/messages/${original.body.messageId}/forward`, { body: { chatId: '966511111111' }, headers: { 'idempotency-key': 'fwd' } })
    const f2 = await server.call('POST', `/${A}/messages/${original.body.messageId}/forward`, { body: { chatId: '966511111111' }, headers: { 'idempotency-key': 'fwd' } })
    expect(f2.body).toEqual(f1.body)
    expect((await history(server, A, '966511111111@c.us')).messages).toHaveLength(1)
    const s1 = await server.call('POST', `/${A}/status`, { body: { type: 'text', text: 'hi' }, headers: { 'idempotency-key': 'st' } })
    const s2 = await server.call('POST', `/${A}/status`, { body: { type: 'text', text: 'hi' }, headers: { 'idempotency-key': 'st' } })
    expect(s2.body).toEqual(s1.body)
    expect((await history(server, A, 'status@broadcast')).messages).toHaveLength(1)
  })

  test('a malformed key is a 400', async () => {
    await linked()
    const response = await send({ chatId: B, text: 'hi' }, 'has space')
    expect(response.status).toBe(400)
    expect((response.body as unknown as { error: string }).error).toContain('idempotency-key')
  })
})

describe('IdempotencyStore', () => {
  async function store(now: () => number) {
    const db = new SQL({ adapter: 'sqlite', filename: ':memory:' })
    await migrate(db)
    return { db, keys: new IdempotencyStore(db, 60, now) }
  }

  test('a key is forgotten after its TTL', async () => {
    let clock = 1_000_000
    const { db, keys } = await store(() => clock)
    let runs = 0
    const work = async () => ({ n: ++runs })
    expect((await keys.run('1234567', 'k', 'fp', work)).value).toEqual({ n: 1 })
    clock += 59_000
    expect(await keys.run('1234567', 'k', 'fp', work)).toEqual({ value: { n: 1 }, replayed: true })
    clock += 2_000
    expect(await keys.run('1234567', 'k', 'fp', work)).toEqual({ value: { n: 2 }, replayed: false })
    await db.close()
  })

  test('an interrupted send (a claim without a result) blocks its key, then frees it', async () => {
    let clock = 1_000_000
    const { db, keys } = await store(() => clock)
    // A crash between the claim and the result leaves a pending row behind.
    await db`INSERT INTO idempotency_keys (session, idem_key, fingerprint, state, response, created_at, expires_at)
             VALUES ('1234567', 'k', 'fp', 'pending', NULL, ${clock}, ${clock + 600_000})`
    let runs = 0
    const work = async () => ++runs
    await expect(keys.run('1234567', 'k', 'fp', work)).rejects.toBeInstanceOf(ConflictError)
    expect(runs).toBe(0)
    clock += 600_001
    expect((await keys.run('1234567', 'k', 'fp', work)).value).toBe(1)
    await db.close()
  })

  test('a failure releases the key', async () => {
    const { db, keys } = await store(() => Date.now())
    await expect(keys.run('1234567', 'k', 'fp', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    expect((await keys.run('1234567', 'k', 'fp', async () => 'ok')).value).toBe('ok')
    await db.close()
  })
})
