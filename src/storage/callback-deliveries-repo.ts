/**
 * Delivery ids of inbound engine callbacks already taken in, kept in the database when
 * nodes share it (API.md §10): a backend (WAHA) retrying a callback at another node is
 * recognised there as the repeat it is. The INSERT that records an id is also the
 * decision: of two copies arriving at two nodes at once, exactly one is taken in.
 */
import type { Database } from './db'

/** How long a delivery id is remembered: far beyond any backend's retry schedule. */
export const CALLBACK_ID_RETENTION_MS = 24 * 3600_000
const SWEEP_INTERVAL_MS = 60_000

export class CallbackDeliveriesRepository {
  private lastSweep = 0

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records the id; false when it was recorded before (a repeat). */
  async claim(session: string, deliveryId: string): Promise<boolean> {
    const now = this.now()
    if (now - this.lastSweep >= SWEEP_INTERVAL_MS) {
      this.lastSweep = now
      await this.db`DELETE FROM callback_deliveries WHERE received_at < ${now - CALLBACK_ID_RETENTION_MS}`
    }
    const inserted: unknown[] = await this.db`
      INSERT INTO callback_deliveries (session, delivery_id, received_at) VALUES (${session}, ${deliveryId}, ${now})
      ON CONFLICT (session, delivery_id) DO NOTHING RETURNING delivery_id`
    return inserted.length > 0
  }

  /** Forgets an id whose events could not be taken in, so the backend's retry is accepted. */
  async release(session: string, deliveryId: string): Promise<void> {
    await this.db`DELETE FROM callback_deliveries WHERE session = ${session} AND delivery_id = ${deliveryId}`
  }
}
