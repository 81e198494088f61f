import type { Database, DbInteger } from './db'

/** How a session handles incoming calls. */
export interface CallSettings {
  /** Decline every incoming call as it rings. */
  rejectCalls: boolean
  /** Sent to the caller after an automatic rejection; null: nothing is sent. */
  rejectCallsMessage: string | null
}

export const DEFAULT_CALL_SETTINGS: CallSettings = { rejectCalls: false, rejectCallsMessage: null }

interface CallSettingsRow {
  reject_calls: DbInteger
  reject_message: string | null
}

export class CallSettingsRepository {
  constructor(private readonly db: Database) {}

  async get(phoneNumber: string): Promise<CallSettings> {
    const rows: CallSettingsRow[] = await this.db`SELECT reject_calls, reject_message FROM call_settings WHERE phone_number = ${phoneNumber}`
    const row = rows[0]
    if (!row) return { ...DEFAULT_CALL_SETTINGS }
    return { rejectCalls: Number(row.reject_calls) === 1, rejectCallsMessage: row.reject_message }
  }

  async set(phoneNumber: string, settings: CallSettings, now = Date.now()): Promise<void> {
    await this.db`
      INSERT INTO call_settings (phone_number, reject_calls, reject_message, updated_at)
      VALUES (${phoneNumber}, ${settings.rejectCalls ? 1 : 0}, ${settings.rejectCallsMessage}, ${now})
      ON CONFLICT (phone_number) DO UPDATE SET reject_calls = excluded.reject_calls, reject_message = excluded.reject_message, updated_at = excluded.updated_at
    `
  }

  async delete(phoneNumber: string): Promise<void> {
    await this.db`DELETE FROM call_settings WHERE phone_number = ${phoneNumber}`
  }
}
