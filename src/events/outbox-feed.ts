/**
 * Every node's committed envelopes, in seq order, for the live outlets of a node that
 * shares its outbox with others (Postgres, API.md §10): SSE on any node streams every
 * session's events, wherever they were written.
 *
 * The outbox is the source of truth: the feed reads `seq > cursor` from it and hands the
 * rows on in order. Because sequence order is commit order (outbox.ts), such a read never
 * skips an envelope that commits later. What makes it read:
 * - a NOTIFY on `OUTBOX_CHANNEL`, sent by the writing transaction and delivered on commit
 *   (the wake-up; also on every re-LISTEN after the listening connection dropped);
 * - this node's own commits: when they continue the cursor exactly they are handed on at
 *   once, without a read (the fast path: no query for the common one-node case);
 * - a poll every `pollMs`, the fallback for a lost notification.
 */
import type { SQL } from 'bun'
import type { Logger } from '../lib/logger'
import type { DbInteger } from '../storage/db'
import { OUTBOX_CHANNEL, type Outbox, type OutboxEntry } from './outbox'

export type EntriesListener = (entries: OutboxEntry[]) => void

export interface OutboxFeedOptions {
  /** How often the outbox is read even without a notification. */
  pollMs: number
  /** false: no LISTEN, the poll alone (how the fallback is tested). Default true. */
  notifications?: boolean
}

const READ_BATCH = 500

export class OutboxFeed {
  private readonly listeners: EntriesListener[] = []
  private cursor = 0
  private reading: Promise<void> | null = null
  private again = false
  private running = false
  private pollTimer?: ReturnType<typeof setInterval>
  private subscription?: SQL.ListenSubscription

  constructor(
    private readonly db: SQL,
    private readonly outbox: Outbox,
    private readonly options: OutboxFeedOptions,
    private readonly logger: Logger,
  ) {}

  onEntries(listener: EntriesListener): void {
    this.listeners.push(listener)
  }

  /** The highest seq handed on so far. */
  get position(): number {
    return this.cursor
  }

  async start(): Promise<void> {
    if (this.running) return
    this.running = true
    const rows: { max: DbInteger | null }[] = await this.db`SELECT MAX(seq) AS max FROM outbox`
    this.cursor = Number(rows[0]?.max ?? 0)
    this.outbox.onCommitted(({ entries }) => this.local(entries))
    if (this.options.notifications !== false) this.subscription = await this.db.listen(
      OUTBOX_CHANNEL,
      () => this.wake(),
      // After a reconnect notifications may have been missed: read what is there.
      () => this.wake(),
    )
    this.pollTimer = setInterval(() => this.wake(), this.options.pollMs)
  }

  async stop(): Promise<void> {
    this.running = false
    clearInterval(this.pollTimer)
    await this.subscription?.unlisten().catch(() => undefined)
    await this.reading
  }

  /** Reads the outbox after the cursor, now (and once more if asked again while reading). */
  wake(): Promise<void> {
    if (!this.running) return Promise.resolve()
    if (this.reading) {
      this.again = true
      return this.reading
    }
    this.reading = this.readAll().finally(() => {
      this.reading = null
      if (this.again) {
        this.again = false
        void this.wake()
      }
    })
    return this.reading
  }

  private local(entries: OutboxEntry[]): void {
    if (!this.running || entries.length === 0) return
    if (!this.reading && entries[0]!.seq === this.cursor + 1) {
      this.hand(entries)
      return
    }
    void this.wake()
  }

  private async readAll(): Promise<void> {
    try {
      for (;;) {
        const batch = await this.outbox.replay(null, this.cursor, READ_BATCH)
        if (batch.length > 0) this.hand(batch)
        if (batch.length < READ_BATCH || !this.running) return
      }
    } catch (error) {
      this.logger.error({ err: error }, 'could not read the shared outbox; the next poll tries again')
    }
  }

  private hand(entries: OutboxEntry[]): void {
    const fresh = entries.filter((entry) => entry.seq > this.cursor)
    if (fresh.length === 0) return
    this.cursor = fresh.at(-1)!.seq
    this.outbox.observe(this.cursor)
    for (const listener of this.listeners) {
      try {
        listener(fresh)
      } catch (error) {
        this.logger.error({ err: error }, 'outbox feed listener failed')
      }
    }
  }
}
