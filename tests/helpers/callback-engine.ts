/**
 * A minimal engine that, like the `waha` engine, hears from WhatsApp only through
 * callbacks (`acceptExternalEvents`), under its own name: tests of the WAHA callback routes
 * register it (`callbackEngine`, with the waha engine's callback schemas and decoder) so
 * they run independently of the real waha engine and its client. It follows the reported
 * status and re-emits every event, which is the contract the real engine must keep.
 */
import {
  BaseEngineSession,
  type Capability,
  type Me,
  type EngineContext,
  type EngineEvent,
  type EngineFactory,
  type SessionSnapshot,
  type SessionStatus,
} from '../../src/providers/engine'
import { wahaEngine } from '../../src/providers/waha/definition'
import { testEngine } from './app'

export const CALLBACK_ENGINE = 'callback-fake'

class CallbackSession extends BaseEngineSession {
  readonly engine = CALLBACK_ENGINE
  readonly capabilities: ReadonlySet<Capability> = new Set()
  private status: SessionStatus = 'STOPPED'
  private me?: Me

  constructor(private readonly context: EngineContext) {
    super()
  }

  snapshot(): SessionSnapshot {
    return { status: this.status, ...(this.me && { me: this.me }) }
  }

  async start(): Promise<void> {
    this.status = 'STARTING'
    this.context.emit({ type: 'session.status', status: 'STARTING' })
  }

  async stop(): Promise<void> {
    this.status = 'STOPPED'
  }

  async logout(): Promise<void> {
    this.status = 'STOPPED'
    this.me = undefined
  }

  async acceptExternalEvents(events: EngineEvent[]): Promise<void> {
    for (const event of events) {
      if (event.type === 'session.status') {
        this.status = event.status
        if (event.me) this.me = event.me
      }
      this.context.emit(event)
    }
  }
}

export function callbackEngineFactory(): EngineFactory {
  return {
    engine: CALLBACK_ENGINE,
    capabilities: new Set(),
    create: (context) => new CallbackSession(context),
  }
}

/** The callback engine as a registry entry: WAHA's callbacks (schemas and decoder) reach its sessions. */
export function callbackEngine() {
  return testEngine(CALLBACK_ENGINE, callbackEngineFactory, wahaEngine.callbacks)
}
