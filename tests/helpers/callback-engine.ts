/**
 * A minimal engine that, like the `waha` engine, hears from WhatsApp only through
 * callbacks (`acceptExternalEvents`). Registered as the `waha` engine in tests of the WAHA
 * callback routes, so they run before (and independently of) the real waha engine. It
 * follows the reported status and re-emits every event, which is the contract the real
 * engine must keep.
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

class CallbackSession extends BaseEngineSession {
  readonly engine = 'waha' as const
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
    engine: 'waha',
    capabilities: new Set(),
    create: (context) => new CallbackSession(context),
  }
}
