/**
 * Where provider events become durable. Every event on the bus is processed in arrival
 * order, inside ONE database transaction shared by every registered hook (the message
 * store, the outbox…), so a message is never stored without its event or vice versa.
 * After the commit, `afterCommit` listeners run (wake the webhook deliverer, push SSE).
 */
import type { SQL } from 'bun'
import type { Logger } from '../lib/logger'
import type { EventBus, SessionEvent } from './bus'

/** Runs inside the ingest transaction; throwing rolls the whole event back. */
export type IngestHook = (tx: SQL, event: SessionEvent) => Promise<void>
export type AfterCommitListener = (event: SessionEvent) => void

export class EventIngest {
  private readonly hooks: IngestHook[] = []
  private readonly afterCommit: AfterCommitListener[] = []
  private tail: Promise<void> = Promise.resolve()
  private unsubscribe?: () => void

  constructor(
    private readonly db: SQL,
    private readonly logger: Logger,
  ) {}

  /** Starts taking events from the bus. */
  attach(bus: EventBus): void {
    this.unsubscribe = bus.subscribe((event) => {
      void this.ingest(event)
    })
  }

  addHook(hook: IngestHook): void {
    this.hooks.push(hook)
  }

  onCommitted(listener: AfterCommitListener): void {
    this.afterCommit.push(listener)
  }

  /** Queues one event; resolves once it is committed (or failed and logged). */
  ingest(event: SessionEvent): Promise<void> {
    const run = async () => {
      if (this.hooks.length > 0) {
        await this.db.begin(async (tx) => {
          for (const hook of this.hooks) await hook(tx, event)
        })
      }
      for (const listener of this.afterCommit) {
        try {
          listener(event)
        } catch (error) {
          this.logger.error({ err: error, session: event.session }, 'after-commit listener failed')
        }
      }
    }
    const result = this.tail.then(run).catch((error: unknown) => {
      this.logger.error({ err: error, session: event.session, event: event.event.type }, 'event could not be stored')
    })
    this.tail = result
    return result
  }

  /** Resolves when every event queued so far is processed. */
  idle(): Promise<void> {
    return this.tail
  }

  async close(): Promise<void> {
    this.unsubscribe?.()
    await this.tail
  }
}
