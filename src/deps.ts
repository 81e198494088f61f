/**
 * The composition root: builds every service once from a Config — storage, engines, the
 * session manager, authentication, events and each feature's service — and hands them to
 * `app.ts`, which only mounts the route modules. Route modules never import this file;
 * they receive what they need. Tests call this with their own Config (and overrides) to
 * get an isolated server; `index.ts` calls it once at boot.
 */
import { resolveAdminKey } from './auth/admin-key'
import { createAdminKeyMatcher } from './auth/api-keys'
import type { GuardDeps } from './auth/guards'
import { ServerAuthenticator } from './auth/authenticator'
import { createJwtVerifier, type JwtVerifier } from './auth/jwt'
import type { Authenticator } from './auth/principal'
import { RequestLimits } from './auth/request-limits'
import { ConfigError, engineSettingsOf, type Config } from './config'
import { RequestForwarder } from './cluster/forward'
import { ClusterMember } from './cluster/member'
import { LeaseOwnership, SingleNodeOwnership, type SessionOwnership } from './cluster/ownership'
import { EventBus } from './events/bus'
import { API_BASE } from './lib/api-paths'
import { EventIngest } from './events/ingest'
import { createEventsRuntime, type EventsRuntime } from './events/runtime'
import { createLogger, type Logger } from './lib/logger'
import { Metrics } from './lib/metrics'
import { createSafeFetcher, type SafeFetcher } from './lib/safe-fetch'
import type { MessagingDeps } from './messaging'
import { IdempotencyStore } from './messaging/idempotency'
import { MediaConverter } from './messaging/media-convert'
import { MediaFiles } from './messaging/media-files'
import { PostgresMediaStorage } from './messaging/media-postgres'
import { S3MediaStorage } from './messaging/media-s3'
import { MediaResolver } from './messaging/media-input'
import { MessageStore } from './messaging/message-store'
import { SendPacer } from './messaging/pacer'
import { ApiKeysService } from './modules/api-keys/service'
import { ChatActionsService } from './modules/chat-actions/service'
import { ChatsService } from './modules/chats/service'
import { ClusterService } from './modules/cluster/service'
import { ContactsService } from './modules/contacts/service'
import { GroupsService } from './modules/groups/service'
import { GroupInvitesService } from './modules/group-invites/service'
import { MessagesService } from './modules/messages/service'
import { ProfileService } from './modules/profile/service'
import { SessionsService } from './modules/sessions/service'
import { WahaCallbacksService } from './modules/waha-callbacks/service'
import { WebhooksService } from './modules/webhooks/service'
import type { EngineName } from './providers/engine'
import { EngineRegistry, type EngineLoader } from './providers/registry'
import { SessionManager } from './sessions/manager'
import { ApiKeysRepository } from './storage/api-keys-repo'
import { LinkInvitesRepository } from './storage/link-invites-repo'
import { LinkInvitesService } from './modules/link-invites/service'
import { openStorage, type Storage } from './storage/db'
import { EngineAuthRepository, SessionsRepository, SettingsRepository } from './storage/sessions-repo'
import { EngineStateRepository } from './storage/engine-state-repo'
import { EngineRelayRepository } from './storage/engine-relay-repo'
import { EngineSnapshotsRepository } from './storage/engine-snapshots-repo'
import { WahaSessionsRepository } from './storage/waha-sessions-repo'
import { CallSettingsRepository } from './storage/call-settings-repo'
import { CallsService } from './modules/calls/service'
import { ChannelsService } from './modules/channels/service'
import { LabelsService } from './modules/labels/service'
import { CallbackDeliveriesRepository } from './storage/callback-deliveries-repo'
import { join } from 'node:path'

import packageJson from '../package.json'

export const VERSION: string = packageJson.version

/** How often a node reads the shared outbox when no NOTIFY woke it (the fallback; NOTIFY is the wake-up). */
const SHARED_OUTBOX_POLL_MS = 1000

export interface AppDeps {
  config: Config
  version: string
  logger: Logger
  storage: Storage
  bus: EventBus
  /** Makes bus events durable: hooks run in one transaction per event. */
  ingest: EventIngest
  registry: EngineRegistry
  sessions: SessionManager
  /** Outbox, webhooks, their deliverer and SSE. */
  events: EventsRuntime
  authenticator: Authenticator
  /** Account API keys (hashes only). */
  apiKeys: ApiKeysRepository
  /** Per-credential, per-send and per-IP failed-auth rate limits. */
  limits: RequestLimits
  /** Clock of identity decisions (key expiry, last use, rate limits), epoch ms. */
  now: () => number
  /** The one safe fetcher for user-supplied URLs (media to send, webhook targets): pass `maxBytes` per call. */
  fetcher: SafeFetcher
  messaging: MessagingDeps
  /** WAHA session configs set through WAHA's API (§13). */
  wahaSessions: WahaSessionsRepository
  /** When this server started (epoch ms), for WAHA's server status. */
  startedAt: number
  /** Prometheus metrics of this server (GET /metrics). */
  metrics: Metrics
  /** Constant-time check of a bearer token against METRICS_TOKEN, when one is set. */
  metricsTokenMatches?: (presented: string) => boolean
  wahaKeyMatches?: (presented: string) => boolean
  /** Which node runs each session (forwarding asks it); on SQLite this node runs them all. */
  ownership: SessionOwnership
  /** This node's membership of the cluster (Postgres): heartbeat, leases, fencing. Absent on SQLite. */
  cluster?: ClusterMember
  /** What every route module's guards need (authentication, ownership, limits). */
  guards: GuardDeps
  /** Each feature's service, built once; the route modules receive them from app.ts. */
  services: AppServices
  /** The admin key generated on this boot (first boot without API_KEY or JWT), to print once. */
  generatedAdminKey?: string
  close(): Promise<void>
}

export type { MessagingDeps } from './messaging'

export interface AppServices {
  sessions: SessionsService
  apiKeys: ApiKeysService
  messages: MessagesService
  chats: ChatsService
  chatActions: ChatActionsService
  contacts: ContactsService
  groups: GroupsService
  groupInvites: GroupInvitesService
  profile: ProfileService
  webhooks: WebhooksService
  wahaCallbacks: WahaCallbacksService
  linkInvites: LinkInvitesService
  cluster: ClusterService
  // Issue 13 part B: labels, calls, channels.
  labels: LabelsService
  calls: CallsService
  channels: ChannelsService
}

export interface DepsOverrides {
  logger?: Logger
  /** Replace how a registered engine's factory is made, e.g. the webjs engine wired to a fake Client in tests. */
  engines?: Partial<Record<EngineName, EngineLoader>>
  onQr?: (phoneNumber: string, value: string) => void
  /** Clock for key expiry, last use and rate limits (tests step it instead of sleeping). */
  now?: () => number
  /** false: build everything but do not start delivering webhooks (benchmarks fill the outbox first). */
  deliverWebhooks?: boolean
  /** Which node runs each session, instead of the lease table (tests place sessions on stand-in nodes). */
  ownership?: SessionOwnership
}

/** The JWT verifier for the configured key source; a key it cannot use stops the boot like any bad setting. */
function jwtVerifier(config: Config, logger: Logger): JwtVerifier | undefined {
  const jwt = config.jwt
  if (!jwt) return undefined
  try {
    return createJwtVerifier({
      ...(jwt.jwksUrl && { jwksUrl: jwt.jwksUrl }),
      ...(jwt.publicKey && { publicKey: jwt.publicKey }),
      ...(jwt.secret && { secret: jwt.secret }),
      ...(jwt.issuer && { issuer: jwt.issuer }),
      ...(jwt.audience && { audience: jwt.audience }),
      ...(jwt.accountClaim && { accountClaim: jwt.accountClaim }),
      ...(jwt.jwksCooldownMs !== undefined && { jwksCooldownMs: jwt.jwksCooldownMs }),
      onFailure: (reason, cause) => {
        // The client only sees the reason; an unreachable key set is the operator's problem.
        if (reason === 'signing keys unavailable') logger.warn({ err: cause }, 'JWT rejected: signing keys unavailable')
        else logger.debug({ reason }, 'JWT rejected')
      },
    })
  } catch (error) {
    throw new ConfigError([(error as Error).message])
  }
}

export async function createDeps(config: Config, overrides: DepsOverrides = {}): Promise<AppDeps> {
  const logger = overrides.logger ?? createLogger(config.logLevel, { format: config.logFormat })
  const metrics = new Metrics()
  const jwt = jwtVerifier(config, logger)
  const storage = await openStorage(config.databaseUrl)
  const ownership: SessionOwnership =
    overrides.ownership ?? (storage.dialect === 'postgres'
      ? new LeaseOwnership(storage.db, config.cluster.nodeId, config.cluster.nodeUrl)
      : new SingleNodeOwnership(config.cluster.nodeId, config.cluster.nodeUrl))
  const bus = new EventBus((error, event) => logger.error({ err: error, session: event.session, event: event.event.type }, 'event listener failed'))
  const ingest = new EventIngest(storage.db, logger)
  ingest.attach(bus)
  const cluster =
    storage.dialect === 'postgres'
      ? new ClusterMember({
          db: storage.db,
          node: { id: config.cluster.nodeId, url: config.cluster.nodeUrl, capacity: config.cluster.capacity },
          leaseTtlMs: config.cluster.leaseTtlMs,
          logger,
          writesSettled: () => ingest.idle(),
        })
      : undefined
  if (cluster) {
    ingest.fenceWith((tx, session) => cluster.check(tx, session))
    // Every node lists a session with the status its node last reported, written with that event.
    ingest.addHook(async (tx, { session, event }) => {
      if (event.type === 'session.status') await cluster.recordStatus(tx, session, event.status)
    })
  }
  // Every message passes the bus once, sent (through the API or from the phone) or received.
  bus.subscribe(({ engine, event }) => {
    if (event.type === 'message') metrics.message(event.message.fromMe ? 'out' : 'in', engine)
  })
  const engineState = new EngineStateRepository(storage.db)
  // Engines whose sessions talk to each other (the simulator) span the nodes through it.
  const relay = ownership.clustered && storage.dialect === 'postgres' ? new EngineRelayRepository(storage.db, (error) => logger.warn({ err: error }, 'engine relay: no notifications, polling')) : undefined
  const registry = new EngineRegistry({
    definitions: config.engines,
    settingsOf: (engine) => engineSettingsOf(config, engine),
    host: {
      logger,
      publicApiUrl: `${config.publicUrl}${API_BASE}`,
      stateStore: (engine) => engineState.of(engine),
      ...(relay && { relay: (engine: EngineName) => relay.of(engine) }),
    },
    ...(overrides.engines && { loaders: overrides.engines }),
  })
  const sessions = new SessionManager({
    dataDir: config.dataDir,
    defaultEngine: config.defaultEngine,
    registry,
    // Other nodes write the sessions table too: no cache in a cluster.
    sessions: new SessionsRepository(storage.db, cluster === undefined),
    engineAuth: new EngineAuthRepository(storage.db),
    bus,
    logger,
    restart: config.restart,
    onEngineRestart: (engine) => metrics.engineRestart(engine),
    ...(cluster && { placement: cluster, snapshots: new EngineSnapshotsRepository(storage.db) }),
    ...(overrides.onQr && { onQr: overrides.onQr }),
  })
  const now = overrides.now ?? Date.now
  const mediaLimits = config.mediaLimits
  const fetcher = createSafeFetcher({
    allowCidrs: config.outbound.allowCidrs,
    timeoutMs: config.outbound.timeoutMs,
    maxBytes: Math.max(mediaLimits.image, mediaLimits.video, mediaLimits.audio, mediaLimits.document, mediaLimits.sticker),
    userAgent: `whatsapp-web-server/${VERSION}`,
    logger,
  })
  // Media any node can serve (API.md §10): a bucket when configured, else the shared database on Postgres; one node's disk on SQLite.
  const mediaStorage = config.mediaS3
    ? new S3MediaStorage(config.mediaS3)
    : storage.dialect === 'postgres'
      ? new PostgresMediaStorage(storage.db)
      : new MediaFiles(join(config.dataDir, 'media'))
  const store = new MessageStore(storage.db, mediaStorage, logger, { publicUrl: config.publicUrl })
  store.attach(ingest)
  const messaging: MessagingDeps = {
    store,
    media: new MediaResolver(fetcher, mediaLimits),
    convert: new MediaConverter(config.mediaConvert),
    pacer: new SendPacer(config.sendPacing),
    idempotency: new IdempotencyStore(storage.db, config.idempotencyTtlSeconds),
    ingest,
  }
  sessions.onDeleted(async (phoneNumber) => {
    await ingest.idle()
    await messaging.store.purge(phoneNumber)
    await messaging.idempotency.purge(phoneNumber)
    messaging.pacer.forget(phoneNumber)
  })
  const events = await createEventsRuntime({
    db: storage.db,
    ingest,
    config,
    fetcher,
    logger,
    version: VERSION,
    envelopeName: (engine) => registry.envelopeName(engine),
    onDeliveryAttempt: (outcome, seconds) => metrics.webhookAttempt(outcome, seconds),
    // On Postgres other nodes may share the outbox (API.md §10); a delivery claim lives as long as a session lease.
    ...(storage.dialect === 'postgres' && {
      shared: { nodeId: config.cluster.nodeId, claimTtlMs: config.cluster.leaseTtlMs, feedPollMs: SHARED_OUTBOX_POLL_MS },
    }),
  })
  metrics.readFrom({
    sessions: () => sessions.list(),
    outboxPending: () => events.deliverer.pendingCount(),
    browserMemory: () => sessions.memoryUsage(),
  })
  sessions.onDeleted((phoneNumber) => events.deleteSession(phoneNumber))
  const wahaSessions = new WahaSessionsRepository(storage.db)
  sessions.onDeleted((phoneNumber) => wahaSessions.delete(phoneNumber))
  if (overrides.deliverWebhooks !== false) events.start()
  // Joins the cluster: the first round claims the sessions that should run and have no live node (at boot: this node's own).
  await cluster?.start(sessions)
  const admin = await resolveAdminKey(config.apiKey, new SettingsRepository(storage.db), config.jwt === undefined)
  const apiKeys = new ApiKeysRepository(storage.db)
  const authenticator = new ServerAuthenticator({
    ...(admin.hash && { adminKey: admin.hash }),
    ...(jwt && { jwt }),
    apiKeys,
    now,
    logger,
  })
  // On Postgres the buckets are shared by every node (API.md §10); on SQLite they stay in memory.
  const limits = new RequestLimits(config.rateLimit, now, storage.dialect === 'postgres' ? storage.db : undefined)
  const wahaKeyMatches = config.waha.apiKey ? createAdminKeyMatcher(config.waha.apiKey) : undefined
  const forwarder = new RequestForwarder({
    leases: ownership,
    ...(config.cluster.secret && { secret: config.cluster.secret }),
    onUnreachable: (owner, error) => logger.warn({ err: error, node: owner.nodeId, url: owner.url }, 'could not forward a request to the node running its session'),
  })
  const guards: GuardDeps = {
    authenticator,
    sessions,
    limits,
    trustProxy: config.trustProxy,
    forwarder,
    // Link invites' public routes are forwarded to the node that runs the invited number.
    numberOfLinkToken: (token) => services.linkInvites.numberOf(token),
    ...(wahaKeyMatches && { wahaKeyMatches }),
  }
  const callSettings = new CallSettingsRepository(storage.db)
  sessions.onDeleted((phoneNumber) => callSettings.delete(phoneNumber))
  const messages = new MessagesService(sessions, messaging)
  const services: AppServices = {
    sessions: new SessionsService(sessions),
    apiKeys: new ApiKeysService(apiKeys, sessions, now),
    messages,
    chats: new ChatsService(sessions, messaging),
    chatActions: new ChatActionsService(sessions, messaging),
    contacts: new ContactsService(sessions),
    groups: new GroupsService(sessions, messaging),
    groupInvites: new GroupInvitesService(sessions, messaging),
    profile: new ProfileService(sessions, messaging),
    webhooks: new WebhooksService(events, sessions, config.outbound.allowCidrs),
    wahaCallbacks: new WahaCallbacksService(
      sessions,
      ingest,
      (engine) => registry.callbackDecoder(engine),
      storage.dialect === 'postgres' ? new CallbackDeliveriesRepository(storage.db) : undefined,
    ),
    cluster: new ClusterService({ id: config.cluster.nodeId, url: config.cluster.nodeUrl, capacity: config.cluster.capacity }, sessions, cluster),
    linkInvites: new LinkInvitesService(new LinkInvitesRepository(storage.db), sessions, bus, { publicUrl: config.publicUrl, keepaliveMs: config.sse.keepaliveMs, now }),
    labels: new LabelsService(sessions),
    calls: new CallsService(sessions, {
      settings: callSettings,
      capabilitiesOf: async (engine) => (await registry.get(engine)).capabilities,
      reply: (phone, chatId, text) => messages.sendText(phone, { chatId, text }),
      logger,
    }),
    channels: new ChannelsService(sessions),
  }
  bus.subscribe((event) => services.calls.onEvent(event))
  return {
    config,
    version: VERSION,
    logger,
    storage,
    bus,
    ingest,
    registry,
    sessions,
    fetcher,
    events,
    authenticator,
    apiKeys,
    limits,
    now,
    messaging,
    wahaSessions,
    startedAt: Date.now(),
    metrics,
    ownership,
    ...(cluster && { cluster }),
    ...(config.metricsToken && { metricsTokenMatches: createAdminKeyMatcher(config.metricsToken) }),
    ...(wahaKeyMatches && { wahaKeyMatches }),
    guards,
    services,
    ...(admin.generated && { generatedAdminKey: admin.generated }),
    async close() {
      await sessions.shutdown()
      // After the engines' last events are written: peers take the sessions over at once.
      await cluster?.close()
      await registry.close()
      await relay?.close()
      await ingest.close()
      await events.close()
      await storage.close()
    },
  }
}
