/**
 * The `waha` engine's factory. Loaded lazily (see `engineLoaders` in src/deps.ts), only
 * when WAHA_URL is set.
 */
import type { Config } from '../../config'
import type { Logger } from '../../lib/logger'
import type { EngineContext, EngineFactory } from '../engine'
import { WahaClient } from './client'
import { WAHA_CAPABILITIES, WahaSession, type WahaSessionOptions } from './session'

export { WahaClient } from './client'
export { wahaEnvelopeToEngineEvents, type WahaEnvelope, type WahaEngineEvent } from './events'
export { WAHA_CAPABILITIES, WahaSession, type WahaSessionOptions } from './session'

export function createWahaFactory(options: WahaSessionOptions): EngineFactory {
  return {
    engine: 'waha',
    capabilities: WAHA_CAPABILITIES,
    create: (context: EngineContext) => new WahaSession(context, options),
  }
}

/** The factory for a configuration with WAHA_URL (and WAHA_API_KEY, which config requires with it). */
export function createWahaFactoryFromConfig(config: Config, logger: Logger, apiBase: string): EngineFactory {
  const { url, apiKey, timeoutMs, pollMs, mediaMaxBytes } = config.waha
  if (!url || !apiKey) throw new Error('The waha engine needs WAHA_URL and WAHA_API_KEY')
  return createWahaFactory({
    client: new WahaClient({ baseUrl: url, apiKey, timeoutMs }),
    callbackBaseUrl: `${config.publicUrl}${apiBase}`,
    callbackApiKey: apiKey,
    pollMs,
    mediaMaxBytes,
    logger,
  })
}
