/**
 * Picks the engine for a session. Engines load lazily, so a server that only runs the
 * simulator never loads whatsapp-web.js or a browser.
 */
import type { EngineName } from '../config'
import { NotSupportedError } from '../errors'
import type { EngineFactory } from './engine'

export type EngineLoader = () => Promise<EngineFactory>

export class EngineRegistry {
  private readonly loaded = new Map<EngineName, Promise<EngineFactory>>()

  constructor(private readonly loaders: Partial<Record<EngineName, EngineLoader>>) {}

  get engines(): EngineName[] {
    return Object.keys(this.loaders) as EngineName[]
  }

  async get(engine: EngineName): Promise<EngineFactory> {
    let factory = this.loaded.get(engine)
    if (!factory) {
      const loader = this.loaders[engine]
      if (!loader) throw new NotSupportedError(engine, 'sessions on this server (engine not configured)')
      factory = loader()
      this.loaded.set(engine, factory)
      // A failed load (missing browser, bad config) is retried on the next start.
      factory.catch(() => this.loaded.delete(engine))
    }
    return factory
  }

  async close(): Promise<void> {
    const factories = await Promise.allSettled(this.loaded.values())
    for (const result of factories) {
      if (result.status === 'fulfilled') await result.value.close?.()
    }
  }
}
