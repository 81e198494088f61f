/**
 * The engine relay (EngineHost.relay) on Postgres: per-number mailboxes between the nodes of
 * a cluster, so the simulator's network spans them. A payload is a row until the node that
 * runs its number takes it (`DELETE … RETURNING` over rows locked with SKIP LOCKED: each is
 * taken once). Posting notifies the other nodes (LISTEN/NOTIFY is only the wake-up; the
 * table is the truth), and a poll covers a notification lost with a dropped connection.
 */
import type { Database } from './db'

const CHANNEL = 'wws_engine_relay'

/** Most payloads one take hands over; the rest wait for the next wake-up. */
const TAKE_BATCH = 500

export const DEFAULT_RELAY_POLL_MS = 1000

interface RelayRow {
  id: string
  to_phone: string
  payload: string
}

export interface EngineRelayPort {
  announce(phoneNumber: string): Promise<void>
  members(): Promise<string[]>
  post(to: string, payload: string): Promise<void>
  take(numbers: string[]): Promise<Array<{ to: string; payload: string }>>
  watch(wake: () => void): () => void
}

export class EngineRelayRepository {
  private readonly watchers = new Map<string, Set<() => void>>()
  private subscription?: Promise<{ unlisten(): Promise<void> } | undefined>
  private poll?: ReturnType<typeof setInterval>
  private closed = false

  constructor(
    private readonly db: Database,
    private readonly onError: (error: unknown) => void,
    private readonly pollMs = DEFAULT_RELAY_POLL_MS,
  ) {}

  /** The relay of one engine. */
  of(engine: string): EngineRelayPort {
    return {
      announce: (phoneNumber) => this.announce(engine, phoneNumber),
      members: () => this.members(engine),
      post: (to, payload) => this.post(engine, to, payload),
      take: (numbers) => this.take(engine, numbers),
      watch: (wake) => this.watch(engine, wake),
    }
  }

  async announce(engine: string, phoneNumber: string): Promise<void> {
    await this.db.begin(async (tx) => {
      await tx`INSERT INTO engine_relay_members (engine, phone_number) VALUES (${engine}, ${phoneNumber}) ON CONFLICT (engine, phone_number) DO NOTHING`
      await tx`SELECT pg_notify(${CHANNEL}, ${engine})`
    })
  }

  async members(engine: string): Promise<string[]> {
    const rows: Array<{ phone_number: string }> = await this.db`SELECT phone_number FROM engine_relay_members WHERE engine = ${engine}`
    return rows.map((row) => row.phone_number)
  }

  async post(engine: string, to: string, payload: string): Promise<void> {
    await this.db.begin(async (tx) => {
      await tx`INSERT INTO engine_relay (id, engine, to_phone, payload, posted_at) VALUES (${Bun.randomUUIDv7()}, ${engine}, ${to}, ${payload}, ${Date.now()})`
      // Delivered at commit, so a woken node finds the row.
      await tx`SELECT pg_notify(${CHANNEL}, ${engine})`
    })
  }

  async take(engine: string, numbers: string[]): Promise<Array<{ to: string; payload: string }>> {
    if (numbers.length === 0) return []
    const rows: RelayRow[] = await this.db`
      DELETE FROM engine_relay WHERE id IN (
        SELECT id FROM engine_relay WHERE engine = ${engine} AND to_phone IN ${this.db(numbers)}
        ORDER BY id LIMIT ${TAKE_BATCH} FOR UPDATE SKIP LOCKED)
      RETURNING id, to_phone, payload`
    return [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((row) => ({ to: row.to_phone, payload: row.payload }))
  }

  watch(engine: string, wake: () => void): () => void {
    let set = this.watchers.get(engine)
    if (!set) this.watchers.set(engine, (set = new Set()))
    set.add(wake)
    this.start()
    return () => {
      set.delete(wake)
    }
  }

  private wake(engine?: string): void {
    for (const [name, set] of this.watchers) {
      if (engine !== undefined && name !== engine) continue
      for (const wake of set) wake()
    }
  }

  private start(): void {
    if (this.closed || this.subscription) return
    this.subscription = this.db
      .listen(CHANNEL, (engine: string) => this.wake(engine))
      .catch((error: unknown) => {
        // The poll still delivers, only later.
        this.onError(error)
        return undefined
      })
    this.poll = setInterval(() => this.wake(), this.pollMs)
  }

  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.poll)
    this.watchers.clear()
    const subscription = await this.subscription
    this.subscription = undefined
    await subscription?.unlisten().catch(() => undefined)
  }
}
