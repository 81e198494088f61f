/**
 * Idempotent sends: a request carrying an `Idempotency-Key` is performed at most once per
 * number and key; a retry gets the first result back (marked as a replay) and sends
 * nothing. Keys are kept in the database for a TTL, so a retry after a server restart
 * is still recognised.
 *
 * - The first request claims the key with an INSERT that only one writer can win
 *   (`ON CONFLICT DO NOTHING`), under a per-key lock in this process, so a concurrent
 *   duplicate never sends twice: it waits for the first and replays its result.
 * - A failed request releases its key (nothing was sent, the client may retry).
 * - A key reused with a different request is refused (409), as the IETF
 *   Idempotency-Key draft and Stripe do.
 * - A claim left by a crash mid-send blocks its key for `PENDING_TTL_MS` (we cannot know
 *   whether WhatsApp got the message), then the key is free again.
 */
import type { SQL } from 'bun'
import { createHash } from 'node:crypto'
import { BadRequestError, ConflictError } from '../errors'
import { KeyedMutex } from '../lib/keyed-mutex'

export const PENDING_TTL_MS = 10 * 60 * 1000
const SWEEP_INTERVAL_MS = 60 * 1000
/** Printable ASCII without spaces, like the tokens clients generate (UUIDs, ULIDs…). */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7E]{1,255}$'
const KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN)

export interface IdempotentOutcome<T> {
  value: T
  /** True when this is the stored result of an earlier request with the same key. */
  replayed: boolean
}

interface KeyRow {
  fingerprint: string
  state: string
  response: string | null
}

export function fingerprint(route: string, body: unknown): string {
  return createHash('sha256').update(route).update('\n').update(JSON.stringify(body ?? null)).digest('hex')
}

export class IdempotencyStore {
  private readonly locks = new KeyedMutex()
  private lastSweep = 0

  constructor(
    private readonly db: SQL,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs `work` once per (session, key); without a key it simply runs it. */
  async run<T>(session: string, key: string | undefined, requestFingerprint: string, work: () => Promise<T>): Promise<IdempotentOutcome<T>> {
    if (key === undefined) return { value: await work(), replayed: false }
    if (!KEY.test(key)) throw new BadRequestError('Idempotency-Key must be 1 to 255 printable ASCII characters without spaces', { field: 'Idempotency-Key' })
    return this.locks.run(`${session}\u0000${key}`, async () => {
      const now = this.now()
      await this.sweep(now)
      await this.db`DELETE FROM idempotency_keys WHERE session = ${session} AND idem_key = ${key} AND expires_at <= ${now}`
      const claimed = await this.db`
        INSERT INTO idempotency_keys (session, idem_key, fingerprint, state, response, created_at, expires_at)
        VALUES (${session}, ${key}, ${requestFingerprint}, 'pending', NULL, ${now}, ${now + PENDING_TTL_MS})
        ON CONFLICT (session, idem_key) DO NOTHING
        RETURNING idem_key`
      if (claimed.length === 0) return { value: await this.replay<T>(session, key, requestFingerprint), replayed: true }
      let value: T
      try {
        value = await work()
      } catch (error) {
        await this.db`DELETE FROM idempotency_keys WHERE session = ${session} AND idem_key = ${key} AND state = 'pending'`
        throw error
      }
      await this.db`
        UPDATE idempotency_keys SET state = 'done', response = ${JSON.stringify(value)}, expires_at = ${this.now() + this.ttlSeconds * 1000}
        WHERE session = ${session} AND idem_key = ${key}`
      return { value, replayed: false }
    })
  }

  /** Forgets every key of a number (its session was deleted). */
  async purge(session: string): Promise<void> {
    await this.db`DELETE FROM idempotency_keys WHERE session = ${session}`
  }

  private async replay<T>(session: string, key: string, requestFingerprint: string): Promise<T> {
    const rows: KeyRow[] = await this.db`SELECT fingerprint, state, response FROM idempotency_keys WHERE session = ${session} AND idem_key = ${key}`
    const row = rows[0]
    if (!row) throw new ConflictError('A request with this Idempotency-Key was just finished elsewhere; retry it', { field: 'Idempotency-Key' })
    if (row.fingerprint !== requestFingerprint) {
      throw new ConflictError('This Idempotency-Key was already used for a different request', { field: 'Idempotency-Key' })
    }
    if (row.state !== 'done' || row.response === null) {
      throw new ConflictError('A request with this Idempotency-Key is still in progress (or was interrupted); retry later', { field: 'Idempotency-Key' })
    }
    return JSON.parse(row.response) as T
  }

  private async sweep(now: number): Promise<void> {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return
    this.lastSweep = now
    await this.db`DELETE FROM idempotency_keys WHERE expires_at <= ${now}`
  }
}
