/**
 * Where engine events become durable. Every event on the bus is processed in arrival
 * order by every registered hook (the message store, the outbox…) inside ONE unit of
 * work, so a message is never stored without its event or vice versa. After the commit,
 * `afterCommit` listeners run (wake the webhook deliverer, push SSE).
 *
 * Group commit: events that queue up while a transaction is being written are taken
 * together in the next transaction, each inside its own SAVEPOINT. An event whose hooks
 * fail rolls back to its savepoint alone (the others commit); the whole group shares one
 * COMMIT, i.e. one fsync. A single event costs what it always did, and a burst costs one
 * fsync per group instead of one per event, so ingest keeps up however slow the disk's
 * fsync is.
 *
 * On Postgres, other transactions run beside this one on their own connections; when one
 * of them deadlocks with an event, Postgres aborts one side. When it is the event's, the
 * event is written again (its savepoint, or its lone transaction) rather than lost.
 */
import type { SQL, TransactionSQL } from 'bun'
import type { Logger } from '../lib/logger'
import { CONFLICT_ATTEMPTS, isTransientConflict } from '../storage/db'
import type { EventBus, SessionEvent } from './bus'

/** Runs inside the event's transaction (a savepoint of it); throwing rolls the whole event back. */
export type IngestHook = (tx: SQL, event: SessionEvent) => Promise<void>
export type AfterCommitListener = (event: SessionEvent) => void
/** Runs first in the event's transaction: throws when the writer may no longer write for the event's session (cluster fencing). */
export type IngestFence = (tx: SQL, session: string) => Promise<void>

/** Events written in one transaction at most. */
const MAX_GROUP = 256

/** How many message events `messageStored` remembers after their commit (a send looks its own up moments later). */
const REMEMBERED_MESSAGES = 4096

interface Pending {
  event: SessionEvent
  /** Called once the event's group is written: true when the event is committed, false when it failed. */
  done: (stored: boolean) => void
}

export class EventIngest {
  private readonly hooks: IngestHook[] = []
  private readonly afterCommit: AfterCommitListener[] = []
  private readonly queue: Pending[] = []
  /** Outcome of each recent `message` event, by session and message id, oldest first. */
  private readonly messages = new Map<string, Promise<boolean>>()
  private draining = false
  private tail: Promise<void> = Promise.resolve()
  private unsubscribe?: () => void
  private fence?: IngestFence

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

  /**
   * In a cluster: every event's writes first check, in the same transaction, that this node
   * still holds the session's lease at its epoch; an event from an engine that lost it is
   * not stored (its savepoint rolls back alone).
   */
  fenceWith(fence: IngestFence): void {
    this.fence = fence
  }

  onCommitted(listener: AfterCommitListener): void {
    this.afterCommit.push(listener)
  }

  /** Queues one event; resolves once it is committed (or failed and logged). */
  ingest(event: SessionEvent): Promise<void> {
    const outcome = new Promise<boolean>((resolve) => this.queue.push({ event, done: resolve }))
    if (event.event.type === 'message') this.remember(messageKey(event.session, event.event.message.id), outcome)
    const result = outcome.then(() => undefined)
    this.tail = result
    if (!this.draining) void this.drain()
    return result
  }

  /**
   * Whether the engine's `message` event for this message was committed (message and its
   * envelopes in one transaction): resolves true once it is, false when it failed.
   * Undefined when no such event reached the ingest (lately): the engine reports its
   * sends late or not at all, and the caller must store the message itself. This lets a
   * send wait for its own commit, in the group with everyone else's, and not for the
   * whole queue.
   */
  messageStored(session: string, messageId: string): Promise<boolean> | undefined {
    return this.messages.get(messageKey(session, messageId))
  }

  private remember(key: string, outcome: Promise<boolean>): void {
    this.messages.delete(key)
    this.messages.set(key, outcome)
    if (this.messages.size > REMEMBERED_MESSAGES) this.messages.delete(this.messages.keys().next().value!)
  }

  /** Resolves when every event queued so far is processed. */
  idle(): Promise<void> {
    return this.tail
  }

  async close(): Promise<void> {
    this.unsubscribe?.()
    await this.tail
  }

  private async drain(): Promise<void> {
    this.draining = true
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, MAX_GROUP)
        const committed = await this.write(group)
        const stored = new Set(committed)
        for (const { event } of committed) {
          for (const listener of this.afterCommit) {
            try {
              listener(event)
            } catch (error) {
              this.logger.error({ err: error, session: event.session }, 'after-commit listener failed')
            }
          }
        }
        for (const pending of group) pending.done(stored.has(pending))
      }
    } finally {
      this.draining = false
    }
  }

  /** Writes a group; returns the events that are committed, in order. */
  private async write(group: Pending[]): Promise<Pending[]> {
    if (this.hooks.length === 0) return group
    for (let attempt = 1; ; attempt++) {
      const stored: Pending[] = []
      try {
        await this.db.begin(async (tx) => {
          for (const pending of group) {
            try {
              // A lone event needs no savepoint: its failure rolls back the transaction it alone is in.
              if (group.length === 1) await this.runHooks(tx, pending.event)
              else await this.inSavepoint(tx, pending.event)
              stored.push(pending)
            } catch (error) {
              if (group.length === 1) throw error
              this.logFailure(error, pending.event)
            }
          }
        })
        return stored
      } catch (error) {
        if (group.length === 1 && isTransientConflict(error) && attempt < CONFLICT_ATTEMPTS) continue
        // The group's commit failed (or its only event did): none of it is stored.
        for (const pending of group.length === 1 ? group : group.filter((p) => stored.includes(p))) this.logFailure(error, pending.event)
        return []
      }
    }
  }

  /** One event of a group in its savepoint; again when it lost a deadlock (the rollback to the savepoint freed its rows). */
  private async inSavepoint(tx: TransactionSQL, event: SessionEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await tx.savepoint((savepoint) => this.runHooks(savepoint, event))
        return
      } catch (error) {
        if (!isTransientConflict(error) || attempt >= CONFLICT_ATTEMPTS) throw error
      }
    }
  }

  private async runHooks(tx: SQL, event: SessionEvent): Promise<void> {
    if (this.fence) await this.fence(tx, event.session)
    for (const hook of this.hooks) await hook(tx, event)
  }

  private logFailure(error: unknown, event: SessionEvent): void {
    this.logger.error({ err: error, session: event.session, event: event.event.type }, 'event could not be stored')
  }
}

function messageKey(session: string, messageId: string): string {
  return `${session}\u0000${messageId}`
}
