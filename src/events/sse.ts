/**
 * Server-Sent Events from the outbox: one SSE event per envelope (`id:` = outbox seq,
 * `event:` = the event name, `data:` = the envelope JSON), keepalive comments, and
 * `Last-Event-ID` replay of what a reconnecting client missed.
 *
 * Fan-out never waits for a client: each subscriber has its own bounded buffer (the
 * stream's queue, measured in bytes). A subscriber whose buffer overflows because it
 * reads too slowly is closed; it reconnects with `Last-Event-ID` and replays from the
 * outbox, so it loses nothing and nobody else is held back.
 * (The stream is ended with `close()`, not `error()`: an errored stream makes Bun reset
 * the connection and log the error; a closed one simply ends once the client catches up.)
 */
import type { Logger } from '../lib/logger'
import type { Outbox, OutboxEntry } from './outbox'
import type { OutboxFeed } from './outbox-feed'

export interface SseOptions {
  keepaliveMs: number
  /** Bytes a subscriber may have waiting before it is dropped. */
  maxBufferBytes: number
  /** Reconnection delay suggested to EventSource clients. */
  retryMs?: number
}

export interface SubscribeOptions {
  /** Replay envelopes after this seq before going live. */
  lastEventId?: number
  /** Only these event names (default: all). */
  events?: readonly string[]
}

/**
 * Whether a many-session stream may carry a session's events, asked per envelope (the
 * caller's access is decided when the event happens: a number claimed or deleted while the
 * stream is open is seen as it is then). Throwing ends the stream: the credential is no
 * longer valid.
 */
export type SessionAccess = (session: string) => boolean | Promise<boolean>

/** The bySession key of streams that carry every session the caller may see. */
const EVERY_SESSION = '*'

const REPLAY_BATCH = 500
const encoder = new TextEncoder()

function frame(entry: OutboxEntry): Uint8Array {
  return encoder.encode(`id: ${entry.seq}\nevent: ${entry.event}\ndata: ${entry.body}\n\n`)
}

class Subscriber {
  /** The chain of envelopes waiting for an asynchronous access check, in order. */
  private access: Promise<void> = Promise.resolve()
  /** While replaying, live entries wait here so none is sent twice or out of order. */
  private pending: OutboxEntry[] | null = []
  private pendingBytes = 0
  private lastSent: number
  private closed = false
  private keepalive?: ReturnType<typeof setInterval>

  constructor(
    readonly session: string,
    private readonly controller: ReadableStreamDefaultController<Uint8Array>,
    private readonly filter: ReadonlySet<string> | null,
    lastEventId: number,
    private readonly options: SseOptions,
    private readonly onClose: (subscriber: Subscriber, dropReason?: string) => void,
    private readonly allows?: SessionAccess,
  ) {
    this.lastSent = lastEventId
  }

  get isClosed(): boolean {
    return this.closed
  }

  private queuedBytes(): number {
    const desired = this.controller.desiredSize
    return desired === null ? 0 : Math.max(0, -desired)
  }

  private write(chunk: Uint8Array): boolean {
    if (this.closed) return false
    if (this.queuedBytes() + chunk.byteLength > this.options.maxBufferBytes && this.queuedBytes() > 0) {
      this.drop('client reads too slowly')
      return false
    }
    try {
      this.controller.enqueue(chunk)
      return true
    } catch {
      this.close()
      return false
    }
  }

  private send(entry: OutboxEntry): void {
    if (entry.seq <= this.lastSent) return
    this.lastSent = entry.seq
    if (this.filter && !this.filter.has(entry.event)) return
    if (!this.allows) {
      this.write(frame(entry))
      return
    }
    const allowed = this.allows(entry.session)
    if (allowed === false) return
    if (allowed === true && this.accessPending === 0) {
      this.write(frame(entry))
      return
    }
    // An answer still to come keeps every later envelope behind it, so order holds.
    this.accessPending++
    this.access = this.access
      .then(async () => {
        if (!this.closed && (await allowed)) this.write(frame(entry))
      })
      // A check that throws means the caller lost access altogether (its key was revoked): the
      // stream ends, and the client's reconnect is answered 401.
      .catch(() => this.end())
      .finally(() => {
        this.accessPending--
      })
  }

  /** Envelopes whose access check has not answered yet. */
  private accessPending = 0

  start(): void {
    this.write(encoder.encode(`retry: ${this.options.retryMs ?? 3000}\n: connected\n\n`))
    this.keepalive = setInterval(() => this.write(encoder.encode(': keepalive\n\n')), this.options.keepaliveMs)
  }

  /** Sends what the outbox holds after `lastSent`, then whatever arrived live meanwhile. */
  async replay(outbox: Outbox): Promise<void> {
    for (;;) {
      const batch = await outbox.replay(this.session === EVERY_SESSION ? null : this.session, this.lastSent, REPLAY_BATCH)
      for (const entry of batch) {
        // A large backlog waits for the client to drain instead of overflowing it.
        while (!this.closed && this.queuedBytes() > this.options.maxBufferBytes / 2) await Bun.sleep(5)
        if (this.closed) return
        this.send(entry)
      }
      if (batch.length < REPLAY_BATCH) break
    }
    this.goLive()
  }

  goLive(): void {
    const waiting = this.pending ?? []
    this.pending = null
    this.pendingBytes = 0
    for (const entry of waiting) this.send(entry)
  }

  deliver(entry: OutboxEntry): void {
    if (this.closed) return
    if (this.pending) {
      this.pending.push(entry)
      this.pendingBytes += entry.body.length
      if (this.pendingBytes > this.options.maxBufferBytes) this.drop('client fell behind during replay')
      return
    }
    this.send(entry)
  }

  /**
   * Stops sending to this client: nothing more is queued, and the stream ends after what
   * is already waiting (bounded by maxBufferBytes). The client sees the end, reconnects
   * with the last id it got, and replays the rest from the outbox.
   */
  drop(reason: string): void {
    if (this.closed) return
    try {
      this.controller.close()
    } catch {
      // already closed
    }
    this.close(reason)
  }

  /** Ends the stream after what is queued. */
  end(): void {
    if (this.closed) return
    try {
      this.controller.close()
    } catch {
      // already closed
    }
    this.close()
  }

  close(dropReason?: string): void {
    if (this.closed) return
    this.closed = true
    clearInterval(this.keepalive)
    this.pending = null
    this.onClose(this, dropReason)
  }
}

export class SseHub {
  private readonly bySession = new Map<string, Set<Subscriber>>()
  /** Subscribers dropped since boot (too slow, or a failed replay). */
  dropped = 0

  constructor(
    private readonly outbox: Outbox,
    private readonly options: SseOptions,
    private readonly logger: Logger,
    /** On an outbox shared by several nodes: every node's envelopes, in seq order (else this node's commits). */
    feed?: OutboxFeed,
  ) {
    if (feed) feed.onEntries((entries) => this.publish(entries))
    else outbox.onCommitted(({ entries }) => this.publish(entries))
  }

  subscriberCount(session?: string): number {
    if (session !== undefined) return this.bySession.get(session)?.size ?? 0
    let total = 0
    for (const set of this.bySession.values()) total += set.size
    return total
  }

  private publish(entries: readonly OutboxEntry[]): void {
    const everySession = this.bySession.get(EVERY_SESSION)
    for (const entry of entries) {
      for (const subscriber of this.bySession.get(entry.session) ?? []) subscriber.deliver(entry)
      for (const subscriber of everySession ?? []) subscriber.deliver(entry)
    }
  }

  /** A `text/event-stream` response with the envelopes of every session `allows` admits, in outbox order. */
  openMany(allows: SessionAccess, options: SubscribeOptions = {}): Response {
    return this.open(EVERY_SESSION, options, allows)
  }

  /** A `text/event-stream` response for one session's envelopes. */
  open(session: string, options: SubscribeOptions = {}, allows?: SessionAccess): Response {
    const filter = options.events && options.events.length > 0 && !options.events.includes('*') ? new Set(options.events) : null
    let subscriber: Subscriber | undefined
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          subscriber = new Subscriber(session, controller, filter, options.lastEventId ?? 0, this.options, (closed, dropReason) => {
            const set = this.bySession.get(closed.session)
            set?.delete(closed)
            if (set?.size === 0) this.bySession.delete(closed.session)
            if (dropReason !== undefined) {
              this.dropped++
              this.logger.warn({ session, reason: dropReason }, 'SSE subscriber dropped; it can reconnect with Last-Event-ID')
            }
          }, allows)
          const set = this.bySession.get(session) ?? new Set<Subscriber>()
          set.add(subscriber)
          this.bySession.set(session, set)
          subscriber.start()
          if (options.lastEventId === undefined) {
            subscriber.goLive()
          } else {
            const current = subscriber
            current.replay(this.outbox).catch((error: unknown) => {
              this.logger.error({ err: error, session }, 'SSE replay failed')
              current.drop('replay failed')
            })
          }
        },
        cancel: () => subscriber?.close(),
      },
      // Size in bytes with no high-water mark: desiredSize is minus the bytes not yet taken by the socket.
      { highWaterMark: 0, size: (chunk) => chunk?.byteLength ?? 0 },
    )
    return new Response(stream, {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      },
    })
  }

  /** Ends every stream of a session (it was deleted). */
  closeSession(session: string): void {
    for (const subscriber of [...(this.bySession.get(session) ?? [])]) subscriber.end()
  }

  close(): void {
    for (const set of [...this.bySession.values()]) for (const subscriber of [...set]) subscriber.end()
  }
}
