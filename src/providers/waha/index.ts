/**
 * The `waha` engine's factory. Loaded lazily by its registry entry (./definition.ts), only
 * when WAHA_URL is set and a waha session starts.
 */
import type { EngineContext, EngineFactory, EngineHost } from '../engine'
import type { WahaSettings } from './definition'
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

/** The factory for settings with WAHA_URL (and WAHA_API_KEY, which the settings require with it). */
export function createWahaFactoryFromSettings(settings: WahaSettings, host: EngineHost): EngineFactory {
  const { url, apiKey, timeoutMs, pollMs, mediaMaxBytes } = settings
  if (!url || !apiKey) throw new Error('The waha engine needs WAHA_URL and WAHA_API_KEY')
  return createWahaFactory({
    client: new WahaClient({ baseUrl: url, apiKey, timeoutMs }),
    callbackBaseUrl: host.publicApiUrl,
    callbackApiKey: apiKey,
    pollMs,
    mediaMaxBytes,
    logger: host.logger,
  })
}
