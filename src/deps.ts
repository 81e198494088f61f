/**
 * Builds everything the app needs from a Config: storage, engines, the session manager,
 * authentication. Tests call this with their own Config (and overrides) to get an
 * isolated server; `index.ts` calls it once at boot.
 */
import { AdminKeyAuthenticator, resolveAdminKey } from './auth/admin-key'
import { createAdminKeyMatcher } from './auth/api-keys'
import type { Authenticator } from './auth/principal'
import type { Config, EngineName } from './config'
import { EventBus } from './events/bus'
import { EventIngest } from './events/ingest'
import { createLogger, type Logger } from './lib/logger'
import { createSafeFetcher, type SafeFetcher } from './lib/safe-fetch'
import { IdempotencyStore } from './messaging/idempotency'
import { MediaFiles } from './messaging/media-files'
import { MediaResolver } from './messaging/media-input'
import { MessageStore } from './messaging/message-store'
import { SendPacer } from './messaging/pacer'
import type { ProviderFactory } from './providers/provider'
import { ProviderRegistry, type ProviderLoader } from './providers/registry'
import { createSimulatorFactory } from './providers/simulator'
import { SessionManager } from './sessions/manager'
import { openStorage, type Storage } from './storage/db'
import { EngineAuthRepository, SessionsRepository, SettingsRepository } from './storage/sessions-repo'
import { join } from 'node:path'

export const VERSION = '0.1.0'

export interface AppDeps {
  config: Config
  version: string
  logger: Logger
  storage: Storage
  bus: EventBus
  /** Makes bus events durable: hooks run in one transaction per event. */
  ingest: EventIngest
  registry: ProviderRegistry
  sessions: SessionManager
  authenticator: Authenticator
  /** The one safe fetcher for user-supplied URLs (media to send, webhook targets): pass `maxBytes` per call. */
  fetcher: SafeFetcher
  messaging: MessagingDeps
  wahaKeyMatches?: (presented: string) => boolean
  /** The admin key generated on this boot (first boot without API_KEY or JWT), to print once. */
  generatedAdminKey?: string
  close(): Promise<void>
}

/** What the messaging routes need besides the session manager. */
export interface MessagingDeps {
  store: MessageStore
  media: MediaResolver
  pacer: SendPacer
  idempotency: IdempotencyStore
  ingest: EventIngest
}

export interface DepsOverrides {
  logger?: Logger
  /** Replace or add engines, e.g. a webjs engine wired to a fake Client in tests. */
  engines?: Partial<Record<EngineName, ProviderLoader>>
  onQr?: (phoneNumber: string, value: string) => void
}

function engineLoaders(config: Config): Partial<Record<EngineName, ProviderLoader>> {
  const simulator = createSimulatorFactory(config.simulator)
  return {
    simulator: async (): Promise<ProviderFactory> => simulator,
  }
}

export async function createDeps(config: Config, overrides: DepsOverrides = {}): Promise<AppDeps> {
  const logger = overrides.logger ?? createLogger(config.logLevel)
  const storage = await openStorage(config.databaseUrl)
  const bus = new EventBus((error, event) => logger.error({ err: error, session: event.session, event: event.event.type }, 'event listener failed'))
  const ingest = new EventIngest(storage.db, logger)
  ingest.attach(bus)
  const registry = new ProviderRegistry({ ...engineLoaders(config), ...overrides.engines })
  const sessions = new SessionManager({
    dataDir: config.dataDir,
    defaultEngine: config.defaultEngine,
    registry,
    sessions: new SessionsRepository(storage.db),
    engineAuth: new EngineAuthRepository(storage.db),
    bus,
    logger,
    restart: config.restart,
    ...(overrides.onQr && { onQr: overrides.onQr }),
  })
  const limits = config.mediaLimits
  const fetcher = createSafeFetcher({
    allowCidrs: config.outbound.allowCidrs,
    timeoutMs: config.outbound.timeoutMs,
    maxBytes: Math.max(limits.image, limits.video, limits.audio, limits.document, limits.sticker),
    userAgent: `whatsapp-web-server/${VERSION}`,
    logger,
  })
  const store = new MessageStore(storage.db, new MediaFiles(join(config.dataDir, 'media')), logger)
  store.attach(ingest)
  const messaging: MessagingDeps = {
    store,
    media: new MediaResolver(fetcher, limits),
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
  const admin = await resolveAdminKey(config.apiKey, new SettingsRepository(storage.db), config.jwt === undefined)
  const authenticator = new AdminKeyAuthenticator(admin.hash)
  return {
    config,
    version: VERSION,
    logger,
    storage,
    bus,
    ingest,
    registry,
    sessions,
    authenticator,
    fetcher,
    messaging,
    ...(config.waha.apiKey && { wahaKeyMatches: createAdminKeyMatcher(config.waha.apiKey) }),
    ...(admin.generated && { generatedAdminKey: admin.generated }),
    async close() {
      await sessions.shutdown()
      await registry.close()
      await ingest.close()
      await storage.close()
    },
  }
}
