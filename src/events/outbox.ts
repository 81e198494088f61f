/**
 * The durable outbox. An ingest hook turns each bus event into envelopes and writes them,
 * with one delivery row per matching webhook, in the SAME transaction as the message
 * store's update (src/events/ingest.ts). Only after the commit are the envelopes handed
 * to the outlets (webhook deliverer, SSE), so nothing is sent that could still roll back,
 * and nothing committed is lost: after a crash the deliverer finds the pending rows and
 * SSE clients replay from `seq`.
 *
 * `seq` is a global, strictly increasing sequence; it is the SSE `id:` and the order of
 * replay. On SQLite this (single) writer assigns it in memory: a rolled-back event leaves a
 * gap, never a repeat. At boot it continues after the highest seq ever handed out: the
 * newest stored one, or the high-water mark kept in `settings` by whatever deletes
 * envelopes (retention, a deleted session), so a restart after everything was pruned never
 * hands out an id a client has already seen (its Last-Event-ID would then hide the new events).
 *
 * On a shared Postgres (several nodes, API.md §10) every node's writes take the numbers from
 * one counter row (`outbox_sequence`), whose row lock the writing transaction holds until it
 * commits. So a transaction that gets a higher seq commits after every one that got a lower
 * seq, and a reader that polls `seq > last` never skips an envelope that commits later with
 * a smaller seq (tests/cluster/outbox-order.test.ts). The counter rolls back with the
 * transaction, so no gaps are left either. The same transaction NOTIFYs `OUTBOX_CHANNEL`
 * (delivered on commit) to wake the other nodes' SSE (outbox-feed.ts), and inserts its
 * webhook deliveries already claimed by this node (deliverer.ts).
 */
import type { SQL } from 'bun'
import type { EventName } from '../providers/engine'
import type { SessionEvent } from './bus'
import { matchesFilter, StatusHistory, toEnvelopes, type EnvelopeOptions } from './envelope'
import type { EventIngest } from './ingest'
import type { WebhookStore } from './webhook-store'
import { transaction, type DbInteger } from '../storage/db'

export interface OutboxEntry {
  seq: number
  id: string
  session: string
  event: EventName
  createdAt: number
  /** The envelope's JSON, exactly the bytes sent to webhooks and SSE. */
  body: string
}

export interface NewDelivery {
  webhookId: string
  entry: OutboxEntry
}

export interface Committed {
  entries: OutboxEntry[]
  deliveries: NewDelivery[]
}

export type CommittedListener = (committed: Committed) => void

interface OutboxRow {
  seq: DbInteger
  id: string
  session: string
  event: string
  created_at: DbInteger
  body: string
}

/** `settings` row holding the highest seq handed out before envelopes were deleted. */
export const SEQ_HIGH_WATER = 'outbox.seq_high_water'

/** The NOTIFY channel a committed outbox write signals on (payload: its highest seq). */
export const OUTBOX_CHANNEL = 'wws_outbox'

/**
 * The outbox on a database that several nodes share (Postgres): who this node is, and how
 * long a webhook delivery it inserted stays claimed by it before another node may take it.
 */
export interface SharedOutbox {
  nodeId: string
  claimTtlMs: number
}

/** Now on the database's clock, in epoch ms (Postgres): claims compare against one clock, not each node's. */
export const DB_NOW_MS = `CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)`

function toEntry(row: OutboxRow): OutboxEntry {
  return { seq: Number(row.seq), id: row.id, session: row.session, event: row.event as EventName, createdAt: Number(row.created_at), body: row.body }
}

export class Outbox {
  private nextSeq = 1
  private readonly staged = new WeakMap<SessionEvent, Committed>()
  private readonly listeners: CommittedListener[] = []
  private readonly statuses = new StatusHistory()

  constructor(
    private readonly db: SQL,
    private readonly webhooks: WebhookStore,
    private readonly options: EnvelopeOptions,
    /** Set when other nodes write to the same outbox (Postgres). */
    private readonly shared?: SharedOutbox,
  ) {}

  get isShared(): boolean {
    return this.shared !== undefined
  }

  /** Reads where the sequence stands and starts taking events from the ingest. */
  async attach(ingest: EventIngest): Promise<void> {
    const rows: { max: DbInteger | null }[] = await this.db`SELECT MAX(seq) AS max FROM outbox`
    const mark: { value: string }[] = await this.db`SELECT value FROM settings WHERE name = ${SEQ_HIGH_WATER}`
    const highest = Math.max(Number(rows[0]?.max ?? 0), Number(mark[0]?.value ?? 0))
    if (this.shared) {
      // The counter only ever grows: a node booting beside running ones never moves it back.
      await this.db`
        INSERT INTO outbox_sequence (id, last_seq) VALUES (1, ${highest})
        ON CONFLICT (id) DO UPDATE SET last_seq = excluded.last_seq WHERE outbox_sequence.last_seq < excluded.last_seq`
      const counter: { last_seq: DbInteger }[] = await this.db`SELECT last_seq FROM outbox_sequence WHERE id = 1`
      this.nextSeq = Number(counter[0]?.last_seq ?? highest) + 1
    } else {
      this.nextSeq = highest + 1
    }
    ingest.addHook((tx, event) => this.write(tx, event))
    ingest.onCommitted((event) => this.committed(event))
  }

  onCommitted(listener: CommittedListener): void {
    this.listeners.push(listener)
  }

  /** The newest sequence number handed out so far (0 when the outbox is empty); on a shared outbox, the newest this node wrote or read. */
  get lastSeq(): number {
    return this.nextSeq - 1
  }

  /** A shared outbox's envelopes were seen up to `seq` (written by another node). */
  observe(seq: number): void {
    if (seq >= this.nextSeq) this.nextSeq = seq + 1
  }

  /** The first of `count` new sequence numbers. */
  private async takeSeqs(tx: SQL, count: number): Promise<number> {
    if (!this.shared) {
      const first = this.nextSeq
      this.nextSeq += count
      return first
    }
    // The row lock taken here is held until this transaction ends: the cluster's outbox writes commit in seq order.
    const rows: { last_seq: DbInteger }[] = await tx`UPDATE outbox_sequence SET last_seq = last_seq + ${count} WHERE id = 1 RETURNING last_seq`
    const last = Number(rows[0]!.last_seq)
    this.observe(last)
    return last - count + 1
  }

  private async write(tx: SQL, event: SessionEvent): Promise<void> {
    const envelopes = toEnvelopes(event, this.options, this.statuses)
    if (envelopes.length === 0) return
    const committed: Committed = { entries: [], deliveries: [] }
    const now = Date.now()
    const targets = [...this.webhooks.activeFor(event.session)]
    let seq = await this.takeSeqs(tx, envelopes.length)
    for (const envelope of envelopes) {
      const entry: OutboxEntry = {
        seq: seq++,
        id: envelope.id,
        session: envelope.session,
        event: envelope.event,
        createdAt: envelope.timestamp,
        body: JSON.stringify(envelope),
      }
      await tx`INSERT INTO outbox (seq, id, session, event, created_at, body)
               VALUES (${entry.seq}, ${entry.id}, ${entry.session}, ${entry.event}, ${entry.createdAt}, ${entry.body})`
      committed.entries.push(entry)
      for (const webhook of targets) {
        if (!matchesFilter(webhook.events, entry.event)) continue
        if (this.shared) {
          // Claimed by this node from the start: it sends it at once, and no other node takes it unless this one dies.
          await tx.unsafe(
            `INSERT INTO webhook_deliveries (webhook_id, seq, session, state, attempts, next_attempt_at, attempt_log, created_at, updated_at, claimed_by, claimed_until)
             VALUES ($1, $2, $3, 'pending', 0, $4, '[]', $4, $4, $5, ${DB_NOW_MS} + $6)`,
            [webhook.id, entry.seq, entry.session, now, this.shared.nodeId, this.shared.claimTtlMs],
          )
        } else {
          await tx`INSERT INTO webhook_deliveries (webhook_id, seq, session, state, attempts, next_attempt_at, attempt_log, created_at, updated_at)
                   VALUES (${webhook.id}, ${entry.seq}, ${entry.session}, 'pending', 0, ${now}, '[]', ${now}, ${now})`
        }
        committed.deliveries.push({ webhookId: webhook.id, entry })
      }
    }
    if (this.shared) await tx`SELECT pg_notify(${OUTBOX_CHANNEL}, ${String(seq - 1)})`
    this.staged.set(event, committed)
  }

  private committed(event: SessionEvent): void {
    const committed = this.staged.get(event)
    if (!committed) return
    this.staged.delete(event)
    for (const listener of this.listeners) listener(committed)
  }

  /** A session's envelopes after `afterSeq` (every session's with `null`), oldest first. */
  async replay(session: string | null, afterSeq: number, limit: number): Promise<OutboxEntry[]> {
    const rows: OutboxRow[] =
      session === null
        ? await this.db`
            SELECT seq, id, session, event, created_at, body FROM outbox
            WHERE seq > ${afterSeq} ORDER BY seq LIMIT ${limit}`
        : await this.db`
            SELECT seq, id, session, event, created_at, body FROM outbox
            WHERE session = ${session} AND seq > ${afterSeq} ORDER BY seq LIMIT ${limit}`
    return rows.map(toEntry)
  }

  /**
   * Deletes envelopes older than `cutoff` (ms) whose deliveries are all finished, with
   * those delivery records. Pending deliveries keep their envelope, however old.
   */
  async prune(cutoff: number): Promise<number> {
    const rows: { boundary: DbInteger | null }[] = await this.db`SELECT MAX(seq) AS boundary FROM outbox WHERE created_at < ${cutoff}`
    if (rows[0]?.boundary === null || rows[0]?.boundary === undefined) return 0
    const boundary = Number(rows[0].boundary)
    return transaction(this.db, async (tx) => {
      await this.keepHighWater(tx)
      await tx`DELETE FROM webhook_deliveries WHERE seq <= ${boundary} AND state <> 'pending'`
      const deleted: { seq: DbInteger }[] = await tx`
        DELETE FROM outbox WHERE seq <= ${boundary}
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.seq = outbox.seq)
        RETURNING seq`
      return deleted.length
    })
  }

  /** Records the highest seq handed out so far, in the transaction that deletes envelopes; it only ever grows. */
  private async keepHighWater(tx: SQL): Promise<void> {
    await tx`
      INSERT INTO settings (name, value) VALUES (${SEQ_HIGH_WATER}, ${String(this.lastSeq)})
      ON CONFLICT (name) DO UPDATE SET value = CASE
        WHEN CAST(excluded.value AS BIGINT) > CAST(settings.value AS BIGINT) THEN excluded.value ELSE settings.value END`
  }

  /** Forgets a deleted session's events, so whoever claims the number next cannot replay them. */
  async deleteSession(session: string): Promise<void> {
    await transaction(this.db, async (tx) => {
      await this.keepHighWater(tx)
      await tx`DELETE FROM webhook_deliveries WHERE seq IN (SELECT seq FROM outbox WHERE session = ${session})`
      await tx`DELETE FROM outbox WHERE session = ${session}`
    })
    this.statuses.forget(session)
  }
}
