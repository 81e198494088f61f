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
import { createEventsRuntime, type EventsRuntime } from './events/runtime'
import { createLogger, type Logger } from './lib/logger'
import { createSafeFetcher, type SafeFetcher } from './lib/safe-fetch'
import type { ProviderFactory } from './providers/provider'
import { ProviderRegistry, type ProviderLoader } from './providers/registry'
import { createSimulatorFactory } from './providers/simulator'
import { SessionManager } from './sessions/manager'
import { openStorage, type Storage } from './storage/db'
import { EngineAuthRepository, SessionsRepository, SettingsRepository } from './storage/sessions-repo'

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
  /** Outbound fetches of user-supplied URLs (webhooks, media), SSRF-checked; OUTBOUND_ALLOW_CIDRS lets listed ranges through. */
  fetcher: SafeFetcher
  /** Outbox, webhooks, their deliverer and SSE. */
  events: EventsRuntime
  authenticator: Authenticator
  wahaKeyMatches?: (presented: string) => boolean
  /** The admin key generated on this boot (first boot without API_KEY or JWT), to print once. */
  generatedAdminKey?: string
  close(): Promise<void>
}

export interface DepsOverrides {
  logger?: Logger
  /** Replace or add engines, e.g. a webjs engine wired to a fake Client in tests. */
  engines?: Partial<Record<EngineName, ProviderLoader>>
  onQr?: (phoneNumber: string, value: string) => void
  /** false: build everything but do not start delivering webhooks (benchmarks fill the outbox first). */
  deliverWebhooks?: boolean
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
  const fetcher = createSafeFetcher({
    allowCidrs: config.outbound.allowCidrs,
    timeoutMs: config.outbound.timeoutMs,
    maxBytes: config.maxBodyBytes,
    userAgent: `WhatsApp-Web-Server/${VERSION}`,
    logger,
  })
  const events = await createEventsRuntime({ db: storage.db, ingest, config, fetcher, logger, version: VERSION })
  sessions.onDeleted((phoneNumber) => events.deleteSession(phoneNumber))
  if (overrides.deliverWebhooks !== false) events.start()
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
    fetcher,
    events,
    authenticator,
    ...(config.waha.apiKey && { wahaKeyMatches: createAdminKeyMatcher(config.waha.apiKey) }),
    ...(admin.generated && { generatedAdminKey: admin.generated }),
    async close() {
      await sessions.shutdown()
      await registry.close()
      await ingest.close()
      await events.close()
      await storage.close()
    },
  }
}
