/**
 * Engines under the engine contract: the simulator, and the webjs engine wired to the
 * typed fake whatsapp-web.js Client. Each harness opens a session with its own data
 * directory and auth store, can open a second instance on the same storage (what the
 * session manager does after a restart), and drives the "phone" side.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, type EngineName } from '../../src/config'
import type { WebjsSettings as WebjsConfig } from '../../src/providers/webjs/definition'
import { silentLogger } from '../../src/lib/logger'
import type { EngineContext, EngineEvent, EngineSession } from '../../src/providers/engine'
import { createSimulatorFactory, SimulatorNetwork } from '../../src/providers/simulator'
import { WebjsSession } from '../../src/providers/webjs/session'
import { FAKE_RUNTIME, FakeWhatsApp } from './webjs/fake-client'

export interface SessionHandle {
  engine: EngineSession
  events: EngineEvent[]
  dataDir: string
  /** A new engine on the same storage, as after a restart. */
  again(): SessionHandle
  /** The phone scans the pending QR (another number when `phone` is given). */
  scan(options?: { phone?: string; pushName?: string }): Promise<void>
  /** A text message arrives from an outside number. */
  incoming(from: string, text: string): Promise<void>
}

export interface EngineHarness {
  engine: EngineName
  open(phoneNumber: string): SessionHandle
  close(): Promise<void>
}

/** The webjs settings tests use: no probe unless a test turns it on, short deadlines. */
export function testWebjsSettings(overrides: Partial<WebjsConfig> = {}): WebjsConfig {
  return { ...loadConfig({}).webjs, healthIntervalMs: 0, destroyTimeoutMs: 200, initTimeoutMs: 5000, ...overrides }
}

function storage(phoneNumber: string, root: string) {
  const dataDir = join(root, phoneNumber)
  const auth = { value: undefined as string | undefined }
  return {
    dataDir,
    context(events: EngineEvent[]): EngineContext {
      return {
        phoneNumber,
        dataDir,
        authState: {
          load: async () => auth.value,
          save: async (state) => {
            auth.value = state
          },
          clear: async () => {
            auth.value = undefined
          },
        },
        emit: (event) => events.push(event),
      }
    },
  }
}

export function simulatorHarness(): EngineHarness {
  const root = mkdtempSync(join(tmpdir(), 'wws-contract-sim-'))
  const factory = createSimulatorFactory({ qrRefreshMs: 60_000, connectDelayMs: 0 }, new SimulatorNetwork())
  const open = (phoneNumber: string): SessionHandle => {
    const store = storage(phoneNumber, root)
    const make = (): SessionHandle => {
      const events: EngineEvent[] = []
      const engine = factory.create(store.context(events))
      return {
        engine,
        events,
        dataDir: store.dataDir,
        again: make,
        async scan(options = {}) {
          await engine.sandbox!.scan({ ...(options.phone && { phone: options.phone }), ...(options.pushName && { pushName: options.pushName }) })
        },
        async incoming(from, text) {
          await engine.sandbox!.incoming({ from, text })
        },
      }
    }
    return make()
  }
  return { engine: 'simulator', open, close: async () => rmSync(root, { recursive: true, force: true }) }
}

export interface WebjsHarness extends EngineHarness {
  /** The fake WhatsApp of the last opened number. */
  world: FakeWhatsApp
  settings: WebjsConfig
}

export function webjsHarness(overrides: Partial<WebjsConfig> = {}, logoutSettleMs?: number): WebjsHarness {
  const root = mkdtempSync(join(tmpdir(), 'wws-contract-webjs-'))
  const settings = testWebjsSettings(overrides)
  const harness: WebjsHarness = {
    engine: 'webjs',
    settings,
    world: new FakeWhatsApp(),
    open(phoneNumber) {
      const world = new FakeWhatsApp()
      harness.world = world
      const store = storage(phoneNumber, root)
      const make = (): SessionHandle => {
        const events: EngineEvent[] = []
        const engine = new WebjsSession(store.context(events), { createClient: world.factory, runtime: FAKE_RUNTIME, settings, logger: silentLogger, ...(logoutSettleMs !== undefined && { logoutSettleMs }) })
        return {
          engine,
          events,
          dataDir: store.dataDir,
          again: make,
          async scan(options = {}) {
            world.scan(options.phone ?? phoneNumber, options.pushName)
          },
          async incoming(from, text) {
            world.incoming({ from, body: text })
          },
        }
      }
      return make()
    },
    close: async () => rmSync(root, { recursive: true, force: true }),
  }
  return harness
}

/** Polls until the condition holds (engines report asynchronously). */
export async function until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(2)
  }
}
