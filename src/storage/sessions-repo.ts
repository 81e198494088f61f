import type { Database, DbInteger } from './db'

export type DesiredState = 'running' | 'stopped'

export interface SessionRecord {
  phoneNumber: string
  accountId: string | null
  engine: string
  desiredState: DesiredState
  createdAt: number
  updatedAt: number
}

interface SessionRow {
  phone_number: string
  account_id: string | null
  engine: string
  desired_state: string
  created_at: DbInteger
  updated_at: DbInteger
}

function toRecord(row: SessionRow): SessionRecord {
  return {
    phoneNumber: row.phone_number,
    accountId: row.account_id,
    engine: row.engine,
    desiredState: row.desired_state === 'running' ? 'running' : 'stopped',
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}

/**
 * Sessions as persisted: who owns a number, which engine runs it, and whether it should be running.
 *
 * Every guarded request reads its number's record, so on SQLite records are cached here
 * (frozen, the absence of one too). Correct because this repository is the only writer of
 * the table and one server owns the SQLite file: every write drops the entry, and a read
 * that raced a write does not cache what it read. In a cluster (Postgres) other nodes
 * write the table too, so nothing is cached (`cached: false`).
 */
export class SessionsRepository {
  private readonly cache = new Map<string, SessionRecord | null>()
  /** Bumped by every write; a read caches its row only if no write happened meanwhile. */
  private generation = 0

  constructor(
    private readonly db: Database,
    private readonly cached = true,
  ) {}

  async get(phoneNumber: string): Promise<SessionRecord | undefined> {
    if (!this.cached) return this.read(phoneNumber)
    const cached = this.cache.get(phoneNumber)
    if (cached !== undefined) return cached ?? undefined
    const generation = this.generation
    const record = await this.read(phoneNumber)
    if (generation === this.generation) this.cache.set(phoneNumber, record ?? null)
    return record
  }

  private async read(phoneNumber: string): Promise<SessionRecord | undefined> {
    const rows: SessionRow[] = await this.db`SELECT * FROM sessions WHERE phone_number = ${phoneNumber}`
    return rows[0] ? Object.freeze(toRecord(rows[0])) : undefined
  }

  async list(accountId?: string): Promise<SessionRecord[]> {
    const rows: SessionRow[] =
      accountId === undefined
        ? await this.db`SELECT * FROM sessions ORDER BY phone_number`
        : await this.db`SELECT * FROM sessions WHERE account_id = ${accountId} ORDER BY phone_number`
    return rows.map(toRecord)
  }

  async listDesiredRunning(): Promise<SessionRecord[]> {
    const rows: SessionRow[] = await this.db`SELECT * FROM sessions WHERE desired_state = 'running' ORDER BY updated_at`
    return rows.map(toRecord)
  }

  /** Creates the session row, or updates engine/owner/desired state of an existing one. */
  async upsert(record: { phoneNumber: string; accountId: string | null; engine: string; desiredState: DesiredState }): Promise<SessionRecord> {
    const now = Date.now()
    await this.written(record.phoneNumber, this.db`
      INSERT INTO sessions (phone_number, account_id, engine, desired_state, created_at, updated_at)
      VALUES (${record.phoneNumber}, ${record.accountId}, ${record.engine}, ${record.desiredState}, ${now}, ${now})
      ON CONFLICT (phone_number) DO UPDATE SET
        account_id = excluded.account_id, engine = excluded.engine,
        desired_state = excluded.desired_state, updated_at = excluded.updated_at`)
    return (await this.get(record.phoneNumber))!
  }

  async setDesiredState(phoneNumber: string, desiredState: DesiredState): Promise<void> {
    await this.written(phoneNumber, this.db`UPDATE sessions SET desired_state = ${desiredState}, updated_at = ${Date.now()} WHERE phone_number = ${phoneNumber}`)
  }

  async delete(phoneNumber: string): Promise<void> {
    await this.written(phoneNumber, this.db`DELETE FROM sessions WHERE phone_number = ${phoneNumber}`)
  }

  /** Runs a write of a number's row, with its cache entry dropped before and after (also when it fails). */
  private async written(phoneNumber: string, statement: PromiseLike<unknown>): Promise<void> {
    this.generation++
    this.cache.delete(phoneNumber)
    try {
      await statement
    } finally {
      this.generation++
      this.cache.delete(phoneNumber)
    }
  }
}

/** Opaque engine auth state (the simulator's pairing; engines with files on disk keep those instead). */
export class EngineAuthRepository {
  constructor(private readonly db: Database) {}

  async load(phoneNumber: string, engine: string): Promise<string | undefined> {
    const rows: { state: string }[] = await this.db`SELECT state FROM engine_auth WHERE phone_number = ${phoneNumber} AND engine = ${engine}`
    return rows[0]?.state
  }

  /** `tx`: inside the caller's transaction (the cluster's fenced write). */
  async save(phoneNumber: string, engine: string, state: string, tx: Database = this.db): Promise<void> {
    await tx`
      INSERT INTO engine_auth (phone_number, engine, state, updated_at) VALUES (${phoneNumber}, ${engine}, ${state}, ${Date.now()})
      ON CONFLICT (phone_number, engine) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`
  }

  async clear(phoneNumber: string, engine?: string, tx: Database = this.db): Promise<void> {
    if (engine === undefined) await tx`DELETE FROM engine_auth WHERE phone_number = ${phoneNumber}`
    else await tx`DELETE FROM engine_auth WHERE phone_number = ${phoneNumber} AND engine = ${engine}`
  }
}

export class SettingsRepository {
  constructor(private readonly db: Database) {}

  async get(name: string): Promise<string | undefined> {
    const rows: { value: string }[] = await this.db`SELECT value FROM settings WHERE name = ${name}`
    return rows[0]?.value
  }

  async set(name: string, value: string): Promise<void> {
    await this.db`INSERT INTO settings (name, value) VALUES (${name}, ${value}) ON CONFLICT (name) DO UPDATE SET value = excluded.value`
  }
}
