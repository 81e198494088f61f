/**
 * The simulator's durable state (src/providers/simulator/state.ts): opaque JSON rows by
 * key, in SQLite or Postgres. Storage knows the rows, not what is in them.
 */
import type { Database } from './db'

export interface StateRow {
  key: string
  state: string
}

export class SimulatorStateRepository {
  constructor(private readonly db: Database) {}

  async load(): Promise<StateRow[]> {
    return this.db`SELECT key, state FROM simulator_state ORDER BY key`
  }

  async save(rows: StateRow[]): Promise<void> {
    const now = Date.now()
    await this.db.begin(async (tx) => {
      for (const row of rows) {
        await tx`
          INSERT INTO simulator_state (key, state, updated_at) VALUES (${row.key}, ${row.state}, ${now})
          ON CONFLICT (key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`
      }
    })
  }
}
