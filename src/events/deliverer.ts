/**
 * The webhook deliverer: takes pending deliveries from the outbox and POSTs them, signed,
 * through the safe fetcher. At-least-once, durable, and fair:
 *
 * - Only 2xx is success. A 3xx is a failure (redirects are never followed). 410 Gone
 *   disables the endpoint. 429/503 with `Retry-After` pause the whole endpoint at least
 *   that long. Anything else (other statuses, timeouts, refused connections) is retried
 *   with exponential backoff and ±20% jitter (`retryBaseMs` doubling up to `retryMaxMs`).
 *   An endpoint that keeps failing, with no success, for `disableAfterMs` is disabled and
 *   its remaining deliveries are marked failed; GET on the webhook says why.
 * - Every attempt of one event carries the same `webhook-id` (the envelope id), a fresh
 *   `webhook-timestamp` and signature.
 * - Durable: the state of each delivery lives in `webhook_deliveries`. Outcomes are
 *   written in small batched transactions; a delivery that was in flight when the process
 *   died is still `pending` and is sent again after the restart, with the same id.
 * - Bounded: at most `concurrency` requests in flight, at most `endpointConcurrency` per
 *   endpoint, so a slow endpoint holds only its own slots and never stalls the others. At
 *   most `maxQueued` deliveries are held in memory; beyond that they wait in the table and
 *   are read back as room frees up.
 * - Claimed, when several nodes share the database (`claims`, Postgres): a node holds only
 *   deliveries it has claimed (`claimed_by`, `claimed_until` on the database's clock). Its
 *   own new deliveries are inserted claimed (outbox.ts); others are claimed with
 *   `FOR UPDATE SKIP LOCKED` when due and unclaimed or their claim ran out, so a dead node's
 *   deliveries are taken over within a claim's lifetime. A delivery is not claimed while an
 *   earlier one of the same endpoint and session is held by another live node, so each
 *   endpoint gets a session's events from one node at a time, in order. Claims are renewed
 *   every third of their lifetime; one found taken by another node (this one stalled past
 *   it) is dropped here; SIGTERM releases them for the others at once.
 */
import type { SQL } from 'bun'
import { AppError, ConflictError } from '../errors'
import type { SafeFetcher } from '../lib/safe-fetch'
import type { Logger } from '../lib/logger'
import { DB_NOW_MS, type Committed, type NewDelivery, type Outbox } from './outbox'
import { standardWebhookHeaders, wahaHmacHeaders } from './signing'
import { wahaEnvironmentBase, wahaWebhookBody, wahaWebhookHeaders, type WahaEnvironmentBase } from './waha-delivery'
import type { EndpointHealth, WebhookRecord, WebhookStore } from './webhook-store'
import { transaction, type DbInteger } from '../storage/db'

export interface DelivererOptions {
  timeoutMs: number
  retryBaseMs: number
  retryMaxMs: number
  disableAfterMs: number
  concurrency: number
  endpointConcurrency: number
  userAgent: string
  /** The server's `environment` in WAHA's envelope, for webhooks from WAHA session configs. */
  wahaEnvironment?: WahaEnvironmentBase
  /** Deliveries held in memory at most (default 10,000). */
  maxQueued?: number
  /** How long outcomes gather before they are written together (default 20 ms): fewer fsyncs; a crash in between only means a re-delivery. */
  flushDelayMs?: number
  /** How often the table is read for deliveries not held in memory (default 1,000 ms). */
  pollMs?: number
  /** How much of a receiver's response body is read (default 64 KiB); the rest is dropped unread. */
  maxResponseBytes?: number
  /** 0 ≤ x < 1, for the jitter (tests may pin it). */
  random?: () => number
  /** Told of every finished attempt (metrics): delivered, retry (will be tried again) or failed (given up), and its duration. */
  onAttempt?: (outcome: 'delivered' | 'retry' | 'failed', seconds: number) => void
  /** Several nodes deliver from this database (Postgres): hold only deliveries claimed by `nodeId`, for `ttlMs` at a time. */
  claims?: DeliveryClaims
}

export interface DeliveryClaims {
  nodeId: string
  ttlMs: number
}

export interface AttemptRecord {
  /** Unix ms when the attempt started. */
  at: number
  statusCode: number | null
  latencyMs: number
  error: string | null
}

/** Attempts kept per delivery; older ones are summarised by the count. */
const ATTEMPT_LOG_SIZE = 20
/** Longest `Retry-After` honoured (a day): a larger value is clamped, not obeyed forever. */
const MAX_RETRY_AFTER_MS = 86_400_000

interface Task {
  key: string
  webhookId: string
  seq: number
  eventId: string
  body: string
  attempts: number
  log: AttemptRecord[]
  dueAt: number
  /** Its final outcome (delivered / failed) is waiting to be written. */
  finalizing: boolean
  /** The claim renewal under way when it was taken in (claims only): a later one judges whether it is still ours. */
  intake?: number
}

interface Endpoint {
  id: string
  ready: Task[]
  inFlight: number
  pausedUntil: number
  health: EndpointHealth
}

type Outcome =
  | { kind: 'success'; statusCode: number }
  | { kind: 'gone'; statusCode: number }
  | { kind: 'retry'; statusCode: number | null; error: string; retryAfterMs?: number }

interface Result {
  task: Task
  state: 'pending' | 'delivered' | 'failed'
  attempt: AttemptRecord
  nextAttemptAt: number
}

const keyOf = (webhookId: string, seq: number) => `${webhookId}\u0000${seq}`

/**
 * Most outcomes written by one statement. A statement per outcome cost most of the drain
 * (each one compiled, bound and stepped on its own). A batch is split into statements of
 * power-of-two sizes, so only a handful of distinct texts exist and each is compiled once
 * (a text per batch size cost a compile per flush); 128 rows keep the parameters (10 a
 * row) well under both databases' limits.
 */
const OUTCOMES_PER_STATEMENT = 128

/** Splits `count` into chunk sizes: full statements first, then the binary digits of the rest. */
function statementSizes(count: number): number[] {
  const sizes: number[] = []
  let left = count
  while (left >= OUTCOMES_PER_STATEMENT) {
    sizes.push(OUTCOMES_PER_STATEMENT)
    left -= OUTCOMES_PER_STATEMENT
  }
  for (let size = OUTCOMES_PER_STATEMENT / 2; size >= 1; size /= 2) {
    if (left >= size) {
      sizes.push(size)
      left -= size
    }
  }
  return sizes
}

/** The last result of each delivery in the batch: written in order, the earlier ones would be overwritten anyway. */
function latestPerDelivery(batch: readonly Result[]): Result[] {
  const latest = new Map<string, Result>()
  for (const result of batch) {
    latest.delete(result.task.key)
    latest.set(result.task.key, result)
  }
  return [...latest.values()]
}

const OUTCOME_TYPES = ['TEXT', 'BIGINT', 'TEXT', 'INTEGER', 'BIGINT', 'INTEGER', 'INTEGER', 'TEXT', 'TEXT', 'BIGINT'] as const
/** The statement text for each size used, built once (it depends on nothing but the size). */
const outcomeStatements = new Map<number, string>()

/**
 * One `UPDATE … FROM (VALUES …)` for many outcomes; both SQLite and Postgres name the
 * columns of a VALUES list column1, column2, …, and the casts give Postgres their types.
 * Only a pending row is changed, as before: a finished delivery is never re-opened here.
 */
function outcomeStatement(size: number): string {
  let text = outcomeStatements.get(size)
  if (text !== undefined) return text
  const rows: string[] = []
  // SQLite numbers `$n` parameters in the order they first appear in the text, so `$1` (now) comes first.
  for (let row = 0; row < size; row++) {
    const base = 1 + row * OUTCOME_TYPES.length
    rows.push(`(${OUTCOME_TYPES.map((type, i) => `CAST($${base + i + 1} AS ${type})`).join(', ')})`)
  }
  text = `UPDATE webhook_deliveries SET state = v.column3, attempts = v.column4, next_attempt_at = v.column5,
      last_status = v.column6, last_latency_ms = v.column7, last_error = v.column8, attempt_log = v.column9,
      updated_at = CAST($1 AS BIGINT), delivered_at = v.column10
    FROM (VALUES ${rows.join(', ')}) AS v
    WHERE webhook_deliveries.webhook_id = v.column1 AND webhook_deliveries.seq = v.column2 AND webhook_deliveries.state = 'pending'`
  outcomeStatements.set(size, text)
  return text
}

function outcomeUpdate(results: readonly Result[], now: number): { text: string; params: unknown[] } {
  const params: unknown[] = [now]
  for (const { task, state, attempt, nextAttemptAt } of results) {
    params.push(
      task.webhookId,
      task.seq,
      state,
      task.attempts,
      nextAttemptAt,
      attempt.statusCode,
      attempt.latencyMs,
      attempt.error,
      JSON.stringify(task.log),
      state === 'delivered' ? attempt.at + attempt.latencyMs : null,
    )
  }
  return { text: outcomeStatement(results.length), params }
}

/** Seconds or an HTTP-date, as RFC 9110 §10.2.3 allows; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, MAX_RETRY_AFTER_MS)
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS)
}

/** A min-heap of tasks by due time. */
class DueHeap {
  private readonly items: Task[] = []

  get size(): number {
    return this.items.length
  }

  peek(): Task | undefined {
    return this.items[0]
  }

  push(task: Task): void {
    const items = this.items
    items.push(task)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (items[parent]!.dueAt <= items[i]!.dueAt) break
      ;[items[parent], items[i]] = [items[i]!, items[parent]!]
      i = parent
    }
  }

  pop(): Task | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (items.length > 0 && last) {
      items[0] = last
      let i = 0
      for (;;) {
        const left = 2 * i + 1
        const right = left + 1
        let smallest = i
        if (left < items.length && items[left]!.dueAt < items[smallest]!.dueAt) smallest = left
        if (right < items.length && items[right]!.dueAt < items[smallest]!.dueAt) smallest = right
        if (smallest === i) break
        ;[items[smallest], items[i]] = [items[i]!, items[smallest]!]
        i = smallest
      }
    }
    return top
  }
}

interface DueRow {
  webhook_id: string
  seq: DbInteger
  attempts: DbInteger
  attempt_log: string
  next_attempt_at: DbInteger
  id: string
  body: string
}

export class WebhookDeliverer {
  private readonly tasks = new Map<string, Task>()
  private readonly endpoints = new Map<string, Endpoint>()
  private readonly delayed = new DueHeap()
  private readonly results: Result[] = []
  private readonly healthDirty = new Set<string>()
  private readonly controller = new AbortController()
  private readonly inFlightWork = new Set<Promise<void>>()
  private inFlight = 0
  private finalizing = 0
  /** Some pending deliveries are (or may be) only in the table, not in memory. */
  private overflow = true
  private running = false
  private flushing: Promise<void> | null = null
  private flushTimer?: ReturnType<typeof setTimeout>
  private wakeTimer?: ReturnType<typeof setTimeout>
  private wakeAt = Infinity
  private pollTimer?: ReturnType<typeof setInterval>
  private scanning = false
  /** The last scan stopped because memory was full, so more due deliveries are likely waiting in the table. */
  private lastScanFilledMemory = false
  /** Keys finished while a scan's query was running: its rows for them are stale. */
  private finishedDuringScan: Set<string> | null = null
  private polls = 0
  private readonly maxQueued: number
  private readonly random: () => number
  private renewTimer?: ReturnType<typeof setInterval>
  /** Claim renewals started so far; tasks remember the one they arrived in. */
  private renewals = 0

  constructor(
    private readonly db: SQL,
    private readonly store: WebhookStore,
    private readonly fetcher: SafeFetcher,
    private readonly options: DelivererOptions,
    private readonly logger: Logger,
  ) {
    this.maxQueued = options.maxQueued ?? 10_000
    this.random = options.random ?? Math.random
  }

  /** Starts delivering: new deliveries from the outbox, and whatever was pending before. */
  start(outbox: Outbox): void {
    if (this.running) return
    this.running = true
    outbox.onCommitted((committed) => this.enqueueCommitted(committed))
    this.pollTimer = setInterval(() => void this.poll(), this.options.pollMs ?? 1000)
    if (this.options.claims) this.renewTimer = setInterval(() => void this.renewClaims(), Math.max(100, Math.floor(this.options.claims.ttlMs / 3)))
    void this.scan()
  }

  /** Stops: cancels requests in flight (they stay pending and resume on the next start) and writes what is known. */
  async stop(): Promise<void> {
    if (!this.running) return
    this.running = false
    clearInterval(this.pollTimer)
    clearInterval(this.renewTimer)
    clearTimeout(this.wakeTimer)
    this.controller.abort(new Error('shutting down'))
    await Promise.allSettled([...this.inFlightWork])
    clearTimeout(this.flushTimer)
    await this.flush()
    await this.releaseClaims()
  }

  /** Deliveries not yet delivered or given up, in memory or only in the table (metrics). */
  async pendingCount(): Promise<number> {
    const rows: { count: DbInteger }[] = await this.db`SELECT COUNT(*) AS count FROM webhook_deliveries WHERE state = 'pending'`
    return Number(rows[0]?.count ?? 0)
  }

  /** Counts for tests and health: held in memory, in flight, and waiting for a retry. */
  stats(): { queued: number; inFlight: number; delayed: number; overflow: boolean } {
    return { queued: this.tasks.size, inFlight: this.inFlight, delayed: this.delayed.size, overflow: this.overflow }
  }

  /** A webhook was deleted or disabled elsewhere: forget its deliveries. */
  forget(webhookId: string): void {
    const endpoint = this.endpoints.get(webhookId)
    this.endpoints.delete(webhookId)
    for (const task of endpoint?.ready ?? []) this.dropTask(task)
    for (const task of [...this.tasks.values()]) if (task.webhookId === webhookId && !task.finalizing) this.dropTask(task)
  }

  // ─── Intake ───────────────────────────────────────────────────────────────

  private enqueueCommitted({ deliveries }: Committed): void {
    if (!this.running || deliveries.length === 0) return
    for (const delivery of deliveries) this.enqueueNew(delivery)
    this.pump()
  }

  private enqueueNew({ webhookId, entry }: NewDelivery): void {
    const key = keyOf(webhookId, entry.seq)
    if (this.tasks.has(key)) return
    if (this.tasks.size >= this.maxQueued) {
      this.overflow = true
      return
    }
    const task: Task = { key, webhookId, seq: entry.seq, eventId: entry.id, body: entry.body, attempts: 0, log: [], dueAt: Date.now(), finalizing: false, intake: this.renewals }
    this.tasks.set(key, task)
    this.endpoint(webhookId).ready.push(task)
  }

  private endpoint(webhookId: string): Endpoint {
    let endpoint = this.endpoints.get(webhookId)
    if (!endpoint) {
      const record = this.store.get(webhookId)
      endpoint = {
        id: webhookId,
        ready: [],
        inFlight: 0,
        pausedUntil: 0,
        health: { failingSince: record?.failingSince ?? null, lastSuccessAt: record?.lastSuccessAt ?? null },
      }
      this.endpoints.set(webhookId, endpoint)
    }
    return endpoint
  }

  private dropTask(task: Task): void {
    this.tasks.delete(task.key)
  }

  private async poll(): Promise<void> {
    if (!this.running) return
    this.polls++
    // With claims, other nodes' deliveries (a dead node's, retries they released) may be due: claim on every poll.
    if (this.options.claims) this.overflow = true
    // Every 10th poll, check that memory holds everything pending (a cheap guard against drift).
    else if (!this.overflow && this.polls % 10 === 0) await this.checkOverflow()
    if (this.overflow) await this.scan()
  }

  private async checkOverflow(): Promise<void> {
    const pendingInDb = await this.pendingCount()
    // Tasks whose final outcome is being written are no longer pending in memory; count them out.
    if (pendingInDb > this.tasks.size - this.finalizing) this.overflow = true
  }

  /** Reads due deliveries that are not in memory yet (at boot, and after an overflow). */
  private async scan(): Promise<void> {
    if (this.scanning || !this.running) return
    this.scanning = true
    try {
      const room = this.maxQueued - this.tasks.size
      if (room <= 0) return
      this.finishedDuringScan = new Set()
      const now = Date.now()
      const rows: DueRow[] = this.options.claims
        ? await this.claimDue(this.options.claims, now, room)
        : await this.db`
        SELECT d.webhook_id, d.seq, d.attempts, d.attempt_log, d.next_attempt_at, o.id, o.body
        FROM webhook_deliveries d JOIN outbox o ON o.seq = d.seq
        WHERE d.state = 'pending' AND d.next_attempt_at <= ${now}
        ORDER BY d.next_attempt_at, d.seq
        LIMIT ${room + this.tasks.size}`
      let added = 0
      for (const row of rows) {
        if (added >= room || !this.running) break
        const seq = Number(row.seq)
        const key = keyOf(row.webhook_id, seq)
        if (this.tasks.has(key) || this.finishedDuringScan.has(key)) continue
        const webhook = this.store.get(row.webhook_id)
        if (!webhook || webhook.status !== 'active') continue
        let log: AttemptRecord[] = []
        try {
          log = JSON.parse(row.attempt_log) as AttemptRecord[]
        } catch {
          log = []
        }
        const task: Task = {
          key,
          webhookId: row.webhook_id,
          seq,
          eventId: row.id,
          body: row.body,
          attempts: Number(row.attempts),
          log,
          dueAt: Number(row.next_attempt_at),
          finalizing: false,
          intake: this.renewals,
        }
        this.tasks.set(key, task)
        this.endpoint(task.webhookId).ready.push(task)
        added++
      }
      this.lastScanFilledMemory = added >= room
      if (added > 0) this.pump()
      if (this.options.claims) return
      const countRows: { count: DbInteger }[] = await this.db`SELECT COUNT(*) AS count FROM webhook_deliveries WHERE state = 'pending'`
      if (Number(countRows[0]?.count ?? 0) <= this.tasks.size - this.finalizing) this.overflow = false
    } catch (error) {
      this.logger.error({ err: error }, 'could not read pending webhook deliveries')
    } finally {
      this.scanning = false
      this.finishedDuringScan = null
    }
  }

  // ─── Claims (several nodes on one database) ───────────────────────────────

  /**
   * Claims up to `room` due deliveries that no live node holds, skipping rows another node's
   * claim query has locked, and any delivery behind an earlier one of its endpoint and
   * session that another live node holds (that node sends the stream in order). A delivery
   * is taken only when every earlier pending one of its stream is this node's already or
   * taken in the same statement: one skipped because another transaction had its row locked
   * at that instant (a renewal, a release) must not be overtaken by the ones behind it.
   */
  private async claimDue(claims: DeliveryClaims, now: number, room: number): Promise<DueRow[]> {
    const rows = (await this.db.unsafe(
      `WITH due AS (
         SELECT d.webhook_id, d.seq, d.session FROM webhook_deliveries d
         WHERE d.state = 'pending' AND d.next_attempt_at <= $1
           AND (d.claimed_by IS NULL OR d.claimed_until < ${DB_NOW_MS})
           AND NOT EXISTS (
             SELECT 1 FROM webhook_deliveries e
             WHERE e.webhook_id = d.webhook_id AND e.session IS NOT DISTINCT FROM d.session AND e.seq < d.seq
               AND e.state = 'pending' AND e.claimed_by <> $2 AND e.claimed_until >= ${DB_NOW_MS})
         ORDER BY d.next_attempt_at, d.seq
         LIMIT $3
         FOR UPDATE OF d SKIP LOCKED),
       in_order AS (
         SELECT due.webhook_id, due.seq FROM due
         WHERE NOT EXISTS (
           SELECT 1 FROM webhook_deliveries e
           WHERE e.webhook_id = due.webhook_id AND e.session IS NOT DISTINCT FROM due.session AND e.seq < due.seq
             AND e.state = 'pending' AND e.claimed_by IS DISTINCT FROM $2
             AND NOT EXISTS (SELECT 1 FROM due taken WHERE taken.webhook_id = e.webhook_id AND taken.seq = e.seq)))
       UPDATE webhook_deliveries w SET claimed_by = $2, claimed_until = ${DB_NOW_MS} + $4
       FROM in_order, outbox o
       WHERE w.webhook_id = in_order.webhook_id AND w.seq = in_order.seq AND o.seq = w.seq
       RETURNING w.webhook_id, w.seq, w.attempts, w.attempt_log, w.next_attempt_at, o.id, o.body`,
      [now, claims.nodeId, room, claims.ttlMs],
    )) as DueRow[]
    // UPDATE … RETURNING answers in no particular order (Postgres 18 returned a stream's later
    // deliveries first): queue them as the single-node scan does, so each stream goes out in order.
    return rows.sort((a, b) => Number(a.next_attempt_at) - Number(b.next_attempt_at) || Number(a.seq) - Number(b.seq))
  }

  private renewing = false

  /**
   * Extends this node's claims. A delivery held here whose claim is no longer this node's
   * (it stalled past the claim's lifetime and another node took it) is dropped: that node
   * sends it. A claim of this node's with no delivery held (taken in while memory was full)
   * is released for any node to take.
   */
  private async renewClaims(): Promise<void> {
    const claims = this.options.claims
    if (!claims || !this.running || this.renewing) return
    this.renewing = true
    const renewal = ++this.renewals
    try {
      const rows: { webhook_id: string; seq: DbInteger }[] = await this.db.unsafe(
        `UPDATE webhook_deliveries SET claimed_until = ${DB_NOW_MS} + $2 WHERE claimed_by = $1 AND state = 'pending' RETURNING webhook_id, seq`,
        [claims.nodeId, claims.ttlMs],
      )
      const ours = new Set(rows.map((row) => keyOf(row.webhook_id, Number(row.seq))))
      for (const task of [...this.tasks.values()]) {
        if (task.finalizing || (task.intake ?? 0) >= renewal || ours.has(task.key)) continue
        this.logger.warn({ webhook: task.webhookId, seq: task.seq }, 'webhook delivery claim was taken over by another node; leaving it to that node')
        this.dropTask(task)
      }
      // A scan under way may hold claimed rows it has not taken in yet: leave them to it.
      for (const row of this.scanning ? [] : rows) {
        const key = keyOf(row.webhook_id, Number(row.seq))
        if (this.tasks.has(key)) continue
        await this.db`UPDATE webhook_deliveries SET claimed_by = NULL, claimed_until = NULL
                      WHERE webhook_id = ${row.webhook_id} AND seq = ${row.seq} AND claimed_by = ${claims.nodeId} AND state = 'pending'`
      }
    } catch (error) {
      this.logger.error({ err: error }, 'could not renew webhook delivery claims')
    } finally {
      this.renewing = false
    }
  }

  /** Gives this node's pending deliveries back (shutdown), so other nodes take them at once. */
  private async releaseClaims(): Promise<void> {
    const claims = this.options.claims
    if (!claims) return
    try {
      await this.db`UPDATE webhook_deliveries SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ${claims.nodeId} AND state = 'pending'`
    } catch (error) {
      this.logger.error({ err: error }, 'could not release webhook delivery claims; they run out by themselves')
    }
  }

  // ─── Dispatch ─────────────────────────────────────────────────────────────

  /** Starts as many attempts as the limits allow, taking endpoints in turn. */
  private pump(): void {
    if (!this.running) return
    const now = Date.now()
    let progress = true
    while (progress && this.inFlight < this.options.concurrency) {
      progress = false
      for (const endpoint of this.endpoints.values()) {
        if (this.inFlight >= this.options.concurrency) break
        if (endpoint.ready.length === 0 || endpoint.inFlight >= this.options.endpointConcurrency) continue
        if (endpoint.pausedUntil > now) {
          this.wakeAtTime(endpoint.pausedUntil)
          continue
        }
        const task = endpoint.ready.shift()!
        if (!this.tasks.has(task.key)) continue
        progress = true
        this.launch(endpoint, task)
      }
    }
  }

  private launch(endpoint: Endpoint, task: Task): void {
    this.inFlight++
    endpoint.inFlight++
    const work = this.attempt(task)
      .then((outcome) => this.settle(endpoint, task, outcome))
      .catch((error: unknown) => this.logger.error({ err: error, webhook: task.webhookId }, 'webhook attempt failed unexpectedly'))
      .finally(() => {
        this.inFlight--
        endpoint.inFlight--
        this.inFlightWork.delete(work)
        this.pump()
      })
    this.inFlightWork.add(work)
  }

  /** `body`: the bytes sent (for a WAHA session's webhook, WAHA's envelope rather than the stored one). */
  private headersFor(webhook: WebhookRecord, message: { eventId: string }, body: string, now: number): Record<string, string> {
    const headers: Record<string, string> = {
      ...webhook.headers,
      'content-type': 'application/json',
      'user-agent': this.options.userAgent,
      'webhook-id': message.eventId,
      'webhook-timestamp': String(Math.floor(now / 1000)),
    }
    // During a rotation both secrets sign (current first), so receivers can switch at their own pace.
    const secrets = [webhook.secret, webhook.previousSecretUntil !== null && webhook.previousSecretUntil > now ? webhook.previousSecret : null].filter(
      (secret): secret is string => secret !== null,
    )
    if (secrets.length > 0) {
      Object.assign(headers, standardWebhookHeaders({ id: message.eventId, timestamp: Math.floor(now / 1000), body, secret: secrets }))
    }
    const hmacKey = webhook.hmacKey ?? webhook.secret
    if (webhook.source === 'waha') Object.assign(headers, wahaWebhookHeaders(body, hmacKey, now))
    else if (hmacKey) Object.assign(headers, wahaHmacHeaders(body, hmacKey))
    return headers
  }

  /** The bytes sent: the envelope as stored, or for a WAHA session's webhook, WAHA's (with environment and metadata). */
  private bodyFor(webhook: WebhookRecord, task: { body: string }): string {
    if (webhook.source !== 'waha') return task.body
    this.wahaEnvironment ??= this.options.wahaEnvironment ?? wahaEnvironmentBase(this.options.userAgent, undefined)
    return wahaWebhookBody(task.body, this.wahaEnvironment, webhook.metadata)
  }

  private wahaEnvironment: WahaEnvironmentBase | undefined

  /** One POST; null when cancelled by shutdown or the webhook is gone (nothing to record). */
  private async attempt(task: Task): Promise<{ outcome: Outcome; record: AttemptRecord } | null> {
    const webhook = this.store.get(task.webhookId)
    if (!webhook || webhook.status !== 'active') {
      this.dropTask(task)
      return null
    }
    return this.post(webhook, task)
  }

  /**
   * One signed POST of an event that is not in the outbox (a `webhook.test`), whatever the
   * webhook's status, so an endpoint can be checked before it is re-enabled. Nothing is
   * recorded and nothing is retried: the caller gets the attempt.
   */
  async sendOnce(webhook: WebhookRecord, message: { eventId: string; body: string }): Promise<AttemptRecord> {
    const attempted = await this.post(webhook, message)
    if (!attempted) throw new ConflictError('The server is shutting down; try again after it restarts')
    return attempted.record
  }

  /**
   * Sends a finished (failed) delivery again now, as a fresh run with the same
   * `webhook-id`. The row is made pending first, so a crash right after still sends it.
   */
  async retryNow(webhookId: string, seq: number): Promise<boolean> {
    const now = Date.now()
    const rows: DueRow[] = await this.db.begin(async (tx) => {
      const updated: unknown[] = await tx`
        UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ${now}, updated_at = ${now}, delivered_at = NULL
        WHERE webhook_id = ${webhookId} AND seq = ${seq} AND state = 'failed' RETURNING seq`
      if (updated.length === 0) return []
      if (this.options.claims) {
        await tx.unsafe(`UPDATE webhook_deliveries SET claimed_by = $1, claimed_until = ${DB_NOW_MS} + $2 WHERE webhook_id = $3 AND seq = $4`, [
          this.options.claims.nodeId,
          this.options.claims.ttlMs,
          webhookId,
          seq,
        ])
      }
      return tx`
        SELECT d.webhook_id, d.seq, d.attempts, d.attempt_log, d.next_attempt_at, o.id, o.body
        FROM webhook_deliveries d JOIN outbox o ON o.seq = d.seq WHERE d.webhook_id = ${webhookId} AND d.seq = ${seq}`
    })
    const row = rows[0]
    if (!row) return false
    const key = keyOf(webhookId, seq)
    if (!this.running || this.tasks.has(key)) return true
    if (this.tasks.size >= this.maxQueued) {
      this.overflow = true
      return true
    }
    let log: AttemptRecord[] = []
    try {
      log = JSON.parse(row.attempt_log) as AttemptRecord[]
    } catch {
      log = []
    }
    const task: Task = { key, webhookId, seq, eventId: row.id, body: row.body, attempts: Number(row.attempts), log, dueAt: now, finalizing: false, intake: this.renewals }
    this.tasks.set(key, task)
    const endpoint = this.endpoint(webhookId)
    // A manual retry is a deliberate act: it does not wait out an earlier Retry-After pause.
    endpoint.pausedUntil = 0
    endpoint.ready.push(task)
    this.pump()
    return true
  }

  private async post(webhook: WebhookRecord, message: { eventId: string; body: string }): Promise<{ outcome: Outcome; record: AttemptRecord } | null> {
    const task = message
    const started = Date.now()
    const body = this.bodyFor(webhook, task)
    const t0 = performance.now()
    let outcome: Outcome
    try {
      const response = await this.fetcher.fetch(webhook.url, {
        method: 'POST',
        headers: this.headersFor(webhook, task, body, started),
        body,
        followRedirects: false,
        timeoutMs: this.options.timeoutMs,
        maxBytes: this.options.maxResponseBytes ?? 64 * 1024,
        truncateBody: true,
        signal: this.controller.signal,
      })
      const status = response.status
      if (status >= 200 && status < 300) outcome = { kind: 'success', statusCode: status }
      else if (status === 410) outcome = { kind: 'gone', statusCode: status }
      else {
        let error = `HTTP ${status}`
        if (status >= 300 && status < 400) error = `HTTP ${status}: redirects are not followed; point the webhook at the final URL`
        else {
          const text = new TextDecoder().decode(response.body.subarray(0, 200)).replace(/\s+/g, ' ').trim()
          if (text) error += `: ${text}`
        }
        const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(response.headers.get('retry-after'), Date.now()) : undefined
        outcome = { kind: 'retry', statusCode: status, error, ...(retryAfterMs !== undefined && { retryAfterMs }) }
      }
    } catch (error) {
      if (this.controller.signal.aborted) return null
      const message = error instanceof AppError ? error.message : 'request failed'
      outcome = { kind: 'retry', statusCode: null, error: message }
    }
    const record: AttemptRecord = {
      at: started,
      statusCode: outcome.statusCode,
      latencyMs: Math.round(performance.now() - t0),
      error: outcome.kind === 'success' ? null : outcome.kind === 'gone' ? 'HTTP 410 Gone: the receiver asked to stop' : outcome.error,
    }
    return { outcome, record }
  }

  private backoff(attempts: number): number {
    const exponential = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** Math.max(0, attempts - 1))
    return Math.max(1, Math.round(exponential * (0.8 + this.random() * 0.4)))
  }

  private settle(endpoint: Endpoint, task: Task, attempted: { outcome: Outcome; record: AttemptRecord } | null): void {
    if (!attempted) return
    const { outcome, record } = attempted
    if (!this.tasks.has(task.key)) return // forgotten meanwhile (webhook deleted or disabled)
    task.attempts++
    task.log = [...task.log, record].slice(-ATTEMPT_LOG_SIZE)
    const now = Date.now()
    const report = (result: 'delivered' | 'retry' | 'failed') => this.options.onAttempt?.(result, record.latencyMs / 1000)
    if (outcome.kind === 'success') {
      report('delivered')
      if (endpoint.health.failingSince !== null || this.shouldRecordSuccess(endpoint, now)) this.markHealth(endpoint, { failingSince: null, lastSuccessAt: now })
      else endpoint.health.lastSuccessAt = now
      this.finish(task, 'delivered', record, 0)
      return
    }
    if (outcome.kind === 'gone') {
      report('failed')
      this.finish(task, 'failed', record, 0)
      void this.disable(endpoint, 'the receiver answered 410 Gone')
      return
    }
    const failingSince = endpoint.health.failingSince ?? now
    if (endpoint.health.failingSince === null) this.markHealth(endpoint, { failingSince, lastSuccessAt: endpoint.health.lastSuccessAt })
    if (now - failingSince >= this.options.disableAfterMs) {
      report('failed')
      this.finish(task, 'failed', record, 0)
      void this.disable(endpoint, `failing without a success since ${new Date(failingSince).toISOString()}; last error: ${outcome.error}`.slice(0, 500))
      return
    }
    report('retry')
    let delay = this.backoff(task.attempts)
    if (outcome.retryAfterMs !== undefined) {
      delay = Math.max(delay, outcome.retryAfterMs)
      endpoint.pausedUntil = Math.max(endpoint.pausedUntil, now + outcome.retryAfterMs)
    }
    task.dueAt = now + delay
    this.record({ task, state: 'pending', attempt: record, nextAttemptAt: task.dueAt })
    this.delayed.push(task)
    this.wakeAtTime(task.dueAt)
  }

  /** Persisting `lastSuccessAt` on every success would cost a write each; once a minute is enough. */
  private shouldRecordSuccess(endpoint: Endpoint, now: number): boolean {
    return endpoint.health.lastSuccessAt === null || now - endpoint.health.lastSuccessAt > 60_000
  }

  private markHealth(endpoint: Endpoint, health: EndpointHealth): void {
    endpoint.health = health
    this.healthDirty.add(endpoint.id)
  }

  private finish(task: Task, state: 'delivered' | 'failed', attempt: AttemptRecord, nextAttemptAt: number): void {
    task.finalizing = true
    this.finalizing++
    this.record({ task, state, attempt, nextAttemptAt })
  }

  private async disable(endpoint: Endpoint, reason: string): Promise<void> {
    try {
      // Outcomes already known are written first, so the disabled endpoint's log is complete.
      await this.flush()
      const disabled = await this.store.disable(endpoint.id, reason)
      if (disabled) this.logger.warn({ webhook: endpoint.id, reason }, 'webhook endpoint disabled')
    } catch (error) {
      this.logger.error({ err: error, webhook: endpoint.id }, 'could not disable webhook endpoint')
    }
    this.forget(endpoint.id)
  }

  // ─── Timers ───────────────────────────────────────────────────────────────

  private wakeAtTime(at: number): void {
    if (!this.running || at >= this.wakeAt) return
    clearTimeout(this.wakeTimer)
    this.wakeAt = at
    this.wakeTimer = setTimeout(() => this.wake(), Math.max(0, at - Date.now()))
  }

  private wake(): void {
    this.wakeAt = Infinity
    this.wakeTimer = undefined
    const now = Date.now()
    for (let next = this.delayed.peek(); next && next.dueAt <= now; next = this.delayed.peek()) {
      const task = this.delayed.pop()!
      if (!this.tasks.has(task.key)) continue
      const endpoint = this.endpoints.get(task.webhookId) ?? this.endpoint(task.webhookId)
      endpoint.ready.push(task)
    }
    const next = this.delayed.peek()
    if (next) this.wakeAtTime(next.dueAt)
    this.pump()
  }

  // ─── Writing outcomes ─────────────────────────────────────────────────────

  private record(result: Result): void {
    this.results.push(result)
    if (this.results.length >= 500) void this.flush()
    else if (!this.flushTimer) this.flushTimer = setTimeout(() => void this.flush(), this.options.flushDelayMs ?? 20)
  }

  /** Writes gathered outcomes in one transaction; resolves when everything recorded so far is written. */
  async flush(): Promise<void> {
    clearTimeout(this.flushTimer)
    this.flushTimer = undefined
    while (this.flushing) await this.flushing
    if (this.results.length === 0 && this.healthDirty.size === 0) return
    const batch = this.results.splice(0, this.results.length)
    const health = new Map<string, EndpointHealth>()
    for (const id of this.healthDirty) {
      const endpoint = this.endpoints.get(id)
      if (endpoint) health.set(id, { ...endpoint.health })
    }
    this.healthDirty.clear()
    const run = async () => {
      try {
        const applyHealth = await transaction(this.db, async (tx) => {
          const latest = latestPerDelivery(batch)
          let from = 0
          for (const size of statementSizes(latest.length)) {
            const { text, params } = outcomeUpdate(latest.slice(from, from + size), Date.now())
            await tx.unsafe(text, params)
            from += size
          }
          return this.store.writeHealth(tx, health)
        })
        applyHealth()
        for (const { task, state } of batch) {
          if (state === 'pending') continue
          if (task.finalizing) this.finalizing--
          task.finalizing = false
          this.tasks.delete(task.key)
          this.finishedDuringScan?.add(task.key)
        }
        // Deliveries wait in the table and memory has room again: read them now rather than at the next poll, so a backlog drains without pauses.
        if (this.overflow && this.lastScanFilledMemory && this.tasks.size <= this.maxQueued / 2) void this.scan()
      } catch (error) {
        // Put them back: the next flush tries again. The rows are still pending, so nothing is lost either way.
        this.logger.error({ err: error }, 'could not record webhook delivery outcomes')
        this.results.unshift(...batch)
        for (const id of health.keys()) this.healthDirty.add(id)
        if (this.running && !this.flushTimer) this.flushTimer = setTimeout(() => void this.flush(), 1000)
      }
    }
    this.flushing = run().finally(() => {
      this.flushing = null
    })
    await this.flushing
    if (this.results.length > 0 && this.running && !this.flushTimer) this.flushTimer = setTimeout(() => void this.flush(), this.options.flushDelayMs ?? 20)
  }
}
