/** WAHA's session `config` as a WAHA client set it (POST/PUT /api/sessions), kept to be returned as given. */
import type { Database, DbInteger } from './db'

export interface WahaSessionRecord {
  session: string
  config: Record<string, unknown>
  createdAt: number
  updatedAt: number
}

interface Row {
  session: string
  config: string
  created_at: DbInteger
  updated_at: DbInteger
}

export class WahaSessionsRepository {
  constructor(private readonly db: Database) {}

  async get(session: string): Promise<WahaSessionRecord | undefined> {
    const rows: Row[] = await this.db`SELECT * FROM waha_sessions WHERE session = ${session}`
    const row = rows[0]
    if (!row) return undefined
    return { session: row.session, config: JSON.parse(row.config) as Record<string, unknown>, createdAt: Number(row.created_at), updatedAt: Number(row.updated_at) }
  }

  async save(session: string, config: Record<string, unknown>): Promise<void> {
    const now = Date.now()
    await this.db`
      INSERT INTO waha_sessions (session, config, created_at, updated_at) VALUES (${session}, ${JSON.stringify(config)}, ${now}, ${now})
      ON CONFLICT (session) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`
  }

  async delete(session: string): Promise<void> {
    await this.db`DELETE FROM waha_sessions WHERE session = ${session}`
  }
}
