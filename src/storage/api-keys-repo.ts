import type { Database, DbInteger } from './db'

/** An account API key as stored: never the secret, only its SHA-256. Times are epoch ms. */
export interface ApiKeyRecord {
  id: string
  accountId: string
  name: string
  /** Set when the key may act only on this number. */
  phoneNumber: string | null
  secretSha256: string
  /** Credential that created the key (`admin`, a key id, or `jwt:<account>`), for audit. */
  createdBy: string
  createdAt: number
  expiresAt: number | null
  revokedAt: number | null
  lastUsedAt: number | null
}

interface ApiKeyRow {
  id: string
  account_id: string
  name: string
  phone_number: string | null
  secret_sha256: string
  created_by: string
  created_at: DbInteger
  expires_at: DbInteger | null
  revoked_at: DbInteger | null
  last_used_at: DbInteger | null
}

const toTime = (value: DbInteger | null): number | null => (value === null ? null : Number(value))

function toRecord(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    phoneNumber: row.phone_number,
    secretSha256: row.secret_sha256,
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    expiresAt: toTime(row.expires_at),
    revokedAt: toTime(row.revoked_at),
    lastUsedAt: toTime(row.last_used_at),
  }
}

/** Which keys a caller may see: all (admin), or one account's, optionally only those restricted to one number. */
export interface ApiKeyScope {
  accountId?: string
  phoneNumber?: string
}

export class ApiKeysRepository {
  constructor(private readonly db: Database) {}

  async insert(record: Omit<ApiKeyRecord, 'revokedAt' | 'lastUsedAt'>): Promise<void> {
    await this.db`
      INSERT INTO api_keys (id, account_id, name, phone_number, secret_sha256, created_by, created_at, expires_at)
      VALUES (${record.id}, ${record.accountId}, ${record.name}, ${record.phoneNumber}, ${record.secretSha256},
              ${record.createdBy}, ${record.createdAt}, ${record.expiresAt})`
  }

  /** The key with this id, revoked or not: the authenticator's one lookup per request. */
  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const rows: ApiKeyRow[] = await this.db`SELECT * FROM api_keys WHERE id = ${id}`
    return rows[0] && toRecord(rows[0])
  }

  /** Keys not revoked, newest first, within the scope. */
  async listActive(scope: ApiKeyScope): Promise<ApiKeyRecord[]> {
    const { accountId, phoneNumber } = scope
    let rows: ApiKeyRow[]
    if (accountId === undefined) {
      rows = await this.db`SELECT * FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at DESC, id`
    } else if (phoneNumber === undefined) {
      rows = await this.db`
        SELECT * FROM api_keys WHERE revoked_at IS NULL AND account_id = ${accountId} ORDER BY created_at DESC, id`
    } else {
      rows = await this.db`
        SELECT * FROM api_keys
        WHERE revoked_at IS NULL AND account_id = ${accountId} AND phone_number = ${phoneNumber}
        ORDER BY created_at DESC, id`
    }
    return rows.map(toRecord)
  }

  /** Marks the key revoked; false when it was already revoked or does not exist. */
  async revoke(id: string, at: number): Promise<boolean> {
    const rows: { id: string }[] = await this.db`
      UPDATE api_keys SET revoked_at = ${at} WHERE id = ${id} AND revoked_at IS NULL RETURNING id`
    return rows.length > 0
  }

  async touch(id: string, at: number): Promise<void> {
    await this.db`UPDATE api_keys SET last_used_at = ${at} WHERE id = ${id}`
  }
}
