/**
 * Webhook subscriptions: persisted in `webhooks`, mirrored in memory so the outbox can fan
 * an event out without a query per event. Every change goes through here, so the mirror
 * never disagrees with the table.
 *
 * When several nodes share the database (`share()`, Postgres), a change made on one node
 * is announced on `WEBHOOKS_CHANNEL` after its commit, and every node (this one too) reads
 * the table again: a session taken over by another node fans out to the same webhooks,
 * and a node claiming a delivery knows its endpoint.
 */
import type { SQL } from 'bun'
import { transaction, type DbInteger } from '../storage/db'

export type WebhookStatus = 'active' | 'disabled'
/** `waha`: from a WAHA session's `config.webhooks[]`, delivered in WAHA's envelope and headers. */
export type WebhookSource = 'api' | 'config' | 'waha'

export interface WebhookRecord {
  id: string
  /** The session it belongs to; null for the configured default webhook (every session). */
  session: string | null
  /** The account that created it (null: admin or configuration). */
  accountId: string | null
  source: WebhookSource
  url: string
  events: string[]
  headers: Record<string, string>
  secret: string | null
  /** The secret being rotated out: deliveries are signed with it too until `previousSecretUntil` (ms). */
  previousSecret: string | null
  previousSecretUntil: number | null
  /** Key for WAHA's `X-Webhook-Hmac`; the secret is used when unset. */
  hmacKey: string | null
  /** WAHA's session `config.metadata`, sent in the envelope of `waha` webhooks. */
  metadata?: Record<string, unknown> | null
  status: WebhookStatus
  disabledReason: string | null
  disabledAt: number | null
  /** Start of the current run of failures (null after a success). */
  failingSince: number | null
  lastSuccessAt: number | null
  createdAt: number
  updatedAt: number
}

interface WebhookRow {
  id: string
  session: string | null
  account_id: string | null
  source: string
  url: string
  events: string
  headers: string
  secret: string | null
  previous_secret?: string | null
  previous_secret_until?: DbInteger | null
  hmac_key: string | null
  metadata?: string | null
  status: string
  disabled_reason: string | null
  disabled_at: DbInteger | null
  failing_since: DbInteger | null
  last_success_at: DbInteger | null
  created_at: DbInteger
  updated_at: DbInteger
}

const num = (value: DbInteger | null): number | null => (value === null ? null : Number(value))

function toRecord(row: WebhookRow): WebhookRecord {
  return {
    id: row.id,
    session: row.session,
    accountId: row.account_id,
    source: row.source === 'config' || row.source === 'waha' ? row.source : 'api',
    url: row.url,
    events: JSON.parse(row.events) as string[],
    headers: JSON.parse(row.headers) as Record<string, string>,
    secret: row.secret,
    previousSecret: row.previous_secret ?? null,
    previousSecretUntil: num(row.previous_secret_until ?? null),
    hmacKey: row.hmac_key,
    metadata: row.metadata ? (JSON.parse(row.metadata) as Record<string, unknown>) : null,
    status: row.status === 'disabled' ? 'disabled' : 'active',
    disabledReason: row.disabled_reason,
    disabledAt: num(row.disabled_at),
    failingSince: num(row.failing_since),
    lastSuccessAt: num(row.last_success_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}

export const DEFAULT_WEBHOOK_ID = 'default'

/** The NOTIFY channel announcing that the `webhooks` table changed. */
export const WEBHOOKS_CHANNEL = 'wws_webhooks'

export interface EndpointHealth {
  failingSince: number | null
  lastSuccessAt: number | null
}

export class WebhookStore {
  private readonly byId = new Map<string, WebhookRecord>()
  private subscription?: SQL.ListenSubscription

  constructor(private readonly db: SQL) {}

  async load(): Promise<void> {
    const rows: WebhookRow[] = await this.db`SELECT * FROM webhooks`
    this.byId.clear()
    for (const row of rows) this.byId.set(row.id, toRecord(row))
  }

  /** Other nodes change the table too (Postgres): follow their changes, and announce ours. */
  async share(onError: (error: unknown) => void): Promise<void> {
    const reload = () => void this.load().catch(onError)
    this.subscription = await this.db.listen(WEBHOOKS_CHANNEL, reload, reload)
  }

  async unshare(): Promise<void> {
    await this.subscription?.unlisten().catch(() => undefined)
    this.subscription = undefined
  }

  /** After a committed change: every sharing node reloads. */
  private async announce(): Promise<void> {
    if (this.subscription) await this.db.notify(WEBHOOKS_CHANNEL).catch(() => undefined)
  }

  get(id: string): WebhookRecord | undefined {
    return this.byId.get(id)
  }

  /** The webhooks of one session (not the global default), oldest first. */
  listForSession(session: string): WebhookRecord[] {
    return [...this.byId.values()].filter((w) => w.session === session).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
  }

  countForSession(session: string): number {
    let count = 0
    for (const webhook of this.byId.values()) if (webhook.session === session) count++
    return count
  }

  /** Active webhooks that receive a session's events: its own and the global default. */
  *activeFor(session: string): Iterable<WebhookRecord> {
    for (const webhook of this.byId.values()) {
      if (webhook.status === 'active' && (webhook.session === session || webhook.session === null)) yield webhook
    }
  }

  async insert(record: WebhookRecord): Promise<void> {
    // In a transaction of its own: on SQLite, Bun.SQL runs a plain statement issued while another
    // transaction is open (the ingest's) inside that one, and it would share its fate.
    await this.db.begin((tx) => tx`
      INSERT INTO webhooks (id, session, account_id, source, url, events, headers, secret, hmac_key, metadata, status,
        disabled_reason, disabled_at, failing_since, last_success_at, created_at, updated_at)
      VALUES (${record.id}, ${record.session}, ${record.accountId}, ${record.source}, ${record.url}, ${JSON.stringify(record.events)},
        ${JSON.stringify(record.headers)}, ${record.secret}, ${record.hmacKey}, ${record.metadata ? JSON.stringify(record.metadata) : null}, ${record.status}, ${record.disabledReason},
        ${record.disabledAt}, ${record.failingSince}, ${record.lastSuccessAt}, ${record.createdAt}, ${record.updatedAt})`)
    this.byId.set(record.id, { ...record })
    await this.announce()
  }

  /** Creates or replaces the configured default webhook (re-enabled: the configuration is the source of truth). */
  async upsertDefault(config: { url: string; events: string[]; secret?: string }): Promise<WebhookRecord> {
    const now = Date.now()
    const existing = this.byId.get(DEFAULT_WEBHOOK_ID)
    const record: WebhookRecord = {
      id: DEFAULT_WEBHOOK_ID,
      session: null,
      accountId: null,
      source: 'config',
      url: config.url,
      events: config.events,
      headers: {},
      secret: config.secret ?? null,
      previousSecret: null,
      previousSecretUntil: null,
      hmacKey: null,
      status: 'active',
      disabledReason: null,
      disabledAt: null,
      failingSince: null,
      lastSuccessAt: existing?.lastSuccessAt ?? null,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    }
    await transaction(this.db, async (tx) => {
      await tx`DELETE FROM webhooks WHERE id = ${DEFAULT_WEBHOOK_ID}`
      await tx`
        INSERT INTO webhooks (id, session, account_id, source, url, events, headers, secret, hmac_key, status,
          disabled_reason, disabled_at, failing_since, last_success_at, created_at, updated_at)
        VALUES (${record.id}, NULL, NULL, 'config', ${record.url}, ${JSON.stringify(record.events)}, '{}', ${record.secret}, NULL, 'active',
          NULL, NULL, NULL, ${record.lastSuccessAt}, ${record.createdAt}, ${record.updatedAt})`
    })
    this.byId.set(record.id, record)
    await this.announce()
    return record
  }

  /**
   * Writes a webhook's settings (url, events, headers, secrets, status). Health counters
   * are the deliverer's and are left alone, except that re-enabling starts a fresh run.
   */
  async update(record: WebhookRecord): Promise<void> {
    await this.db.begin((tx) => tx`
      UPDATE webhooks SET url = ${record.url}, events = ${JSON.stringify(record.events)}, headers = ${JSON.stringify(record.headers)},
        secret = ${record.secret}, previous_secret = ${record.previousSecret}, previous_secret_until = ${record.previousSecretUntil},
        hmac_key = ${record.hmacKey}, status = ${record.status}, disabled_reason = ${record.disabledReason}, disabled_at = ${record.disabledAt},
        failing_since = ${record.failingSince}, updated_at = ${record.updatedAt}
      WHERE id = ${record.id}`)
    this.byId.set(record.id, { ...record })
    await this.announce()
  }

  /** One delivery of a webhook, by the event's id or its sequence number. */
  async getDelivery(webhookId: string, session: string, ref: { seq: number } | { eventId: string }): Promise<DeliveryRecord | undefined> {
    const rows: DeliveryRow[] =
      'seq' in ref
        ? await this.db`
            SELECT d.*, o.id AS event_id, o.event AS event FROM webhook_deliveries d JOIN outbox o ON o.seq = d.seq
            WHERE d.webhook_id = ${webhookId} AND o.session = ${session} AND d.seq = ${ref.seq}`
        : await this.db`
            SELECT d.*, o.id AS event_id, o.event AS event FROM webhook_deliveries d JOIN outbox o ON o.seq = d.seq
            WHERE d.webhook_id = ${webhookId} AND o.session = ${session} AND o.id = ${ref.eventId}`
    return rows[0] ? toDelivery(rows[0]) : undefined
  }

  /** Deletes a webhook and its delivery records. */
  async delete(id: string): Promise<void> {
    await transaction(this.db, async (tx) => {
      await tx`DELETE FROM webhook_deliveries WHERE webhook_id = ${id}`
      await tx`DELETE FROM webhooks WHERE id = ${id}`
    })
    this.byId.delete(id)
    await this.announce()
  }

  /** Deletes every webhook of a session (the session itself is gone). */
  async deleteSession(session: string): Promise<string[]> {
    const ids = this.listForSession(session).map((w) => w.id)
    for (const id of ids) await this.delete(id)
    return ids
  }

  /**
   * Disables an endpoint and gives up its pending deliveries, in one transaction. Returns
   * false when it was already disabled or is gone.
   */
  async disable(id: string, reason: string, at = Date.now()): Promise<boolean> {
    const current = this.byId.get(id)
    if (!current || current.status === 'disabled') return false
    // Deliveries first, then the webhook: the order the deliverer's outcome writes take their rows in.
    await transaction(this.db, async (tx) => {
      await tx`
        UPDATE webhook_deliveries SET state = 'failed', next_attempt_at = 0, updated_at = ${at},
          last_error = ${`Not delivered: the endpoint was disabled (${reason})`.slice(0, 500)}
        WHERE webhook_id = ${id} AND state = 'pending'`
      await tx`UPDATE webhooks SET status = 'disabled', disabled_reason = ${reason}, disabled_at = ${at}, updated_at = ${at} WHERE id = ${id}`
    })
    this.byId.set(id, { ...current, status: 'disabled', disabledReason: reason, disabledAt: at, updatedAt: at })
    await this.announce()
    return true
  }

  /**
   * Records endpoints' health (start of the current failing run, last success) inside the
   * caller's transaction; `committed` then updates the mirror.
   */
  async writeHealth(tx: SQL, updates: ReadonlyMap<string, EndpointHealth>): Promise<() => void> {
    for (const [id, health] of updates) {
      await tx`UPDATE webhooks SET failing_since = ${health.failingSince}, last_success_at = ${health.lastSuccessAt} WHERE id = ${id}`
    }
    return () => {
      for (const [id, health] of updates) {
        const current = this.byId.get(id)
        if (current) this.byId.set(id, { ...current, failingSince: health.failingSince, lastSuccessAt: health.lastSuccessAt })
      }
    }
  }

  /** A webhook's deliveries of one session's events, newest first; `before` pages by sequence. */
  async listDeliveries(
    webhookId: string,
    session: string,
    query: { state?: DeliveryState; limit: number; before?: number },
  ): Promise<DeliveryRecord[]> {
    const before = query.before ?? Number.MAX_SAFE_INTEGER
    const rows: DeliveryRow[] = query.state
      ? await this.db`
          SELECT d.*, o.id AS event_id, o.event AS event FROM webhook_deliveries d JOIN outbox o ON o.seq = d.seq
          WHERE d.webhook_id = ${webhookId} AND o.session = ${session} AND d.seq < ${before} AND d.state = ${query.state}
          ORDER BY d.seq DESC LIMIT ${query.limit}`
      : await this.db`
          SELECT d.*, o.id AS event_id, o.event AS event FROM webhook_deliveries d JOIN outbox o ON o.seq = d.seq
          WHERE d.webhook_id = ${webhookId} AND o.session = ${session} AND d.seq < ${before}
          ORDER BY d.seq DESC LIMIT ${query.limit}`
    return rows.map(toDelivery)
  }
}

export type DeliveryState = 'pending' | 'delivered' | 'failed'

export interface DeliveryAttempt {
  at: number
  statusCode: number | null
  latencyMs: number
  error: string | null
}

export interface DeliveryRecord {
  seq: number
  eventId: string
  event: string
  state: DeliveryState
  attempts: number
  nextAttemptAt: number | null
  lastStatus: number | null
  lastLatencyMs: number | null
  lastError: string | null
  log: DeliveryAttempt[]
  createdAt: number
  deliveredAt: number | null
}

interface DeliveryRow {
  webhook_id: string
  seq: DbInteger
  state: string
  attempts: DbInteger
  next_attempt_at: DbInteger
  last_status: DbInteger | null
  last_latency_ms: DbInteger | null
  last_error: string | null
  attempt_log: string
  created_at: DbInteger
  delivered_at: DbInteger | null
  event_id: string
  event: string
}

function toDelivery(row: DeliveryRow): DeliveryRecord {
  const state: DeliveryState = row.state === 'delivered' ? 'delivered' : row.state === 'failed' ? 'failed' : 'pending'
  let log: DeliveryAttempt[] = []
  try {
    log = JSON.parse(row.attempt_log) as DeliveryAttempt[]
  } catch {
    log = []
  }
  return {
    seq: Number(row.seq),
    eventId: row.event_id,
    event: row.event,
    state,
    attempts: Number(row.attempts),
    nextAttemptAt: state === 'pending' ? Number(row.next_attempt_at) : null,
    lastStatus: num(row.last_status),
    lastLatencyMs: num(row.last_latency_ms),
    lastError: row.last_error,
    log,
    createdAt: Number(row.created_at),
    deliveredAt: num(row.delivered_at),
  }
}
