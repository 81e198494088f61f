/**
 * The event outlets, built and wired in one place: the webhook store, the outbox hook on
 * the ingest, the webhook deliverer, the SSE hub, and outbox retention.
 */
import type { SQL } from 'bun'
import type { Config } from '../config'
import type { Logger } from '../lib/logger'
import type { SafeFetcher } from '../lib/safe-fetch'
import { WebhookDeliverer, type DelivererOptions } from './deliverer'
import { wahaEnvironmentBase } from './waha-delivery'
import type { EventIngest } from './ingest'
import { Outbox } from './outbox'
import { OutboxFeed } from './outbox-feed'
import { SseHub } from './sse'
import { DEFAULT_WEBHOOK_ID, WebhookStore } from './webhook-store'

export interface EventsRuntime {
  webhooks: WebhookStore
  outbox: Outbox
  deliverer: WebhookDeliverer
  sse: SseHub
  /** Every node's envelopes for this node's live outlets, when the outbox is shared (Postgres). */
  feed?: OutboxFeed
  /** The `engine` field of an envelope for a session on this engine. */
  envelopeName(engine: string): string
  /** Starts webhook delivery (pending deliveries from before the restart first) and retention. */
  start(): void
  /** Removes everything a deleted session left: its webhooks, events and open streams. */
  deleteSession(session: string): Promise<void>
  /** Deletes delivered envelopes older than the retention period; returns how many. */
  prune(): Promise<number>
  close(): Promise<void>
}

export async function createEventsRuntime(options: {
  db: SQL
  ingest: EventIngest
  config: Config
  fetcher: SafeFetcher
  logger: Logger
  version: string
  /** An engine's envelope name, from the engine registry. */
  envelopeName: (engine: string) => string
  /** Told of every webhook delivery attempt (metrics). */
  onDeliveryAttempt?: DelivererOptions['onAttempt']
  /**
   * Other nodes share this database (Postgres, API.md §10): the outbox sequence is taken
   * from the shared counter, SSE streams every node's envelopes, and webhook deliveries
   * are claimed (for `claimTtlMs` at a time) by whichever node sends them.
   */
  shared?: { nodeId: string; claimTtlMs: number; feedPollMs: number }
}): Promise<EventsRuntime> {
  const { db, ingest, config, fetcher, version } = options
  const logger = options.logger.child({ component: 'events' })
  const webhooks = new WebhookStore(db)
  await webhooks.load()
  if (config.webhooks.default) await webhooks.upsertDefault(config.webhooks.default)
  else if (webhooks.get(DEFAULT_WEBHOOK_ID)) await webhooks.delete(DEFAULT_WEBHOOK_ID)

  const shared = options.shared
  if (shared) await webhooks.share((error) => logger.error({ err: error }, 'could not reload webhooks changed by another node'))
  const outbox = new Outbox(
    db,
    webhooks,
    { publicUrl: config.publicUrl, envelopeName: options.envelopeName },
    shared && { nodeId: shared.nodeId, claimTtlMs: shared.claimTtlMs },
  )
  await outbox.attach(ingest)
  const feed = shared && new OutboxFeed(db, outbox, { pollMs: shared.feedPollMs }, logger)
  await feed?.start()
  const sse = new SseHub(outbox, config.sse, logger, feed)
  const deliverer = new WebhookDeliverer(
    db,
    webhooks,
    fetcher,
    {
      ...config.webhooks,
      userAgent: `WhatsApp-Web-Server/${version} (webhooks)`,
      wahaEnvironment: wahaEnvironmentBase(version, config.webjs.chrome.path),
      ...(options.onDeliveryAttempt && { onAttempt: options.onDeliveryAttempt }),
      ...(shared && { claims: { nodeId: shared.nodeId, ttlMs: shared.claimTtlMs } }),
    },
    logger,
  )

  let pruneTimer: ReturnType<typeof setInterval> | undefined
  const prune = async () => {
    const deleted = await outbox.prune(Date.now() - config.outbox.retentionMs)
    if (deleted > 0) logger.info({ deleted }, 'pruned delivered events past retention')
    return deleted
  }

  return {
    webhooks,
    outbox,
    deliverer,
    sse,
    ...(feed && { feed }),
    envelopeName: options.envelopeName,
    start() {
      deliverer.start(outbox)
      pruneTimer ??= setInterval(() => {
        prune().catch((error: unknown) => logger.error({ err: error }, 'outbox retention failed'))
      }, config.outbox.pruneIntervalMs)
    },
    async deleteSession(session) {
      sse.closeSession(session)
      // Events of the session still being written would otherwise land after the purge.
      await ingest.idle()
      for (const id of await webhooks.deleteSession(session)) deliverer.forget(id)
      await outbox.deleteSession(session)
    },
    prune,
    async close() {
      clearInterval(pruneTimer)
      sse.close()
      await feed?.stop()
      await deliverer.stop()
      await webhooks.unshare()
    },
  }
}
