/**
 * Engines' durable state (EngineHost.stateStore): opaque text rows by engine and key, in
 * SQLite or Postgres. Storage keeps the rows, not what is in them.
 */
import type { Database } from './db'

export interface StateRow {
  key: string
  state: string
}

export class EngineStateRepository {
  constructor(private readonly db: Database) {}

  /** The rows of one engine. */
  of(engine: string): { load(): Promise<StateRow[]>; save(rows: StateRow[], removedKeys?: string[]): Promise<void> } {
    return { load: () => this.load(engine), save: (rows, removedKeys) => this.save(engine, rows, removedKeys) }
  }

  async load(engine: string): Promise<StateRow[]> {
    return this.db`SELECT key, state FROM engine_state WHERE engine = ${engine} ORDER BY key`
  }

  async save(engine: string, rows: StateRow[], removedKeys: string[] = []): Promise<void> {
    const now = Date.now()
    await this.db.begin(async (tx) => {
      for (const key of removedKeys) await tx`DELETE FROM engine_state WHERE engine = ${engine} AND key = ${key}`
      for (const row of rows) {
        await tx`
          INSERT INTO engine_state (engine, key, state, updated_at) VALUES (${engine}, ${row.key}, ${row.state}, ${now})
          ON CONFLICT (engine, key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`
      }
    })
  }
}
