/**
 * The in-process event bus: every engine event of every session passes through here,
 * tagged with its session, and fans out to the outlets (outbox, webhooks, SSE, stores).
 */
import type { EngineName } from '../config'
import type { Me, EngineEvent } from '../providers/engine'

export interface SessionEvent {
  session: string
  engine: EngineName
  me?: Me
  /** Unix milliseconds when the server received the event. */
  receivedAt: number
  event: EngineEvent
}

export type SessionEventListener = (event: SessionEvent) => void | Promise<void>

export class EventBus {
  private readonly listeners = new Set<SessionEventListener>()

  constructor(private readonly onListenerError: (error: unknown, event: SessionEvent) => void = () => {}) {}

  subscribe(listener: SessionEventListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Delivers to every listener; one failing listener never keeps the event from the others. */
  publish(event: SessionEvent): void {
    for (const listener of this.listeners) {
      try {
        const result = listener(event)
        if (result instanceof Promise) result.catch((error) => this.onListenerError(error, event))
      } catch (error) {
        this.onListenerError(error, event)
      }
    }
  }
}
