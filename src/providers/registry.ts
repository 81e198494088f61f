/**
 * The one door through which an engine enters the server. `ENGINES` lists every engine's
 * definition (its folder's `definition.ts`): its name, its envelope name, its settings
 * section, how it loads and how it reads HTTP callbacks. Adding an engine is one folder
 * under src/providers/ and one line in that list; config.ts, the event envelopes, the
 * composition root and the callback routes all ask the registry.
 *
 * Engines load lazily, so a server that only runs the simulator never loads
 * whatsapp-web.js, a browser or the WAHA client.
 */
import { NotSupportedError } from '../lib/errors'
import type { CallbackDecoder, CallbackKind, EngineDefinition, EngineFactory, EngineHost, EngineName } from './engine'
import { simulatorEngine } from './simulator/definition'
import { wahaEngine } from './waha/definition'
import { webjsEngine } from './webjs/definition'

/** Every engine this server has, one line each. */
export const ENGINES = [webjsEngine, simulatorEngine, wahaEngine] as const

type BuiltinEngine = (typeof ENGINES)[number]
export type BuiltinEngineName = BuiltinEngine['name']

/** Each built-in engine's settings section, keyed by its name (`config.webjs`, `config.waha`, …). */
export type EngineSettingsSections = {
  [Definition in BuiltinEngine as Definition['name']]: Definition extends EngineDefinition<string, infer Settings> ? Settings : never
}

export type EngineLoader = () => Promise<EngineFactory>

export interface EngineRegistryOptions {
  /** The definitions config.ts read the settings of (ENGINES, or ENGINES plus test engines). */
  definitions: readonly EngineDefinition[]
  /** Each engine's settings section, by engine name (`config[name]`). */
  settingsOf(engine: EngineName): unknown
  host: EngineHost
  /** Replaces how an engine's factory is made (tests: the webjs engine on a fake Client). */
  loaders?: Partial<Record<EngineName, EngineLoader>>
}

export class EngineRegistry {
  private readonly definitions = new Map<EngineName, EngineDefinition>()
  private readonly loaded = new Map<EngineName, Promise<EngineFactory>>()
  private readonly decoders = new Map<EngineName, Promise<CallbackDecoder>>()

  constructor(private readonly options: EngineRegistryOptions) {
    for (const definition of options.definitions) {
      if (this.definitions.has(definition.name)) throw new Error(`Two engines are named ${definition.name}`)
      this.definitions.set(definition.name, definition)
    }
  }

  /** Every engine the registry holds, configured or not (a start on an unconfigured one answers 501). */
  get names(): EngineName[] {
    return [...this.definitions.keys()]
  }

  /** The engines sessions can run on here: the configured ones (waha needs WAHA_URL), and any a test put in. */
  get engines(): EngineName[] {
    return [...this.definitions.values()].filter((definition) => this.configured(definition)).map((definition) => definition.name)
  }

  /** The `engine` field of this engine's event envelopes. */
  envelopeName(engine: EngineName): string {
    return this.definitions.get(engine)?.envelopeName ?? engine.toUpperCase()
  }

  async get(engine: EngineName): Promise<EngineFactory> {
    let factory = this.loaded.get(engine)
    if (!factory) {
      factory = this.load(engine)
      this.loaded.set(engine, factory)
      // A failed load (missing browser, bad config) is retried on the next start.
      factory.catch(() => this.loaded.delete(engine))
    }
    return factory
  }

  /**
   * The schemas of one callback over the engines that receive callbacks, for the route's
   * validation and the API document: one schema per distinct engine schema.
   */
  callbackSchemas(kind: CallbackKind) {
    return [...new Set([...this.definitions.values()].flatMap((definition) => (definition.callbacks ? [definition.callbacks.schemas[kind]] : [])))]
  }

  /** The decoder of an engine's HTTP callbacks; undefined when the engine receives none. */
  async callbackDecoder(engine: EngineName): Promise<CallbackDecoder | undefined> {
    const callbacks = this.definitions.get(engine)?.callbacks
    if (!callbacks) return undefined
    let decoder = this.decoders.get(engine)
    if (!decoder) {
      decoder = callbacks.decoder()
      this.decoders.set(engine, decoder)
      decoder.catch(() => this.decoders.delete(engine))
    }
    return decoder
  }

  async close(): Promise<void> {
    const factories = await Promise.allSettled(this.loaded.values())
    for (const result of factories) {
      if (result.status === 'fulfilled') await result.value.close?.()
    }
  }

  private configured(definition: EngineDefinition): boolean {
    if (this.options.loaders?.[definition.name]) return true
    return definition.notConfigured?.(this.options.settingsOf(definition.name)) === undefined
  }

  private async load(engine: EngineName): Promise<EngineFactory> {
    const definition = this.definitions.get(engine)
    const override = this.options.loaders?.[engine]
    if (override) return override()
    if (!definition || !this.configured(definition)) throw new NotSupportedError(engine, 'sessions on this server (engine not configured)')
    return definition.load(this.options.settingsOf(engine), this.options.host)
  }
}
