/**
 * In-process cluster nodes for the event tests: each node has its own connection pool to
 * one shared (throwaway) Postgres database, its own bus, ingest, outbox, feed, SSE hub and
 * webhook deliverer, wired as src/events/runtime.ts wires them on a shared database. What
 * one node commits, another reads only through Postgres, as between real processes.
 */
import { afterAll, afterEach, beforeAll } from 'bun:test'
import { SQL } from 'bun'
import { EventBus, type SessionEvent } from '../../src/events/bus'
import { WebhookDeliverer, type DelivererOptions } from '../../src/events/deliverer'
import { EventIngest } from '../../src/events/ingest'
import { Outbox } from '../../src/events/outbox'
import { OutboxFeed } from '../../src/events/outbox-feed'
import { SseHub } from '../../src/events/sse'
import { WebhookStore, type WebhookRecord } from '../../src/events/webhook-store'
import { silentLogger } from '../../src/lib/logger'
import { createSafeFetcher } from '../../src/lib/safe-fetch'
import { migrate } from '../../src/storage/migrations'
import { startPostgres, type PostgresCluster } from './postgres'

export interface EventsNode {
  nodeId: string
  db: SQL
  bus: EventBus
  ingest: EventIngest
  webhooks: WebhookStore
  outbox: Outbox
  feed: OutboxFeed
  sse: SseHub
  deliverer: WebhookDeliverer
  /** Publishes an incoming text message of `session` on this node's bus. */
  message(session: string, id: string, text?: string): void
  close(): Promise<void>
}

export function messageEvent(session: string, id: string, text = id): SessionEvent {
  return {
    session,
    engine: 'simulator',
    receivedAt: Date.now(),
    event: {
      type: 'message',
      message: { id, timestamp: 1, chatId: '15550001111@c.us', from: '15550001111@c.us', to: `${session}@c.us`, fromMe: false, type: 'text', body: text, hasMedia: false, ack: 2 },
    },
  }
}

export async function migrated(url: string): Promise<void> {
  const db = new SQL(url)
  await migrate(db)
  await db.close()
}

export async function startEventsNode(
  url: string,
  nodeId: string,
  options: { claimTtlMs?: number; feedPollMs?: number; notifications?: boolean; deliverer?: Partial<DelivererOptions>; deliver?: boolean } = {},
): Promise<EventsNode> {
  const db = new SQL({ url, max: 10 })
  const bus = new EventBus()
  const ingest = new EventIngest(db, silentLogger)
  ingest.attach(bus)
  const webhooks = new WebhookStore(db)
  await webhooks.load()
  await webhooks.share(() => undefined)
  const claimTtlMs = options.claimTtlMs ?? 3000
  const outbox = new Outbox(db, webhooks, { publicUrl: 'http://127.0.0.1:3000' }, { nodeId, claimTtlMs })
  await outbox.attach(ingest)
  const feed = new OutboxFeed(db, outbox, { pollMs: options.feedPollMs ?? 1000, ...(options.notifications === false && { notifications: false }) }, silentLogger)
  await feed.start()
  const sse = new SseHub(outbox, { keepaliveMs: 15_000, maxBufferBytes: 1 << 20 }, silentLogger, feed)
  const fetcher = createSafeFetcher({ allowCidrs: ['127.0.0.1/32'], timeoutMs: 5000, maxBytes: 1024 })
  const deliverer = new WebhookDeliverer(
    db,
    webhooks,
    fetcher,
    {
      timeoutMs: 5000,
      retryBaseMs: 20,
      retryMaxMs: 200,
      disableAfterMs: 600_000,
      concurrency: 8,
      endpointConcurrency: 1,
      userAgent: 'test',
      pollMs: 50,
      ...options.deliverer,
      claims: { nodeId, ttlMs: claimTtlMs },
    },
    silentLogger,
  )
  if (options.deliver !== false) deliverer.start(outbox)
  let closed = false
  return {
    nodeId,
    db,
    bus,
    ingest,
    webhooks,
    outbox,
    feed,
    sse,
    deliverer,
    message: (session, id, text) => bus.publish(messageEvent(session, id, text)),
    async close() {
      if (closed) return
      closed = true
      sse.close()
      await feed.stop()
      await deliverer.stop()
      await webhooks.unshare()
      await ingest.close()
      await db.close()
    },
  }
}

export function webhookRecord(id: string, session: string | null, url: string): WebhookRecord {
  const now = Date.now()
  return {
    id, session, accountId: null, source: 'api', url, events: ['message'], headers: {}, secret: null, previousSecret: null, previousSecretUntil: null,
    hmacKey: null, status: 'active', disabledReason: null, disabledAt: null, failingSince: null, lastSuccessAt: null, createdAt: now, updatedAt: now,
  }
}

/**
 * A throwaway Postgres for the file's tests (started once, stopped after the last), and the
 * cleanup steps each test pushes, run after it in reverse order.
 */
export function usePostgresCluster(): { cluster(): PostgresCluster; cleanup: Array<() => Promise<void>> } {
  let cluster: PostgresCluster | undefined
  const cleanup: Array<() => Promise<void>> = []
  beforeAll(async () => {
    cluster = await startPostgres()
  }, 60_000)
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined)
  })
  afterAll(async () => {
    await cluster?.stop()
  })
  return {
    cluster() {
      if (!cluster) throw new Error('the Postgres cluster is not started yet (use it inside a test)')
      return cluster
    },
    cleanup,
  }
}
